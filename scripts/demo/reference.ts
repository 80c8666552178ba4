/** The real places the demo generator builds on: county outlines, township and village names, township seats. */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import type { Position } from 'geojson'
import { ringsBbox } from './planar.ts'

/** One of the five counties. */
export interface CountyRef {
  /** 6-digit adcode */
  code: string
  name: string
  /** 2020 census population, people */
  population: number
  bbox: [number, number, number, number]
  /** every ring (exterior and holes) of the county's MultiPolygon, closed, WGS84 */
  rings: Position[][]
  /** the county seat, WGS84 */
  seat: [number, number]
}

/** A township-level unit (NBS 2023). */
export interface TownshipRef {
  code: string
  name: string
  countyCode: string
}

/** A village or community committee (NBS 2023). */
export interface VillageRef {
  code: string
  name: string
  townshipCode: string
  countyCode: string
}

/** A GeoNames populated place inside a county. */
export interface PlaceRef {
  /** Chinese name from GeoNames (e.g. 三营) */
  name: string
  featureCode: string
  countyCode: string
  lon: number
  lat: number
}

/** Everything loadReferenceData() reads. */
export interface ReferenceData {
  counties: CountyRef[]
  townships: TownshipRef[]
  villages: VillageRef[]
  /** GeoNames populated places inside the counties (township seats) */
  places: PlaceRef[]
}

/** 2020 census population of each county, people */
export const COUNTY_POPULATION_2020: Readonly<Record<string, number>> = {
  '640402': 470_000,
  '640422': 347_000,
  '640423': 145_000,
  '640424': 86_000,
  '640425': 196_000,
}
/** 原州区 city centre, WGS84 */
export const CITY_CENTRE: [number, number] = [106.238411, 36.016037]

interface GeoJsonFile {
  features: { properties: Record<string, unknown>; geometry: { type: string; coordinates: unknown } }[]
}

/** Reads data/boundaries/counties.geojson and the data/gazetteer files. */
export function loadReferenceData(dataDir: string): ReferenceData {
  const boundaries = JSON.parse(readFileSync(path.join(dataDir, 'boundaries', 'counties.geojson'), 'utf8')) as GeoJsonFile
  const placesFile = JSON.parse(
    readFileSync(path.join(dataDir, 'gazetteer', 'geonames_cities500_guyuan_bbox.geojson'), 'utf8'),
  ) as GeoJsonFile
  const csv = (name: string) =>
    parse(readFileSync(path.join(dataDir, 'gazetteer', name), 'utf8'), { columns: true, skip_empty_lines: true, trim: true }) as Record<
      string,
      string
    >[]

  const places: PlaceRef[] = []
  for (const f of placesFile.features) {
    const code = String(f.properties.inside_county_adcode ?? '')
    if (!/^\d{6}$/.test(code) || f.geometry.type !== 'Point') continue
    const [lon, lat] = f.geometry.coordinates as [number, number]
    places.push({
      name: String(f.properties.name_zh || f.properties.name),
      featureCode: String(f.properties.feature_code ?? ''),
      countyCode: code,
      lon,
      lat,
    })
  }

  const counties: CountyRef[] = []
  for (const f of boundaries.features) {
    const code = String(f.properties.adcode)
    const population = COUNTY_POPULATION_2020[code]
    if (population === undefined) continue // the city outline (640400) and anything else
    const polygons =
      f.geometry.type === 'MultiPolygon' ? (f.geometry.coordinates as Position[][][]) : [f.geometry.coordinates as Position[][]]
    const rings = polygons.flat()
    const [minLon, minLat, maxLon, maxLat] = ringsBbox(rings)
    const ppla3 = places.find((p) => p.countyCode === code && p.featureCode === 'PPLA3')
    const centre = f.properties.center_wgs84 as [number, number] | undefined
    const seat: [number, number] =
      code === '640402' ? CITY_CENTRE : ppla3 ? [ppla3.lon, ppla3.lat] : (centre ?? [(minLon + maxLon) / 2, (minLat + maxLat) / 2])
    counties.push({ code, name: String(f.properties.name), population, bbox: [minLon, minLat, maxLon, maxLat], rings, seat })
  }
  counties.sort((a, b) => a.code.localeCompare(b.code))
  if (counties.length !== 5) throw new Error(`expected the 5 Guyuan counties in boundaries/counties.geojson, found ${counties.length}`)

  const townships = csv('guyuan_townships_nbs2023.csv').map((r) => ({
    code: r.code ?? '',
    name: r.name ?? '',
    countyCode: r.county_code ?? '',
  }))
  const villages = csv('guyuan_villages_nbs2023.csv').map((r) => ({
    code: r.code ?? '',
    name: r.name ?? '',
    townshipCode: r.township_code ?? '',
    countyCode: r.county_code ?? '',
  }))
  return { counties, townships, villages, places }
}
