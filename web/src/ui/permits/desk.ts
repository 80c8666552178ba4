import type { User } from '../../api/client.ts'
import type { MapView } from '../../map/map-view.ts'

/** A line shown above an application, such as why it was reloaded. */
export interface Notice {
  text: string
  tone: 'error' | 'info'
}

/** What the permit desk's parts share: who works, where they draw, and how to move from one part to another. */
export interface PermitDesk {
  user: User
  view: MapView
  panel: HTMLElement
  /** True once the screen is taken down, so a late answer draws nothing. */
  disposed(): boolean
  /** Runs the cleanup when the clerk goes back to the queue or leaves the screen. */
  onLeave(cleanup: () => void): void
  openPermit(id: number): void
  showPermit(id: number, notice?: Notice): Promise<void>
  showNewApplication(): void
  /** The link back to the queue. */
  backButton(): HTMLElement
}
