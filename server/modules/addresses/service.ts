import type { FieldProblem } from '../../errors.ts'
import { toWgs84 } from '../../geo/crs.ts'
import { validatePoint } from '../../geo/validate.ts'
import type { User } from '../../schemas/auth.ts'
import type { CrsName, Department } from '../../schemas/common.ts'
import type { CreateAddressPoint } from '../../schemas/search.ts'

/** Who keeps the address points (besides admins): they place schools and audit perimeters. */
export const ADDRESS_DEPARTMENTS: readonly Department[] = ['education', 'governance']

/** A validated, WGS84 address point ready to store. */
export interface AddressPointRecord {
  properties: { address: string; countyCode: string; source: string }
  geometry: { type: 'Point'; coordinates: [number, number] }
  sourceCrs: CrsName
  demo: boolean
}

/**
 * Why a user may not write address points in this county (found from the point), or undefined when they may;
 * `countyCode` undefined checks role and department only.
 */
export function addressWriteRefusal(user: User, countyCode: string | undefined): string | undefined {
  if (user.role === 'admin') return undefined
  if (user.role === 'viewer') return 'viewers cannot change address points'
  if (!ADDRESS_DEPARTMENTS.includes(user.department))
    return `address points are kept by ${ADDRESS_DEPARTMENTS.join(' or ')}, not ${user.department}`
  if (countyCode !== undefined && user.countyCode && user.countyCode !== countyCode)
    return `your scope is county ${user.countyCode}, this record is in ${countyCode}`
  return undefined
}

/** Checks an address point's position and converts it to WGS84; problems name fields under `path`. */
export function prepareAddressPoint(
  input: { properties: CreateAddressPoint['properties']; geometry: unknown },
  crs: CrsName,
  path: string,
  defaultSource: string,
  demo = false,
): { record?: AddressPointRecord; problems: FieldProblem[] } {
  const problems = validatePoint(input.geometry, `${path}/geometry`)
  if (problems.length > 0) return { problems }
  const [lon, lat] = (input.geometry as { coordinates: number[] }).coordinates as [number, number]
  const { address, countyCode, source } = input.properties
  return {
    record: {
      properties: { address: address.trim(), countyCode, source: source ?? defaultSource },
      geometry: { type: 'Point', coordinates: toWgs84(lon, lat, crs) },
      sourceCrs: crs,
      demo,
    },
    problems,
  }
}
