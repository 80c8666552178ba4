/**
 * What the daily patrol planner takes and gives, with no database: times are seconds after midnight of the
 * plan's date on the China Standard Time wall clock, places are indices into a travel matrix.
 */
import type { UnmetVisitReason } from '../../../../schemas/patrol-plans.ts'

export type Mode = 'car' | 'foot'

/** A peak window: `start`/`end` as "HH:MM", China Standard Time. */
export interface PeakWindow {
  name: string
  start: string
  end: string
}

/** Which schools get a post at which gate in which of their peak windows. */
export interface PostRule {
  scope: 'urban' | 'all'
  gate: number
  windows: string[]
}

export interface PlannerPolicy {
  version: number
  visitsPerUrbanSchool: number
  minGapMinutes: number
  dwellMinMinutes: number
  dwellMaxMinutes: number
  peakWindows: PeakWindow[]
  posts: PostRule[]
  carSpeedKmh: number
  footSpeedKmh: number
}

export interface PlannerUnit {
  id: number
  name: string
  mode: Mode
  /** "HH:MM" or "HH:MM:SS"; a shift ending before it starts runs past midnight and is cut at midnight. */
  shiftStart: string
  shiftEnd: string
  /** The unit's base in the travel matrix, or null when the base is too far from any road its mode may use. */
  base: number | null
}

export interface PlannerSchool {
  id: number
  name: string
  urban: boolean
  /** Bigger schools get the posts first when units are too few. */
  students: number | null
  /** Location of each gate in the travel matrix (1-based gate g is gates[g - 1]); null where a gate is off the network. */
  gates: (number | null)[]
  /** Where visits stop: the main gate, or a point of the campus for a school without gates. */
  visitLocation: number | null
  /** The school's own peak windows, or null for the policy's. */
  peakWindows: PeakWindow[] | null
}

/** Network lengths in metres between locations for a mode (Infinity where there is no path); the matrix is row-major. */
export interface TravelMatrix {
  size: number
  metres: Partial<Record<Mode, Float64Array>>
}

export interface PlannerInput {
  date: string
  /** The text the pseudo-random choices are seeded with (the date and the scope): the same seed gives the same plan. */
  seed: string
  policy: PlannerPolicy
  units: PlannerUnit[]
  schools: PlannerSchool[]
  travel: TravelMatrix
  /** Route schedules the local search may compute (default 3,000,000): a budget of work, not of time, so that the same input always gives the same plan. */
  searchBudget?: number
  /** Called often between small pieces of work; a server yields to the event loop in it when a slice of time is used up. */
  pause?: () => Promise<void>
}

export interface PlannedStop {
  kind: 'post' | 'visit'
  schoolId: number
  gate: number | null
  /** The peak window a post covers. */
  window?: string
  location: number
  arriveAt: number
  departAt: number
}

export interface PlannedUnit {
  unitId: number
  mode: Mode
  stops: PlannedStop[]
  /** Base → stops → base; zero when the unit has no stop. */
  lengthM: number
  /** The locations in order, base first and last, for drawing the route. */
  path: number[]
  /** Seconds after midnight at which the unit leaves its base and is back. */
  leaveAt: number
  returnAt: number
}

export interface UnmetTask {
  schoolId: number
  kind: 'post' | 'visit'
  window?: string
  reason: string
  /** An unmet visit's reason as a code with the figures it names, for the screen's language. */
  reasonCode?: UnmetVisitReason
  reasonValues?: Record<string, string | number>
}

export interface SchoolCoverage {
  schoolId: number
  urban: boolean
  required: number
  planned: number
}

export interface SolverReport {
  status: string
  /** The posts assignment MILP: its objective, the LP relaxation's and the relative gap between them. */
  postsObjective: number | null
  postsRelaxation: number | null
  gap: number | null
  variables: number
  constraints: number
  /** Time to build and solve the posts MILP (and its relaxation). */
  postsSeconds: number
  /** The whole planner, posts, routing, bound and baseline. */
  seconds: number
  localSearchMoves: number
  localSearchSeconds: number
}

export interface PlanResult {
  units: PlannedUnit[]
  unmet: UnmetTask[]
  schools: SchoolCoverage[]
  lengthM: number
  lowerBoundM: number
  nearestNeighbourM: number
  /** Visits the nearest-neighbour plan manages with the same posts (for a fair comparison of lengths). */
  nearestNeighbourVisits: number
  solver: SolverReport
}
