import type { MapConfig, User } from '../api/client.ts'
import type { MapView } from '../map/map-view.ts'

/** What every screen gets: the user, the shared map, and the panel to draw into. */
export interface ScreenContext {
  user: User
  view: MapView
  panel: HTMLElement
  config: MapConfig
}

/** Draws a screen into its context and returns what takes it down again. */
export type ScreenMount = (context: ScreenContext) => () => void
