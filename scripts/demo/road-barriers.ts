/**
 * What the demo streets do not run through, so that walking and straight distances differ: school campuses
 * (streets stop at their fences), a walled factory compound in the city, and a railway across the city with
 * one level crossing (every other street is cut on either side of the track).
 */
import type { CampusStore } from './campus-store.ts'
import { pointInFlatRing, round7 } from './planar.ts'
import { planDetour, type Detour } from './road-detours.ts'
import { isWalkable, segmentCrossing, type Line, type Lines } from './road-lines.ts'
import { atFrame, inFrame, type Town } from './road-towns.ts'

/** gap (m) left between a cut street's end and a campus fence, the compound wall or the railway */
const CUT_MARGIN_M = { campus: 4, compound: 6, rail: 12 }
/** half-length (m) of the railway, centred near the city centre */
const RAIL_HALF_M = 8000
/** how far (m, along the track from its middle) roads between towns are cut at the railway; beyond, they pass under it */
export const RAIL_CITY_M = 2400

/** The city's railway and walled compound, as the network's extra (non-road) features. */
export interface CityBarriers {
  /** the track as flat lon/lat pairs (through the level crossing's vertex, when there is one) */
  rail: number[]
  /** the compound's wall, a closed ring of lon/lat positions */
  wall: [number, number][]
  /** the line of the one level crossing, if any street crosses the track */
  levelCrossing?: Line
}

/**
 * Cuts every town street (not the roads between towns) where it runs through a campus; returns the ways
 * round planned for streets that cross a campus once (cut wider, to make room for them).
 */
export function cutAtCampuses(lines: Lines, store: CampusStore): Detour[] {
  const detours: Detour[] = []
  for (const line of lines.list) {
    if (line.seat < 0 || !isWalkable(line.tags.highway)) continue
    const margin = CUT_MARGIN_M.campus / Math.max(1, lines.lengthM(line))
    store.forEachNear(
      Math.min(line.x0, line.x1),
      Math.min(line.y0, line.y1),
      Math.max(line.x0, line.x1),
      Math.max(line.y0, line.y1),
      (i) => {
        for (const [s, e] of store.rings(i)) {
          const ts: number[] = []
          if (pointInFlatRing(line.x0, line.y0, store.xy, s, e)) ts.push(0)
          for (let k = s; k < e - 2; k += 2) {
            const hit = segmentCrossing(
              line.x0,
              line.y0,
              line.x1,
              line.y1,
              store.xy[k]!,
              store.xy[k + 1]!,
              store.xy[k + 2]!,
              store.xy[k + 3]!,
            )
            if (hit) ts.push(hit[0])
          }
          if (pointInFlatRing(line.x1, line.y1, store.xy, s, e)) ts.push(1)
          ts.sort((a, b) => a - b)
          const detour = ts.length === 2 && ts[0]! > 0 && ts[1]! < 1 ? planDetour(lines, line, store.xy, s, e) : undefined
          if (detour) {
            lines.cut(line, detour.t0, detour.t1)
            detours.push(detour)
          } else for (let k = 0; k + 1 < ts.length; k += 2) lines.cut(line, ts[k]! - margin, ts[k + 1]! + margin)
        }
        return false
      },
    )
  }
  return detours
}

/** the stretch (t0, t1) of the line inside the rectangle [u0, v0, u1, v1] of the town's frame (Liang–Barsky), or undefined */
function clip(line: Line, town: Town, rect: readonly [number, number, number, number]): [number, number] | undefined {
  const [pu, pv] = inFrame(town.frame, line.x0, line.y0)
  const [qu, qv] = inFrame(town.frame, line.x1, line.y1)
  let t0 = 0
  let t1 = 1
  const du = qu - pu
  const dv = qv - pv
  for (const [p, q] of [
    [-du, pu - rect[0]],
    [du, rect[2] - pu],
    [-dv, pv - rect[1]],
    [dv, rect[3] - pv],
  ] as const) {
    if (p === 0) {
      if (q < 0) return undefined
      continue
    }
    const r = q / p
    if (p < 0) t0 = Math.max(t0, r)
    else t1 = Math.min(t1, r)
    if (t0 > t1) return undefined
  }
  return [t0, t1]
}

