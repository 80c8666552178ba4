/** The features the demo generator writes: schools, licensed premises and address points, all marked `demo: true`. */
import type { Feature, MultiPolygon, Point, Polygon } from 'geojson'
import type { LicenceStatus, PremisesCategory, SchoolType } from '../../server/schemas/common.ts'
import type { StaffingProperties } from './school-staffing.ts'

/** A generated school's properties, as the registry imports them. */
export interface SchoolProperties extends StaffingProperties {
  name: string
  schoolType: SchoolType
  countyCode: string
  address: string
  students: number
  staff: number
  boarding: boolean
  openedOn: string
  gates: [number, number][]
  demo: true
}

/** A generated premises' properties, as the registry imports them. */
export interface PremisesProperties {
  name: string
  category: PremisesCategory
  licenceNo: string
  licenceStatus: LicenceStatus
  licensedOn: string
  expiresOn: string
  address: string
  countyCode: string
  demo: true
}

/** A generated address point's properties, as the registry imports them. */
export interface AddressProperties {
  address: string
  countyCode: string
  source: string
  demo: true
}

export type SchoolFeature = Feature<Polygon | MultiPolygon, SchoolProperties>
export type AddressFeature = Feature<Point, AddressProperties>
export type PremisesFeature = Feature<Point, PremisesProperties>

/** A whole generated registry in memory. */
export interface GeneratedSet {
  schools: SchoolFeature[]
  premises: PremisesFeature[]
}
