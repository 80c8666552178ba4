import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseHandle } from '../../server/db/connect.ts'
import { appendAudit } from '../../server/modules/audit-log/repository.ts'
import { createTestDatabase } from '../helpers/database.ts'

let database: DatabaseHandle
const count = async () =>
  Number(
    (
      await database.db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )

beforeAll(async () => {
  database = await createTestDatabase()
  await appendAudit(
    database.db,
    { user: null, requestId: 'audit-test' },
    { action: 'create', entityType: 'school', entityId: 1, after: { name: 'kept' } },
  )
  await appendAudit(
    database.db,
    { user: null, requestId: 'audit-test' },
    { action: 'update', entityType: 'school', entityId: 1, before: { name: 'kept' }, after: { name: 'still kept' } },
  )
})
afterAll(async () => {
  await database?.close()
})

/** The SQLSTATE of a failed statement, or 'none' when it succeeded. */
async function sqlState(statement: Promise<unknown>): Promise<string> {
  try {
    await statement
    return 'none'
  } catch (error) {
    return String((error as { code?: unknown }).code ?? (error as Error).message)
  }
}

describe('audit_log is append-only', () => {
  it('accepts new entries', async () => {
    const before = await count()
    await appendAudit(
      database.db,
      { user: null, requestId: 'audit-test' },
      { action: 'delete', entityType: 'school', entityId: 1, before: { name: 'still kept' } },
    )
    expect(await count()).toBe(before + 1)
  })

  it('refuses UPDATE', async () => {
    const state = await sqlState(
      database.db.updateTable('audit_log').set({ action: 'forged' }).where('request_id', '=', 'audit-test').execute(),
    )
    expect(state).toBe('42501')
    const actions = await database.db
      .selectFrom('audit_log')
      .select('action')
      .where('request_id', '=', 'audit-test')
      .orderBy('id')
      .execute()
    expect(actions.map((a) => a.action)).toEqual(['create', 'update', 'delete'])
  })

  it('refuses DELETE', async () => {
    const before = await count()
    expect(await sqlState(database.db.deleteFrom('audit_log').where('request_id', '=', 'audit-test').execute())).toBe('42501')
    expect(await count()).toBe(before)
  })

  it('refuses TRUNCATE', async () => {
    const before = await count()
    expect(await sqlState(sql`truncate audit_log`.execute(database.db))).toBe('42501')
    expect(await count()).toBe(before)
  })

  it('refuses a change inside a transaction and rolls the transaction back', async () => {
    const before = await count()
    const state = await sqlState(
      database.db.transaction().execute(async (trx) => {
        await appendAudit(trx, { user: null, requestId: 'audit-trx' }, { action: 'create', entityType: 'school', entityId: 2 })
        await trx.deleteFrom('audit_log').where('request_id', '=', 'audit-test').execute()
      }),
    )
    expect(state).toBe('42501')
    expect(await count()).toBe(before)
  })

  it('still answers queries after the refusals', async () => {
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(database.db)
    expect(rows).toEqual([{ one: 1 }])
  })
})
