/**
 * The county of a registry record comes from where it is, never from what the request says: a premises'
 * point, a school's campus by the point on its surface (ST_PointOnSurface, always inside the campus; a
 * campus across a county line belongs to the county holding that point). A declared `countyCode` is a
 * check: one that disagrees with the outlines is refused, and so is a place in no county of Guyuan.
 */
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, type FieldProblem } from '../../errors.ts'
import { countiesAt, type CountyProbe } from '../reference/repository.ts'

type Db = Kysely<Database> | Transaction<Database>

/** One record to place: its WGS84 geometry and the county its writer declared, if any. */
export interface Placement {
  geometry: CountyProbe
  declared?: string | null | undefined
}

export type Placed = { countyCode: string; problems: [] } | { countyCode?: undefined; problems: FieldProblem[] }

const position = ([lon, lat]: [number, number]) => `(${lon.toFixed(6)}, ${lat.toFixed(6)})`

/**
 * The county of each record, in input order, found in one query; `path` is where the record sits in the
 * request (`body`, or `` for an import row), so that problems name `…/geometry` or `…/properties/countyCode`.
 */
export async function placeAll(db: Db, items: readonly Placement[], path: string): Promise<Placed[]> {
  const found = await countiesAt(
    db,
    items.map((item) => item.geometry),
  )
  return items.map((item, i) => {
    const { found: county, at } = found[i]!
    const what = item.geometry.type === 'Point' ? 'the point' : 'the campus (its point on surface)'
    if (!county) return { problems: [{ field: `${path}/geometry`, message: `${what} ${position(at)} WGS84 lies in no county of Guyuan` }] }
    if (item.declared && item.declared !== county.code)
      return {
        problems: [
          {
            field: `${path}/properties/countyCode`,
            message: `declared ${item.declared}, but ${what} ${position(at)} lies in ${county.code} (${county.name}); leave countyCode out or give ${county.code}`,
          },
        ],
      }
    return { countyCode: county.code, problems: [] }
  })
}

/** The county of one record, or a 422 naming `body/geometry` or `body/properties/countyCode`. */
export async function placeOne(db: Db, item: Placement): Promise<string> {
  const [placed] = await placeAll(db, [item], 'body')
  if (placed!.countyCode === undefined) {
    const problems = placed!.problems
    throw new AppError('UNPROCESSABLE', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { problems })
  }
  return placed!.countyCode
}
