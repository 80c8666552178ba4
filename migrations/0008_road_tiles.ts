import { sql, type Kysely } from 'kysely'

// Frozen in time: this file never imports server code, and is never edited once released.
// One statement per call: the embedded driver runs one statement at a time.

/** Which tile layers a write to each table changes: the roads layer draws roads, and its TileJSON names its sources' attributions. */
const SOURCES: Record<string, string[]> = {
  roads: ['roads'],
  road_sources: ['roads'],
}

// The roads tile layer joins the data versions of 0004: a counter row, and statement triggers noting the
// layer once per transaction (tile_note_change), bumped at commit by 0004's deferred trigger.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`insert into tile_versions (layer) values ('roads') on conflict (layer) do nothing`.execute(db)
  for (const [table, layers] of Object.entries(SOURCES)) {
    await sql`create trigger ${sql.raw(`${table}_tile_change`)} after insert or update or delete or truncate on ${sql.table(table)}
      for each statement execute function tile_note_change(${sql.raw(layers.map((l) => `'${l}'`).join(', '))})`.execute(db)
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of Object.keys(SOURCES))
    await sql`drop trigger if exists ${sql.raw(`${table}_tile_change`)} on ${sql.table(table)}`.execute(db)
  await sql`delete from tile_changes where layer = 'roads'`.execute(db)
  await sql`delete from tile_versions where layer = 'roads'`.execute(db)
}
