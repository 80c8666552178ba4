import type { FieldProblem } from '../../errors.ts'
import { toWgs84 } from '../../geo/crs.ts'
import { validateCampus, validateGates, validatePoint, type CampusGeometry } from '../../geo/validate.ts'
import type { CrsName } from '../../schemas/common.ts'
import type { PremisesPropertiesInput, SchoolPropertiesInput } from '../../schemas/registry.ts'
import type { PremisesRecord, SchoolRecord, Unplaced } from './kinds.ts'
import { peakWindowProblems } from '../police/rules.ts'

/** A real calendar date (the schema only checks its shape): 2023-02-30 is refused. */
function dateProblem(value: string | null | undefined, field: string): FieldProblem | undefined {
  if (!value) return undefined
  const date = new Date(`${value}T00:00:00Z`)
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value)
    return { field, message: `${value} is not a calendar date` }
  return undefined
}

type Position = number[]
const convert = (position: Position, crs: CrsName): [number, number] => toWgs84(position[0]!, position[1]!, crs)
const mapPositions = (value: unknown, crs: CrsName): unknown =>
  Array.isArray(value) && typeof value[0] === 'number'
    ? convert(value as Position, crs)
    : (value as unknown[]).map((v) => mapPositions(v, crs))

/** A structurally valid geometry's coordinates converted to WGS84. */
export function geometryToWgs84<G extends { type: string; coordinates: unknown }>(geometry: G, crs: CrsName): G {
  return crs === 'wgs84' || crs === 'cgcs2000' ? geometry : { ...geometry, coordinates: mapPositions(geometry.coordinates, crs) }
}

/** Positions converted to WGS84. */
export const positionsToWgs84 = (positions: readonly Position[], crs: CrsName) => positions.map((p) => convert(p, crs))

/** Checks a school's input and converts it to WGS84 (its county is found afterwards: county.ts); problems name fields under `path`. */
export function prepareSchool(
  input: { properties: SchoolPropertiesInput; geometry: unknown },
  crs: CrsName,
  path: string,
  demo = false,
): { record?: Unplaced<SchoolRecord>; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [...validateCampus(input.geometry, `${path}/geometry`)]
  const opened = dateProblem(input.properties.openedOn, `${path}/properties/openedOn`)
  if (opened) problems.push(opened)
  if (input.properties.peakWindows) problems.push(...peakWindowProblems(input.properties.peakWindows, `${path}/properties/peakWindows`))
  if (problems.length > 0) return { problems }
  const campus = input.geometry as CampusGeometry
  problems.push(...validateGates(input.properties.gates ?? [], campus, `${path}/properties/gates`))
  if (problems.length > 0) return { problems }
  const geometry = { type: campus.type, coordinates: mapPositions(campus.coordinates, crs) }
  const gates = (input.properties.gates ?? []).map((g) => convert(g, crs))
  // The GCJ-02/BD-09 inverse warps the shape slightly: a ring touching another could come out crossing it.
  if (crs !== 'wgs84' && crs !== 'cgcs2000') {
    const converted = validateCampus(geometry, `${path}/geometry`).map((p) => ({
      ...p,
      message: `${p.message} (after conversion from ${crs} to WGS84)`,
    }))
    if (converted.length > 0) return { problems: converted }
  }
  return { record: { properties: { ...input.properties, gates }, geometry, sourceCrs: crs, demo }, problems }
}

/** Checks a premises' input and converts it to WGS84 (its county is found afterwards: county.ts); problems name fields under `path`. */
export function preparePremises(
  input: { properties: PremisesPropertiesInput; geometry: unknown },
  crs: CrsName,
  path: string,
  demo = false,
): { record?: Unplaced<PremisesRecord>; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [...validatePoint(input.geometry, `${path}/geometry`)]
  const { licensedOn, expiresOn } = input.properties
  for (const [value, name] of [
    [licensedOn, 'licensedOn'],
    [expiresOn, 'expiresOn'],
  ] as const) {
    const problem = dateProblem(value, `${path}/properties/${name}`)
    if (problem) problems.push(problem)
  }
  if (licensedOn && expiresOn && expiresOn < licensedOn)
    problems.push({ field: `${path}/properties/expiresOn`, message: `must not be before licensedOn (${licensedOn})` })
  if (problems.length > 0) return { problems }
  const [lon, lat] = (input.geometry as { coordinates: number[] }).coordinates as [number, number]
  const geometry = { type: 'Point' as const, coordinates: toWgs84(lon, lat, crs) }
  return { record: { properties: input.properties, geometry, sourceCrs: crs, demo }, problems }
}
