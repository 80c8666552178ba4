import type { ColumnType, Generated } from 'kysely'

/** Geometry columns are written through PostGIS helpers and read as GeoJSON; their raw value is opaque. */
export type Geometry = ColumnType<unknown, unknown, unknown>
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type Json = ColumnType<unknown, string | undefined, string>
/** The database computes these from the name (migrations/0005_search.ts); never written by the service. */
interface SearchColumns {
  search_key: ColumnType<string, never, never>
  search_grams: ColumnType<string[], never, never>
  /** Written by the service (a pinyin dictionary), null until then. */
  search_pinyin: ColumnType<string | null, string | null | undefined, string | null>
  search_initials: ColumnType<string | null, string | null | undefined, string | null>
}

export interface AppSettingsTable {
  key: string
  value: Json
  updated_at: Generated<Date>
}

export interface CountiesTable {
  code: string
  name: string
  geom: Geometry
}

export interface TownshipsTable extends SearchColumns {
  code: string
  name: string
  county_code: string
  geom: Geometry | null
}

export interface VillagesTable extends SearchColumns {
  code: string
  name: string
  township_code: string
  county_code: string
}

export interface UsersTable {
  id: Generated<number>
  username: string
  password_hash: string
  department: string
  role: string
  county_code: string | null
  demo: Generated<boolean>
  created_at: Generated<Date>
  disabled_at: Date | null
}

export interface SessionsTable {
  token_hash: string
  user_id: number
  created_at: Generated<Date>
  expires_at: Timestamp
  revoked_at: Date | null
  last_seen_at: Generated<Date>
  /** A short id an administrator names the session by: the first 16 hex digits of the token's hash. */
  public_id: string
  address: string | null
  user_agent: string | null
}

export interface ApiTokensTable {
  id: Generated<number>
  user_id: number
  name: string
  access: 'read' | 'write'
  /** SHA-256 of the secret, hex; the secret itself is never stored. */
  token_hash: string
  /** The first characters of the secret, to recognise a token by in lists. */
  prefix: string
  created_at: Generated<Date>
  /** The last day (Beijing time) the token works. */
  expires_on: string
  last_used_at: Date | null
  revoked_at: Date | null
  revoked_by: number | null
}

export interface LoginFailuresTable {
  scope: 'address' | 'username'
  key: string
  window_start: Timestamp
  failures: number
  last_at: Timestamp
}

export interface SchoolsTable extends SearchColumns {
  id: Generated<number>
  name: string
  school_type: string
  county_code: string
  address: string | null
  students: number | null
  staff: number | null
  boarding: Generated<boolean>
  opened_on: string | null
  geom: Geometry
  gates: Geometry | null
  /** §7 staffing facts (migration 0011); null = not recorded. */
  guards: number | null
  doctors: number | null
  psychology_teachers: number | null
  boarding_students: number | null
  dormitories: ColumnType<unknown, string | null | undefined, string | null>
  alarm_linked_to_police: boolean | null
  source_crs: Generated<string>
  demo: Generated<boolean>
  version: Generated<number>
  created_at: Generated<Date>
  updated_at: Generated<Date>
  /** Police desk (migration 0009): urban (城市学校), whether a clerk set it or the urban areas did, own peak windows. */
  urban: Generated<boolean>
  urban_source: Generated<string>
  peak_windows: Json | null
}

