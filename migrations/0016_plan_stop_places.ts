import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports server code, and is never edited once released.
// One statement per call: the embedded driver runs one statement at a time.

// Each stop of a patrol plan keeps the point it was planned at (the gate, or a point of the campus for a
// school without gates), so a plan can be drawn without reading the schools and stays as planned when a
// school's gates are edited later. Stops of earlier plans get the point their school has now.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table patrol_plan_stops add column geom geometry(Point, 4326)`.execute(db)
  await sql`update patrol_plan_stops p
    set geom = coalesce(
      case when p.gate is not null and s.gates is not null and p.gate <= ST_NumGeometries(s.gates) then ST_GeometryN(s.gates, p.gate) end,
      ST_PointOnSurface(s.geom))
    from schools s where s.id = p.school_id`.execute(db)
  await sql`alter table patrol_plan_stops alter column geom set not null`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table patrol_plan_stops drop column if exists geom`.execute(db)
}
