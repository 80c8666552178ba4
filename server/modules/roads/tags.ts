import { ROAD_KINDS, type RoadKind } from '../../schemas/roads.ts'

/** What the service keeps of a road's OpenStreetMap tags. */
export interface RoadClass {
  kind: RoadKind
  walkable: boolean
  drivable: boolean
  /** One-way for vehicles, in the direction of the stored line (walking ignores it). */
  oneway: boolean
}

const KINDS = new Set<string>(ROAD_KINDS)
const WALK_ONLY = new Set<RoadKind>(['pedestrian', 'footway', 'path', 'steps'])
const YES = new Set(['yes', 'designated', 'permissive', 'official'])
const NO = new Set(['no', 'private', 'agricultural', 'forestry', 'delivery', 'customers', 'discouraged'])

/**
 * Kind, walkable, drivable and one-way from OSM tags, or undefined for what is not a road the service keeps
 * (railways, proposed and abandoned ways, areas). Defaults follow OSM's access defaults for China
 * (https://wiki.openstreetmap.org/wiki/OSM_tags_for_routing/Access_restrictions#China): no pedestrians on
 * motorways, no motor vehicles on footways, paths, steps, pedestrian streets and cycleways; then `access`,
 * `foot`, `motor_vehicle`/`motorcar`/`vehicle` override in that order. `reversed` says the one-way runs
 * against the way's node order (`oneway=-1`), so the caller stores the line reversed.
 */
export function classifyRoad(tags: Readonly<Record<string, string | undefined>>): (RoadClass & { reversed: boolean }) | undefined {
  const highway = tags.highway?.replace(/_link$/, '')
  if (!highway || !KINDS.has(highway) || tags.area === 'yes') return undefined
  const kind = highway as RoadKind
  let walkable = kind !== 'motorway' && kind !== 'cycleway'
  let drivable = !WALK_ONLY.has(kind) && kind !== 'cycleway'
  const access = tags.access
  if (access && NO.has(access)) walkable = drivable = false
  if (access && YES.has(access)) walkable = kind !== 'motorway'
  const foot = tags.foot
  if (foot && YES.has(foot)) walkable = true
  if (foot && NO.has(foot)) walkable = false
  const motor = tags.motor_vehicle ?? tags.motorcar ?? tags.vehicle
  if (motor && YES.has(motor)) drivable = true
  if (motor && NO.has(motor)) drivable = false
  const oneway = tags.oneway
  const roundabout = tags.junction === 'roundabout' || tags.junction === 'circular'
  const reversed = oneway === '-1' || oneway === 'reverse'
  return {
    kind,
    walkable,
    drivable,
    oneway: drivable && (reversed || oneway === 'yes' || oneway === 'true' || oneway === '1' || (roundabout && oneway !== 'no')),
    reversed: drivable && reversed,
  }
}
