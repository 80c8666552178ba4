import type { ScreenMount } from '../screen.ts'

/** The settings screen, loaded when it is first opened: most users open it once, to make a token. */
export const mountSettings: ScreenMount = (context) => {
  let unmount: (() => void) | null = null
  let gone = false
  void import('./index.ts').then(({ mountSettings: mount }) => {
    if (!gone) unmount = mount(context)
  })
  return () => {
    gone = true
    unmount?.()
  }
}