/**
 * Walls off a factory compound in the city (where no road between towns passes) and lays the railway,
 * cutting the streets at both; one street, preferably the city's second arterial, keeps its level crossing.
 */
export function cityBarriers(lines: Lines, city: Town): CityBarriers {
  const f = city.frame
  const size = [700, 450]
  const spots = [
    [1400, -1100],
    [-1400, -1100],
    [1400, -1900],
    [-1400, -1900],
    [0, -2100],
  ] as const
  const rectAt = ([u, v]: readonly [number, number]) => [u - size[0]! / 2, v - size[1]! / 2, u + size[0]! / 2, v + size[1]! / 2] as const
  const spot =
    spots.find(
      (s) => !lines.list.some((line) => line.seat !== city.seat && isWalkable(line.tags.highway) && clip(line, city, rectAt(s))),
    ) ?? spots[0]
  const rect = rectAt(spot)
  for (const line of lines.list) {
    if (line.seat < 0 || !isWalkable(line.tags.highway)) continue
    const inside = clip(line, city, rect)
    if (!inside) continue
    const margin = CUT_MARGIN_M.compound / Math.max(1, lines.lengthM(line))
    lines.cut(line, inside[0] - margin, inside[1] + margin)
  }
  const wall = [
    [rect[0], rect[1]],
    [rect[2], rect[1]],
    [rect[2], rect[3]],
    [rect[0], rect[3]],
    [rect[0], rect[1]],
  ].map(([u, v]) => atFrame(f, u!, v!).map(round7) as [number, number])

  const [ax, ay] = atFrame(f, -RAIL_HALF_M, 700).map(round7) as [number, number]
  const [bx, by] = atFrame(f, RAIL_HALF_M, 700).map(round7) as [number, number]
  const crossings: { line: Line; t: number; alongM: number }[] = []
  for (const line of lines.list) {
    if (!isWalkable(line.tags.highway)) continue
    const hit = segmentCrossing(line.x0, line.y0, line.x1, line.y1, ax, ay, bx, by)
    if (hit) crossings.push({ line, t: hit[0], alongM: Math.abs((hit[1] - 0.5) * 2 * RAIL_HALF_M) })
  }
  // the level crossing: a city street whose crossing is far from its ends and cuts (the second arterial if it can)
  const room = (c: (typeof crossings)[number]) => {
    const lengthM = lines.lengthM(c.line)
    let best = Infinity
    const stretches = lines.stretches(c.line)
    let inStretch = false
    for (let k = 0; k < stretches.length; k += 2) {
      if (c.t > stretches[k]! && c.t < stretches[k + 1]!) {
        inStretch = true
        best = Math.min(c.t - stretches[k]!, stretches[k + 1]! - c.t) * lengthM
      }
    }
    return inStretch ? best : -1
  }
  const candidates = crossings.filter((c) => c.line.seat === city.seat && c.alongM < RAIL_CITY_M)
  const preferred = candidates.find((c) => c.line === city.arterials[1] && room(c) >= 150)
  let level = preferred
  for (const c of candidates) if (!level || room(c) > room(level)) level = c
  if (level && room(level) < 0) level = undefined
  for (const c of crossings) {
    if (c === level || (c.line.seat !== city.seat && c.alongM > RAIL_CITY_M)) continue
    const margin = CUT_MARGIN_M.rail / Math.max(1, lines.lengthM(c.line))
    lines.cut(c.line, c.t - margin, c.t + margin)
  }
  if (!level) return { rail: [ax, ay, bx, by], wall }
  // the level crossing is a vertex of the track and the street, as OpenStreetMap draws it
  const [x, y] = lines.point(level.line, level.t)
  lines.addVertex(level.line, level.t, x, y)
  return { rail: [ax, ay, x, y, bx, by], wall, levelCrossing: level.line }
}
