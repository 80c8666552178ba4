/**
 * The embedded PGlite on its own thread (server/db/embedded-database.ts): values and errors cross as PGlite gives
 * them, the service's event loop turns while a statement runs, requests run in the order they are made, and a thread
 * that dies fails what waits instead of leaving it hanging. The server database has no such thread.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inject } from 'vitest'
import { openEmbedded } from '../../server/db/connect.ts'
import type { EmbeddedDatabase } from '../../server/db/embedded-database.ts'
import { createTestDatabase, onServer } from '../helpers/database.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const template = () => new Blob([fs.readFileSync(inject('embeddedTemplate'))])

if (!onServer()) {
  let database: EmbeddedDatabase
  beforeAll(async () => {
    database = await openEmbedded(undefined, template())
  })
  afterAll(async () => {
    await database?.close()
  })

  describe('the embedded database on its thread', () => {
    it('hands values over in the shapes the service reads: Date, Uint8Array, numbers, date text, JSON, arrays', async () => {
      const { rows } = await database.query<Record<string, unknown>>(
        `select '2024-03-05 06:07:08.5+00'::timestamptz as at, '\\x00ff10'::bytea as bytes, 9007199254740991::int8 as big,
                '2024-02-29'::date as day, '{"a": [1, {"b": null}]}'::json as doc, array['x', 'y'] as words,
                array[1.5, 2]::float8[] as numbers, null::text as nothing, 7 as small`,
      )
      expect(rows).toEqual([
        {
          at: new Date('2024-03-05T06:07:08.500Z'),
          bytes: new Uint8Array([0, 255, 16]),
          big: 9007199254740991,
          day: '2024-02-29',
          doc: { a: [1, { b: null }] },
          words: ['x', 'y'],
          numbers: [1.5, 2],
          nothing: null,
          small: 7,
        },
      ])
      expect(rows[0]!.at).toBeInstanceOf(Date)
      expect(rows[0]!.bytes).toBeInstanceOf(Uint8Array)
    })

    it('takes parameters of those shapes too', async () => {
      const { rows } = await database.query<Record<string, unknown>>(
        `select $1::timestamptz as at, $2::bytea as bytes, $3::jsonb as doc, $4::int[] as ids, $5::text as nothing`,
        [new Date('2025-01-01T00:00:00Z'), Buffer.from([1, 2, 3]), { k: ['v'] }, [3, 4], null],
      )
      expect(rows).toEqual([
        { at: new Date('2025-01-01T00:00:00Z'), bytes: new Uint8Array([1, 2, 3]), doc: { k: ['v'] }, ids: [3, 4], nothing: null },
      ])
    })

    it('counts the rows a write touched', async () => {
      await database.query('create temporary table scratch_counts (n int)')
      expect((await database.query('insert into scratch_counts select generate_series(1, 3)')).affectedRows).toBe(3)
      expect((await database.query('delete from scratch_counts where n > 1')).affectedRows).toBe(2)
    })

    it("rebuilds the database's error with every field the service maps (SQLSTATE, constraint, table, detail)", async () => {
      await database.query('create temporary table scratch_keys (id int primary key)')
      await database.query('insert into scratch_keys values (1)')
      const error = await database.query('insert into scratch_keys values (1)').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(Error)
      expect(error).toMatchObject({
        message: 'duplicate key value violates unique constraint "scratch_keys_pkey"',
        code: '23505',
        severity: 'ERROR',
        constraint: 'scratch_keys_pkey',
        table: 'scratch_keys',
        detail: 'Key (id)=(1) already exists.',
        query: 'insert into scratch_keys values (1)',
      })
      const syntax = await database.query('select from where').catch((e: unknown) => e)
      expect(syntax).toMatchObject({ code: '42601', position: expect.any(String) })
    })

    it('refuses a parameter that cannot cross to the thread, and goes on answering', async () => {
      await expect(database.query('select $1::text', [() => 1])).rejects.toThrow(/could not be cloned/)
      expect((await database.query('select 1 as one')).rows).toEqual([{ one: 1 }])
    })

    it('runs the requests in the order they were made, one at a time', async () => {
      await database.query('create temporary table scratch_order (n int)')
      const writes = Array.from({ length: 20 }, (_, i) => database.query('insert into scratch_order values ($1)', [i]))
      const read = database.query<{ ns: number[] }>('select array_agg(n order by ctid) as ns from scratch_order')
      await Promise.all(writes)
      expect((await read).rows[0]!.ns).toEqual(Array.from({ length: 20 }, (_, i) => i))
    })

    it("keeps the service's event loop turning while a statement runs", async () => {
      let turns = 0
      const ticking = setInterval(() => (turns += 1), 10)
      try {
        await database.query('select pg_sleep(1)')
      } finally {
        clearInterval(ticking)
      }
      // On this thread the second-long statement would let no timer run until it ended.
      expect(turns).toBeGreaterThanOrEqual(10)
    })

    it('dumps its data folder as a tarball that a new database starts from', async () => {
      await database.query('create table scratch_kept (word text)')
      await database.query("insert into scratch_kept values ('固原')")
      const dump = await database.dumpDataDir('gzip')
      expect(new Uint8Array(await dump.slice(0, 2).arrayBuffer())).toEqual(new Uint8Array([0x1f, 0x8b]))
      const copy = await openEmbedded(undefined, dump)
      try {
        expect((await copy.query('select word from scratch_kept')).rows).toEqual([{ word: '固原' }])
      } finally {
        await copy.close()
      }
    })
  })

  describe('a database whose thread ends', () => {
    it('fails a statement that was running, and every later one, and says it is closed', async () => {
      const doomed = await openEmbedded(undefined, template())
      const running = doomed.query('select pg_sleep(30)').catch((e: unknown) => e)
      // The statement is on the thread when the thread goes.
      await new Promise((resolve) => setTimeout(resolve, 200))
      await doomed.terminate()
      expect(await running).toMatchObject({ message: expect.stringMatching(/the embedded database stopped/) })
      expect(doomed.closed).toBe(true)
      await expect(doomed.query('select 1')).rejects.toThrow(/the embedded database stopped/)
      await doomed.close()
    })

    it('refuses to start from a tarball that is no data folder, leaving no thread behind', async () => {
      await expect(openEmbedded(undefined, new Blob([new Uint8Array(4096).fill(7)]))).rejects.toThrow()
    })

    it('does not hold a process open once its requests are answered', { timeout: 120_000 }, async () => {
      const script = `
        import fs from 'node:fs'
        import { openEmbedded } from './server/db/connect.ts'
        const database = await openEmbedded(undefined, new Blob([fs.readFileSync(process.env.TEMPLATE)]))
        console.log(JSON.stringify((await database.query('select 41 + 1 as answer')).rows))
      `
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: ROOT,
        env: { ...process.env, TEMPLATE: inject('embeddedTemplate') },
        timeout: 100_000,
      })
      expect(stdout.trim()).toBe('[{"answer":42}]')
    })
  })
} else {
  // On the server the driver is pg's, in this process: the same fields reach the service (errors.ts maps them).
  it('the server database has no thread, and its errors carry the fields the embedded ones do', async () => {
    const database = await createTestDatabase()
    try {
      expect(database.embedded).toBeUndefined()
      // A table of this scratch database (a temporary one would live on one of the pool's connections only).
      await sql`create table scratch_keys (id int primary key)`.execute(database.db)
      await sql`insert into scratch_keys values (1)`.execute(database.db)
      const error = await sql`insert into scratch_keys values (1)`.execute(database.db).catch((e: unknown) => e)
      expect(error).toMatchObject({
        code: '23505',
        severity: 'ERROR',
        constraint: 'scratch_keys_pkey',
        table: 'scratch_keys',
        detail: 'Key (id)=(1) already exists.',
      })
    } finally {
      await database.close()
    }
  })
}
