import { sql, type RawBuilder } from 'kysely'
import {
  frameKx,
  geodesicDistance,
  geodesicWithin,
  inFrame,
  latitudeDegreesOf,
  longitudeDegreesOf,
  meridianMetresPerDegree,
  WGS84_A_M,
  WGS84_RADIUS_MIN_M,
} from '../../db/postgis.ts'
import { chinaToday } from '../../db/china-time.ts'

/**
 * Finding every (premises, school) pair within the rule's limit, fast and exactly.
 *
 * The exact test is geodesic, part by part (postgis.ts geodesicDistance: a whole geography
 * can pick the wrong one of two nearly equidistant edges or gates). Running it for every candidate pair is what
 * makes the plain join slow, so each pair is first measured in a local planar frame of its school,
 * and the geography test runs only where that measurement cannot decide.
 *
 * The frame: for a school whose campus bounding box has centre latitude φ0,
 *   x = λ · N(φ0)·cos φ0,   y = φ · M(φ0)            (λ, φ in radians; M, N the WGS84 radii of curvature)
 * computed in SQL as ST_Scale(geom, kx, 1) with kx = N(φ0)·cos φ0 / M(φ0), distances then × M(φ0)·π/180
 * (postgis.ts frameKx, meridianMetresPerDegree).
 *
 * Why it is good to a known bound: the ellipsoid's metric is ds² = M(φ)²dφ² + N(φ)²cos²φ dλ²; the frame
 * freezes both scales at φ0. Within a window |φ − φ0| ≤ Δ the two scales differ from the true ones by
 * the factors M0/M(φ) = 1 + O(3e²Δ) and N0 cos φ0 / (N(φ) cos φ) = 1 + tan φ·Δ + O(e²Δ + Δ²), so every
 * length — hence the distance between a point and a set — is off by at most δ·d with
 *   δ = Δ·(tan φmax + 3e²) + Δ²,   3e² < 0.0201.
 * The geography edges are great-circle arcs, while the frame joins vertices with straight lines; an arc
 * of length ℓ leaves the chord by at most its sagitta, bounded by ℓ²·(tan φmax + 1)/(4R) (a 2× margin over
 * the ℓ² tan φ/(8R) of a parallel), with ℓ at most the campus bounding-box diagonal.
 * So |planar − geodesic| ≤ δ·(L + s) + sagitta, where L is the largest limit for the school type and
 * s = 50 m of slack; we take ε = 2 × that + 5 mm. At Guyuan with a 300 m campus ε ≈ 3 cm: a pair whose
 * planar distance is below L − ε is inside, above L + ε outside, and only the 6 cm band between is
 * tested on geography. The same rule decides band edges (core/control).
 * Δ is the half-height of the campus box plus (L + s)/Rmin; φmax the largest |φ| reached; Rmin = 6 335 439 m
 * (the meridian radius at the equator, the smallest radius of curvature anywhere).
 *
 * The candidate search uses the geometry GiST index: the box of the campus and its gates expanded by (L + ε) converted to
 * degrees with the smallest degree lengths in the window (a·cos φmax per degree of longitude, Rmin per
 * degree of latitude), which can only over-cover.
 */

const A = sql.lit(WGS84_A_M)
const R_MIN = sql.lit(WGS84_RADIUS_MIN_M)
const SLACK_M = sql.lit(50)

/** Gates lie within 300 m of their campus (validated), so a gate-measured zone reaches that much further than the campus's box. */
export const GATE_REACH_M = sql.lit(301)

export interface PairQuery {
  /** Restricts the schools examined (e.g. one school, one type, an id range, near a point). */
  schoolFilter: RawBuilder<boolean>
  /** Restricts the premises examined (e.g. one premises, one category). */
  premisesFilter: RawBuilder<boolean>
  /** A relation with the columns of `rules` that are in force; defaults to the current rules. */
  rules?: RawBuilder<unknown>
}

/** Whether a rule (a relation with the columns of `rules`) is in force today, by the date in China Standard Time. */
export const ruleInForce = (r: RawBuilder<unknown>) =>
  sql<boolean>`(${r}.effective_from <= ${chinaToday} and (${r}.effective_to is null or ${r}.effective_to > ${chinaToday}))`

/** The rules in force today (China Standard Time). */
export const rulesInForce = sql`(select * from rules where ${ruleInForce(sql`rules`)})`

/** A pair within its rule's limit in a straight line, with the rule's path, limit and bands. */
export interface PairRow {
  premises_id: number
  school_id: number
  rule_id: number
  rule_version: number
  band: string
  /** 'walking': the pair is only a candidate, within the limit of a gate in a straight line; the walk decides. */
  path: string
  limit_m: number
  band_names: string[]
  band_edges: number[]
}

