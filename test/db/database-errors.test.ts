/**
 * The database's refusals, as the service answers them: real errors from the database (both drivers), each turned into
 * a 4xx naming the field, with none of the database's own text (values, table or constraint names, SQL words).
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { DatabaseHandle } from '../../server/db/connect.ts'
import { fromDatabaseError } from '../../server/errors.ts'
import { createTestDatabase } from '../helpers/database.ts'

let database: DatabaseHandle

beforeAll(async () => {
  database = await createTestDatabase()
  await sql`create table scratch_owners (id integer primary key, licence_no text unique, age integer check (age >= 0), name text not null)`.execute(
    database.db,
  )
  await sql`create table scratch_pets (id integer primary key, owner_id integer references scratch_owners (id))`.execute(database.db)
  await sql`insert into scratch_owners values (1, 'SECRET-LICENCE-1', 30, 'kept')`.execute(database.db)
  await sql`insert into scratch_pets values (1, 1)`.execute(database.db)
})
afterAll(async () => {
  await database?.close()
})

/** The answer to the error a statement raises. */
async function answerTo(statement: ReturnType<typeof sql>) {
  try {
    await statement.execute(database.db)
  } catch (error) {
    const answer = fromDatabaseError(error)
    expect(answer, String(error)).toBeDefined()
    // Nothing of the database's own wording or the stored values.
    expect(answer!.message).not.toMatch(/SECRET|violates|constraint|scratch_|Key \(|relation|syntax|integer/i)
    return { status: answer!.statusCode, message: answer!.message, details: answer!.details }
  }
  throw new Error('the statement succeeded')
}

it('a duplicate value names the field: 409', async () => {
  expect(await answerTo(sql`insert into scratch_owners values (2, 'SECRET-LICENCE-1', 1, 'x')`)).toEqual({
    status: 409,
    message: 'licenceNo: is already taken by another record',
    details: { problems: [{ field: 'licenceNo', message: 'is already taken by another record' }] },
  })
})

it('a broken data rule names the field: 422', async () => {
  expect(await answerTo(sql`insert into scratch_owners values (3, 'L3', -1, 'x')`)).toMatchObject({
    status: 422,
    message: 'age: breaks a data rule of the registry',
  })
})

it('a missing required value names the column: 422', async () => {
  expect(await answerTo(sql`insert into scratch_owners (id, licence_no, age) values (4, 'L4', 1)`)).toMatchObject({
    status: 422,
    message: 'name: is required',
  })
})

it('a reference to nothing, and a delete of what is still referred to: 422', async () => {
  expect(await answerTo(sql`insert into scratch_pets values (2, 999)`)).toMatchObject({
    status: 422,
    message: 'ownerId: refers to a record that does not exist',
  })
  expect(await answerTo(sql`delete from scratch_owners where id = 1`)).toMatchObject({
    status: 422,
    message: 'ownerId: is still referred to by other records',
  })
})

it('a value of the wrong type or out of range: 400 without the value', async () => {
  expect(await answerTo(sql`select 'SECRET-not-a-number'::integer`)).toMatchObject({ status: 400 })
  expect(await answerTo(sql`select 99999999999::integer`)).toMatchObject({ status: 400 })
  expect(await answerTo(sql`select 'SECRET-day'::date`)).toMatchObject({ status: 400 })
})
