import type { MapConfig, User } from '../../api/client.ts'
import type { MapView } from '../../map/map-view.ts'
import type { Tab } from './rights.ts'

/** A line shown above a hazard, such as why it was reloaded. */
export interface Notice {
  text: string
  tone: 'error' | 'info'
}

/** What the governance desk's parts share: who works, where they draw, and how to move between the parts. */
export interface GovernanceDesk {
  user: User
  view: MapView
  config: MapConfig
  /** The area below the tabs. */
  content: HTMLElement
  /** A check bound to the part now drawn: true once it is left (another tab, hazard or screen), so a late answer draws nothing. */
  part(): () => boolean
  /** Runs the cleanup when the part is left (another tab, another hazard, another screen). */
  onLeave(cleanup: () => void): void
  showTab(tab: Tab): void
  openHazard(id: number, notice?: Notice): void
  openSchool(id: number): void
}