/**
 * SQL selecting (premises_id, school_id, rule_id, rule_version, band, path, limit_m, band_names, band_edges)
 * for every pair within its limit in a straight line (under a walking rule: from the gates, a candidate).
 * Schools filtered by `schoolFilter` (alias s), premises by `premisesFilter` (alias p).
 */
export function pairsSql({ schoolFilter, premisesFilter, rules = rulesInForce }: PairQuery): RawBuilder<PairRow> {
  return sql`
    with rule_set as materialized (select * from ${rules} as r0),
    school_set as materialized (
      select s.id, s.school_type, s.geom, s.gates, w.*,
        ${inFrame(sql`s.geom`, sql`w.kx`)} as scaled,
        ${inFrame(sql`s.gates`, sql`w.kx`)} as gates_scaled,
        ST_Expand(ST_MakeEnvelope(b.x0, b.y0, b.x1, b.y1, 4326), ${longitudeDegreesOf(sql`(w.lmax + w.eps)`, sql`w.phimax`)} * 1.001, ${latitudeDegreesOf(sql`(w.lmax + w.eps)`)} * 1.001) as search_box
      from schools s
      join lateral (select max(r.limit_m) as lmax from rule_set r where r.school_type = s.school_type) lm on lm.lmax is not null
      cross join lateral (select s.geom::box2d as campus_box, s.gates::box2d as gates_box) h
      cross join lateral (
        select least(ST_XMin(h.campus_box), coalesce(ST_XMin(h.gates_box), 180)) as x0, greatest(ST_XMax(h.campus_box), coalesce(ST_XMax(h.gates_box), -180)) as x1,
          least(ST_YMin(h.campus_box), coalesce(ST_YMin(h.gates_box), 90)) as y0, greatest(ST_YMax(h.campus_box), coalesce(ST_YMax(h.gates_box), -90)) as y1
      ) b
      cross join lateral (
        select radians((b.y0 + b.y1) / 2) as phi0,
          radians((b.y1 - b.y0) / 2) + (lm.lmax + ${SLACK_M}) / ${R_MIN}::float8 as delta,
          least(radians(greatest(abs(b.y0), abs(b.y1))) + (lm.lmax + ${SLACK_M}) / ${R_MIN}::float8, radians(89)) as phimax,
          sqrt(power((b.x1 - b.x0) * ${A}::float8 * pi() / 180 * cos(radians(least(abs(b.y0), abs(b.y1)))), 2) + power((b.y1 - b.y0) * 111700, 2)) as diag
      ) g
      cross join lateral (
        select lm.lmax,
          g.phimax,
          ${meridianMetresPerDegree(sql`g.phi0`)} as m_per_deg,
          ${frameKx(sql`g.phi0`)} as kx,
          2 * ((g.delta * (tan(g.phimax) + 0.0201) + g.delta ^ 2) * (lm.lmax + ${SLACK_M}) + g.diag ^ 2 * (tan(g.phimax) + 1) / (4 * ${R_MIN}::float8)) + 0.005 as eps
      ) w
      where ${schoolFilter}
    )
    select c.premises_id, c.id as school_id, r.id as rule_id, r.version as rule_version, r.path, r.limit_m, r.band_names, r.band_edges,
      r.band_names[1 + width_bucket(
        case
          -- Near a band edge the planar figure cannot decide: measure on geography.
          when width_bucket(a.planar - c.eps, r.band_edges) <> width_bucket(a.planar + c.eps, r.band_edges)
            then ${geodesicDistance(sql`(case when r.origin = 'gates' and c.gates is not null then c.gates else c.geom end)`, sql`c.premises_geom`)}
          else a.planar
        end,
        r.band_edges)] as band
    from (
      -- offset 0 keeps the join order: each school's box finds its candidates through the index, once.
      select s.*, p.id as premises_id, p.category, p.geom as premises_geom
      from school_set s
      join premises p on p.geom && s.search_box and ${premisesFilter}
      offset 0
    ) c
    join rule_set r on r.category = c.category and r.school_type = c.school_type
    cross join lateral (
      select ST_Distance(
        case when r.origin = 'gates' and c.gates is not null then c.gates_scaled else c.scaled end,
        ${inFrame(sql`c.premises_geom`, sql`c.kx`)}) * c.m_per_deg as planar
    ) a
    where a.planar <= r.limit_m + c.eps
      and case
        when a.planar < r.limit_m - c.eps then true
        else ${geodesicWithin(sql`(case when r.origin = 'gates' and c.gates is not null then c.gates else c.geom end)`, sql`c.premises_geom`, sql`r.limit_m`)}
      end
  `
}
