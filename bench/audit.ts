import { sql } from 'kysely'
import { runAudit, startAudit } from '../server/modules/audits/service.ts'
import { geodesicDistance } from '../server/db/postgis.ts'
import { redrawZones } from '../server/modules/zones/maintenance.ts'
import { bboxArg, bulkLoad, figure, numberArgs, openBenchDatabase, seconds } from './support.ts'

/**
 * The first audit, an incremental and a full re-audit of the unchanged registry, against the plain geodesic
 * join over the same tables, in the same run, and a check after each that they find exactly the same pairs.
 *
 *   npm run bench -- audit [--schools 10000] [--premises 500000] [--bbox minLon,minLat,maxLon,maxLat]
 *   BENCH_DATABASE_URL=postgres://… to run on a PostgreSQL/PostGIS server (national scale:
 *   --schools 500000 --premises 6000000 --bbox 73,18,135,53).
 *
 * The zone bands are drawn after the load as registering the schools through the service draws them, and timed
 * apart: the first audit is printed on its own (schools registered through the service, premises loaded in
 * bulk) and with that drawing added (a registry loaded entirely in bulk, whose first audit draws the bands).
 *
 * Two baselines: the plain join over the tables as the project keeps them (geometry GiST indexes only,
 * so every school meets every premises; timed on a sample of schools and scaled), and the same join given
 * its best chance, a GiST index on premises' geography (built first, not timed).
 */
