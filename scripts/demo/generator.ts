/**
 * Deterministic generator of the DEMO registry: fictional schools (campus polygons, gates) and licensed
 * premises placed inside the real county outlines of Guyuan, near real township seats.
 *
 * Nothing here is real: every name starts with 示例 ("demo") and ends with （演示）, every feature has
 * `demo: true`, licence numbers start with DEMO-. The same options and seed give byte-identical output.
 *
 * Pure library: no database, no clock, no Math.random. The only I/O is loadReferenceData().
 * Campuses are kept in a compact store (flat typed arrays + a spatial hash) so that benchmark-sized sets
 * (10,000 schools × 500,000 premises, or 500,000 schools in a large bbox) can be generated and streamed.
 */
import { SCHOOL_TYPES } from '../../server/schemas/common.ts'
import { generateAddresses } from './addresses.ts'
import { CampusStore } from './campus-store.ts'
import { CountyIndex } from './county-index.ts'
import type { AddressFeature, GeneratedSet, PremisesFeature, SchoolFeature } from './features.ts'
import { DEFAULT_SEED, validateOptions, type GenerateOptions } from './options.ts'
import { generatePremises, type PremisesStats } from './premises.ts'
import { Rng, STREAM_SCHOOL_PROPS, STREAM_SCHOOL_STAFFING, STREAM_SEATS } from './random.ts'
import type { ReferenceData } from './reference.ts'
import { createRegions } from './regions.ts'
import { buildRoads, type RoadFeature } from './roads.ts'
import { placeSchools } from './school-placement.ts'
import { buildSchool } from './school-properties.ts'
import { guyuanSeats, syntheticSeats } from './seats.ts'

/** Counts of the generated set, for the generator's summary. */
export interface GenerationStats extends PremisesStats {
  schoolsByCounty: Record<string, number>
  schoolsByType: Record<string, number>
}

/** The placed campuses, with lazy, repeatable iterators over the features built on them. */
export interface RegistryGenerator {
  readonly options: Readonly<Required<Omit<GenerateOptions, 'bbox'>>> & { bbox?: [number, number, number, number] }
  /** number of schools placed (always options.schools) */
  readonly schoolCount: number
  /** the schools as GeoJSON features, built lazily from the compact store; repeatable and deterministic */
  schools(): Generator<SchoolFeature>
  /** the premises, generated lazily; repeatable and deterministic; resets and fills `stats` as it goes */
  premises(): Generator<PremisesFeature>
  readonly stats: GenerationStats
  /** distance in metres from a point to the nearest campus boundary (≤ maxM), -1 inside a campus, Infinity if none */
  distanceToNearestCampus(lon: number, lat: number, maxM: number): number
  /** `count` street addresses (name and house number) along the streets of the city and county seats; repeatable and deterministic */
  addresses(count: number): Generator<AddressFeature>
  /** the street network reaching every gate and premises (the premises are generated again to find them); deterministic */
  roads(): RoadFeature[]
}

/**
 * Places all campuses (compact, in memory) and returns iterators over the school and premises features.
 * Use this to stream big sets; generateRegistry() collects everything into arrays.
 */
export function createRegistryGenerator(options: GenerateOptions, reference: ReferenceData): RegistryGenerator {
  validateOptions(options)
  const seed = (options.seed ?? DEFAULT_SEED) >>> 0
  const bbox = options.bbox
  const index = new CountyIndex(reference.counties)
  const counties = reference.counties
  const seatRng = new Rng(seed, STREAM_SEATS)
  const guyuan = guyuanSeats(reference, seatRng)
  const seats = bbox ? syntheticSeats(Math.max(1, Math.round(options.schools / 12)), bbox, seatRng, index, guyuan) : guyuan
  const store = new CampusStore()
  const regions = createRegions(counties, index, bbox)

  placeSchools(options.schools, seed, bbox, counties, seats, index, store, regions)
  store.compact()

  const stats: GenerationStats = {
    schoolsByCounty: {},
    schoolsByType: {},
    premisesByCounty: {},
    premisesByCategory: {},
    premisesByStatus: {},
    premises: 0,
    premisesWithin200m: 0,
  }
  for (let i = 0; i < store.count; i++) {
    const code = regions.code(store.region[i]!)
    const type = SCHOOL_TYPES[store.type[i]!]!
    stats.schoolsByCounty[code] = (stats.schoolsByCounty[code] ?? 0) + 1
    stats.schoolsByType[type] = (stats.schoolsByType[type] ?? 0) + 1
  }

  function* schools(): Generator<SchoolFeature> {
    const counters = new Map<string, number>()
    for (let i = 0; i < store.count; i++) {
      yield buildSchool(
        i,
        new Rng(seed, STREAM_SCHOOL_PROPS, i),
        store,
        seats,
        reference,
        counters,
        regions,
        new Rng(seed, STREAM_SCHOOL_STAFFING, i),
      )
    }
  }

  return {
    options: { schools: options.schools, premises: options.premises, seed, ...(bbox ? { bbox } : {}) },
    schoolCount: store.count,
    schools,
    premises: () => generatePremises(options.premises, seed, bbox, store, seats, regions, stats),
    stats,
    distanceToNearestCampus: (lon, lat, maxM) => store.distance(lon, lat, maxM),
    addresses: (count) => generateAddresses(count, seed, store, seats, regions),
    roads: () => {
      const gates: number[] = []
      for (const school of schools()) for (const [lon, lat] of school.properties.gates) gates.push(lon, lat)
      const points: number[] = []
      for (const p of generatePremises(options.premises, seed, bbox, store, seats, regions, stats))
        points.push(p.geometry.coordinates[0]!, p.geometry.coordinates[1]!)
      return buildRoads({ seed, seats, store, gates, premises: points, bboxMode: bbox !== undefined })
    },
  }
}

/** Generates the whole set in memory (fine up to a few hundred thousand features). */
export function generateRegistry(options: GenerateOptions, reference: ReferenceData): GeneratedSet {
  const generator = createRegistryGenerator(options, reference)
  return { schools: [...generator.schools()], premises: [...generator.premises()] }
}
