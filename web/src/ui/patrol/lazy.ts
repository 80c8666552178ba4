import type { ScreenMount } from '../screen.ts'

/**
 * The patrol screen, loaded when it is first opened: its code (plans, coverage, editors, check-in) stays out of
 * the bundle every other desk loads.
 */
export const mountPatrol: ScreenMount = (context) => {
  let unmount: (() => void) | null = null
  let gone = false
  void import('./index.ts').then(({ mountPatrol: mount }) => {
    if (!gone) unmount = mount(context)
  })
  return () => {
    gone = true
    unmount?.()
  }
}