export async function benchAudit(args: Record<string, string>) {
  const { schools, premises, sample: sampleArg } = numberArgs(args, { schools: 10_000, premises: 500_000, sample: 10 })
  const bbox = bboxArg(args)
  const handle = await openBenchDatabase('audit')
  console.log(
    `audit benchmark on ${handle.where}: ${schools} schools × ${premises} premises${bbox ? ` in ${bbox.join(',')}` : ' in Guyuan'}`,
  )
  try {
    let t = performance.now()
    await bulkLoad(handle, { schools, premises, ...(bbox ? { bbox } : {}) }, console.log)
    figure('load (bulk insert)', seconds(t), 's')
    // The plain join over the tables as the project keeps them (geometry indexes only) compares every
    // school with every premises; it is timed on a sample of schools and scaled to all of them.
    const sample = Math.max(1, Math.min(schools, Math.round(sampleArg)))
    t = performance.now()
    await sql`select count(*) from (select * from schools order by id limit ${sample}) s join premises p on ST_DWithin(s.geom::geography, p.geom::geography, 200)`.execute(
      handle.db,
    )
    const unindexed = (seconds(t) / sample) * schools
    figure(`plain join, project's indexes (${sample} schools, scaled)`, unindexed, 's', 'extrapolated')

    t = performance.now()
    await sql`create index premises_geog_idx on premises using gist ((geom::geography))`.execute(handle.db)
    await sql`analyze`.execute(handle.db)
    figure('baseline geography index build (not timed below)', seconds(t), 's')

    // Registering a school through the service (POST /api/schools, an import) draws its zone bands at once
    // (zones/maintenance.ts refreshForSchools); the bulk load above did not. They are drawn here as registration
    // draws them, a batch of 1,000 schools a transaction on two connections, and timed apart: the first audit
    // below is then that of schools registered through the service and premises loaded in bulk, and the first
    // audit of a registry loaded entirely in bulk (which draws the bands too) is the sum of the two.
    t = performance.now()
    const ids = (await handle.db.selectFrom('schools').select('id').orderBy('id').execute()).map((r) => r.id)
    const batches = Array.from({ length: Math.ceil(ids.length / 1000) }, (_, i) => ids.slice(i * 1000, (i + 1) * 1000))
    const drawBatches = async () => {
      for (let batch = batches.shift(); batch; batch = batches.shift()) {
        const these = batch
        await handle.db.transaction().execute((trx) => redrawZones(trx, sql<boolean>`s.id = any(${these}::int[])`))
      }
    }
    await Promise.all([drawBatches(), drawBatches()])
    const zones = seconds(t)
    const { rows: bands } = await sql<{ n: number }>`select count(*)::int as n from school_zones`.execute(handle.db)
    figure('zone bands drawn as registration draws them', zones, 's', `${bands[0]!.n} bands, not part of the audit`)

    t = performance.now()
    const audit = await startAudit(handle.db, { user: null, requestId: 'bench' })
    const done = await runAudit(handle.db, audit.id, undefined, handle.kind)
    const first = seconds(t)
    figure('project first audit (writes every conflict)', first, 's', `${done.summary!.added} conflicts added`)
    figure('  first audit + drawing the zones', first + zones, 's', 'the first audit of a registry loaded entirely in bulk')
    // Each new conflict opened its zone_conflict hazard in the audit's transaction (hazards/repository.ts).
    const { rows: opened } = await sql<{ n: number }>`select count(*)::int as n from hazards where kind = 'zone_conflict'`.execute(
      handle.db,
    )
    figure('  of which hazards opened for the new conflicts', opened[0]!.n, 'hazards')
    const storedPairs = async () =>
      (await sql<{ premises_id: number; school_id: number }>`select premises_id, school_id from conflicts`.execute(handle.db)).rows
    const afterFirst = await storedPairs()

    // A re-audit of the unchanged registry, incremental (the default) and then full, each counting the rows it
    // wrote: those whose xmin is a transaction that began after the re-audit started.
    const reaudit = async (full: boolean) => {
      const { rows: mark } = await sql<{ xid: string }>`select (pg_current_xact_id()::text::bigint % 4294967296)::text as xid`.execute(
        handle.db,
      )
      const t0 = performance.now()
      const started = await startAudit(handle.db, { user: null, requestId: 'bench' }, { full })
      const again = await runAudit(handle.db, started.id, undefined, handle.kind)
      const took = seconds(t0)
      const { rows: touched } = await sql<{ n: number }>`select (
          (select count(*) from conflicts where xmin::text::bigint > ${mark[0]!.xid}::bigint)
          + (select count(*) from school_zones where xmin::text::bigint > ${mark[0]!.xid}::bigint)
          + (select count(*) from hazards where xmin::text::bigint > ${mark[0]!.xid}::bigint)
          + (select count(*) from hazard_events where xmin::text::bigint > ${mark[0]!.xid}::bigint))::int as n`.execute(handle.db)
      const s = again.summary!
      figure(
        `re-audit of the unchanged registry, ${s.mode}`,
        took,
        's',
        `${s.conflicts} conflicts, ${s.added + s.removed + s.changed} changed, ${touched[0]!.n} conflict/zone/hazard rows written (${s.basis})`,
      )
      return { took, pairs: await storedPairs() }
    }
    const incremental = await reaudit(false)
    const full = await reaudit(true)

    t = performance.now()
    const { rows: baseline } = await sql<{ premises_id: number; school_id: number }>`
      select p.id as premises_id, s.id as school_id
      from schools s
      join premises p on ST_DWithin(s.geom::geography, p.geom::geography, 200)`.execute(handle.db)
    const plain = seconds(t)
    figure('plain ST_DWithin(geography) join', plain, 's', `${baseline.length} pairs`)
    figure('first audit against the plain join', plain / first, '×', 'goal ≥ 3×; zones drawn at registration')
    figure('first audit + drawing the zones against it', plain / (first + zones), '×', 'the registry loaded entirely in bulk')
    figure('incremental re-audit against the plain join', plain / incremental.took, '×', 'goal ≥ 8×')
    figure('full re-audit against the plain join', plain / full.took, '×')
    figure("first audit against the plain join on the project's indexes", unindexed / first, '×', 'extrapolated')

    const key = (r: { premises_id: number; school_id: number }) => r.premises_id * 4_294_967_296 + r.school_id
    const b = new Set(baseline.map(key))
    for (const [which, stored] of [
      ['first audit', afterFirst],
      ['incremental re-audit', incremental.pairs],
      ['full re-audit', full.pairs],
    ] as const) {
      const a = new Set(stored.map(key))
      const onlyOurs = [...a].filter((k) => !b.has(k)).length
      const onlyPlain = [...b].filter((k) => !a.has(k)).length
      console.log(
        `same pairs after the ${which}: ${onlyOurs === 0 && onlyPlain === 0 ? 'yes' : 'no'} (${a.size} vs ${b.size}; only project ${onlyOurs}, only plain ${onlyPlain})`,
      )
      if (onlyOurs === 0 && onlyPlain === 0) continue
      // The plain join measures a whole geography, which can pick the wrong one of two nearly equidistant
      // edges (geodesicDistance in server/db/postgis.ts); settle each disagreement by measuring segment by segment.
      const differing = [...stored.filter((r) => !b.has(key(r))), ...baseline.filter((r) => !a.has(key(r)))]
      let projectRight = 0
      for (const pair of differing) {
        const { rows } = await sql<{
          d: number
        }>`select ${geodesicDistance(sql`s.geom`, sql`p.geom`)} as d from schools s, premises p where s.id = ${pair.school_id} and p.id = ${pair.premises_id}`.execute(
          handle.db,
        )
        const inside = Number(rows[0]!.d) <= 200
        if (inside === a.has(key(pair))) projectRight += 1
        console.log(
          `  premises ${pair.premises_id} × school ${pair.school_id}: ${Number(rows[0]!.d).toFixed(4)} m measured segment by segment; the ${inside === a.has(key(pair)) ? 'project' : 'plain join'} is right`,
        )
      }
      if (projectRight !== differing.length) process.exitCode = 1
    }
  } finally {
    await handle.close()
  }
}