export interface PremisesTable extends SearchColumns {
  id: Generated<number>
  name: string
  category: string
  licence_no: string | null
  licence_status: Generated<string>
  licensed_on: string | null
  expires_on: string | null
  address: string | null
  county_code: string
  geom: Geometry
  source_crs: Generated<string>
  demo: Generated<boolean>
  version: Generated<number>
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface AuditLogTable {
  id: Generated<number>
  at: Generated<Date>
  user_id: number | null
  username: string | null
  role: string | null
  department: string | null
  action: string
  entity_type: string
  entity_id: string | null
  before: Json | null
  after: Json | null
  request_id: string | null
  /** The API token the request was made with, if any (migration 0014). */
  token_id: number | null
  token_name: string | null
}

export interface RulesTable {
  id: Generated<number>
  category: string
  school_type: string
  limit_m: number
  origin: string
  path: string
  band_names: ColumnType<string[], unknown, unknown>
  band_edges: ColumnType<number[], unknown, unknown>
  legal_basis: string
  effective_from: string
  effective_to: string | null
  version: Generated<number>
  updated_at: Generated<Date>
  updated_by: number | null
}

export interface ConflictsTable {
  premises_id: number
  school_id: number
  rule_id: number
  rule_version: number
  band: string
  detected_at: Generated<Date>
  /** Walking rules only: what the network measured when the conflict was found (migration 0007). */
  path: Generated<string>
  distance_m: number | null
  straight_m: number | null
  gate_index: number | null
  measured_by: string | null
  measure_note: string | null
  route: Geometry | null
  /** The row's hash, computed by the database (migration 0018): never written. */
  row_digest: ColumnType<number, never, never>
}

export interface PermitsTable {
  id: Generated<number>
  applicant_name: string
  applicant_id_number: string
  business_name: string
  category: string
  kind: string
  address: string
  county_code: string
  geom: Geometry
  input_lon: number
  input_lat: number
  source_crs: string
  status: Generated<string>
  screening: Json
  screened_at: Timestamp
  flagged_override: Generated<boolean>
  decision_reason: string | null
  override_justification: string | null
  decided_by: number | null
  decided_by_name: string | null
  decided_role: string | null
  decided_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  premises_id: number | null
  licence_no: string | null
  rectification: Json | null
  submitted_by: number
  submitted_by_name: string
  submitted_at: Generated<Date>
  updated_at: Generated<Date>
  version: Generated<number>
}

export interface SchoolZonesTable {
  school_id: number
  limit_m: number
  origin: string
  band_index: number
  band: string
  inner_m: number
  outer_m: number
  geom: Geometry
  /** What the band was drawn from (zones/maintenance.ts zoneFingerprint); null for bands drawn before fingerprints. */
  inputs_md5: string | null
}

export interface TileVersionsTable {
  layer: string
  version: ColumnType<number, number | undefined, number>
  epoch: Generated<string>
  updated_at: Generated<Date>
}

export interface AddressPointsTable extends SearchColumns {
  id: Generated<number>
  address: string
  geom: Geometry
  county_code: string
  source: string
  source_crs: Generated<string>
  demo: Generated<boolean>
  created_at: Generated<Date>
}

export interface RoadSourcesTable {
  id: Generated<number>
  name: string
  format: string
  licence: string
  attribution: string
  imported_at: Generated<Date>
  imported_by: number | null
}

export interface RoadsTable {
  id: Generated<number>
  source_id: number
  osm_id: string | null
  name: string | null
  kind: string
  walkable: boolean
  drivable: boolean
  oneway: Generated<boolean>
  geom: Geometry
  created_at: Generated<Date>
  updated_at: Generated<Date>
  search_key: ColumnType<string | null, never, never>
  search_grams: ColumnType<string[] | null, never, never>
  search_pinyin: ColumnType<string | null, string | null | undefined, string | null>
  search_initials: ColumnType<string | null, string | null | undefined, string | null>
}

export interface RoadVerticesTable {
  id: Generated<number>
  lon: number
  lat: number
}

export interface RoadWalkComponentsTable {
  vertex_id: number
  component: number
}

export interface RoadSegmentsTable {
  id: Generated<number>
  road_id: number
  seq: number
  source: number
  target: number
  length_m: number
  walkable: boolean
  drivable: boolean
  oneway: boolean
  geom: Geometry
}

/** The columns every registry table of the police desk has (migration 0009). */
interface PoliceRegistryColumns {
  id: Generated<number>
  demo: Generated<boolean>
  version: Generated<number>
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface PoliceStationsTable extends PoliceRegistryColumns {
  name: string
  county_code: string
  address: string | null
  phone: string | null
  geom: Geometry | null
}

export interface PatrolGridsTable extends PoliceRegistryColumns {
  name: string
  station_id: number
  geom: Geometry
}

export interface PatrolUnitsTable extends PoliceRegistryColumns {
  name: string
  station_id: number
  mode: string
  /** China Standard Time wall clock, read as "HH:MM:SS". */
  shift_start: string
  shift_end: string
  base: Geometry
  officers: Generated<number>
  active: Generated<boolean>
}

export interface UrbanAreasTable extends PoliceRegistryColumns {
  name: string
  county_code: string
  geom: Geometry
}

export interface WarningSignsTable extends PoliceRegistryColumns {
  school_id: number
  geom: Geometry
  state: Generated<string>
  installed_on: string | null
  note: string | null
}

export interface CamerasTable extends PoliceRegistryColumns {
  school_id: number
  geom: Geometry
  gate: number | null
  state: Generated<string>
  linked_to_police: Generated<boolean>
  note: string | null
}

export interface PatrolPoliciesTable {
  id: Generated<number>
  version: number
  effective_from: string
  visits_per_urban_school: Generated<number>
  min_gap_minutes: Generated<number>
  dwell_min_minutes: Generated<number>
  dwell_max_minutes: Generated<number>
  peak_windows: ColumnType<unknown, string | undefined, string>
  posts: ColumnType<unknown, string | undefined, string>
  /** numeric: read as a string by pg, written as a number. */
  car_speed_kmh: ColumnType<string | number, number | undefined, number>
  foot_speed_kmh: ColumnType<string | number, number | undefined, number>
  reason: string
  created_by: number | null
  created_at: Generated<Date>
}

export interface PatrolPlansTable {
  id: Generated<number>
  date: string
  county_code: string | null
  station_id: number | null
  policy_version: number
  seed: string
  length_m: number
  lower_bound_m: number
  nearest_neighbour_m: number | null
  solver: ColumnType<unknown, string | undefined, string>
  schools: ColumnType<unknown, string, string>
  unmet: ColumnType<unknown, string, string>
  demo: Generated<boolean>
  created_by: number | null
  created_at: Generated<Date>
}

export interface PatrolPlanUnitsTable {
  plan_id: number
  unit_id: number
  route: Geometry | null
  length_m: Generated<number>
}

export interface PatrolPlanStopsTable {
  id: Generated<number>
  plan_id: number
  unit_id: number
  seq: number
  kind: string
  school_id: number
  gate: number | null
  arrive_at: Timestamp
  depart_at: Timestamp
  /** Where the stop was planned: the gate, or a point of the campus. */
  geom: Geometry
}

export interface PatrolVisitsTable {
  id: Generated<number>
  unit_id: number
  school_id: number | null
  at: Timestamp
  geom: Geometry
  accuracy_m: number | null
  distance_m: number | null
  source: string
  source_crs: Generated<string>
  /** Tracks only: when the stay ended. */
  left_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  demo: Generated<boolean>
  created_by: number | null
  created_at: Generated<Date>
}

export interface HazardsTable {
  id: Generated<number>
  school_id: number
  premises_id: number | null
  kind: string
  grade: Generated<string>
  title: string
  description: string | null
  geom: Geometry | null
  source: string
  department: string
  county_code: string
  state: Generated<string>
  close_reason: string | null
  responsible_party: string | null
  measures: string | null
  funds: string | null
  deadline: string | null
  contingency_plan: string | null
  extension_deadline: string | null
  extension_reason: string | null
  extension_requested_by: number | null
  extension_requested_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  rectified_by: number | null
  rectified_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  accepted_by: number | null
  accepted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  reported_up_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  found_at: Timestamp
  closed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  conflict_cleared_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  demo: Generated<boolean>
  version: Generated<number>
  created_by: number | null
  created_by_name: string | null
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface HazardEventsTable {
  id: Generated<number>
  hazard_id: number
  action: string
  from_state: string | null
  to_state: string
  note: string | null
  fields: Json | null
  actor: number | null
  actor_name: string | null
  at: Generated<Date>
}

export interface HazardAttachmentsTable {
  id: Generated<number>
  hazard_id: number
  sha256: string
  content_type: string
  filename: string
  bytes: number
  phase: string
  content: Buffer
  created_by: number | null
  created_by_name: string | null
  created_at: Generated<Date>
}

export interface EscalationStepsTable {
  step: string
  rank: number
  days_overdue: number
  name_zh: string
}

export interface HazardEscalationsTable {
  hazard_id: number
  deadline: string
  step: string
  days_overdue: number
  at: Generated<Date>
}

export interface InspectionSchedulesTable {
  id: Generated<number>
  school_id: number | null
  level: string
  every: string
  active: Generated<boolean>
}

export interface InspectionsTable {
  id: Generated<number>
  school_id: number
  level: string
  done_at: Timestamp
  inspector: string
  checklist: Json
  findings: string | null
  hazard_ids: ColumnType<number[], number[] | undefined, number[]>
  county_code: string
  demo: Generated<boolean>
  created_by: number | null
  created_by_name: string | null
  created_at: Generated<Date>
}

export interface Database {
  app_settings: AppSettingsTable
  counties: CountiesTable
  townships: TownshipsTable
  villages: VillagesTable
  users: UsersTable
  sessions: SessionsTable
  login_failures: LoginFailuresTable
  api_tokens: ApiTokensTable
  schools: SchoolsTable
  premises: PremisesTable
  audit_log: AuditLogTable
  rules: RulesTable
  conflicts: ConflictsTable
  permits: PermitsTable
  school_zones: SchoolZonesTable
  tile_versions: TileVersionsTable
  address_points: AddressPointsTable
  road_sources: RoadSourcesTable
  roads: RoadsTable
  road_vertices: RoadVerticesTable
  road_segments: RoadSegmentsTable
  road_walk_components: RoadWalkComponentsTable
  police_stations: PoliceStationsTable
  patrol_grids: PatrolGridsTable
  patrol_units: PatrolUnitsTable
  urban_areas: UrbanAreasTable
  warning_signs: WarningSignsTable
  cameras: CamerasTable
  patrol_policies: PatrolPoliciesTable
  patrol_plans: PatrolPlansTable
  patrol_plan_units: PatrolPlanUnitsTable
  patrol_plan_stops: PatrolPlanStopsTable
  patrol_visits: PatrolVisitsTable
  hazards: HazardsTable
  hazard_events: HazardEventsTable
  hazard_attachments: HazardAttachmentsTable
  escalation_steps: EscalationStepsTable
  hazard_escalations: HazardEscalationsTable
  inspection_schedules: InspectionSchedulesTable
  inspections: InspectionsTable
}
