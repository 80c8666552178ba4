import { h } from '../dom.ts'
import { t } from '../../i18n.ts'
import type { ScreenMount } from '../screen.ts'

/**
 * The governance desk is loaded when it is first opened, as a chunk of its own: clerks who never open it do not
 * download its forms, charts and words with the desk.
 */
export const mountGovernance: ScreenMount = (context) => {
  let left = false
  let unmount = () => {}
  context.panel.replaceChildren(h('p', { class: 'loading', role: 'status' }, t('loading')))
  import('./index.ts')
    .then((module) => {
      if (!left) unmount = module.mountGovernance(context)
    })
    .catch((error: unknown) => {
      if (!left) context.panel.replaceChildren(h('p', { class: 'error', role: 'alert' }, (error as Error).message))
    })
  return () => {
    left = true
    unmount()
  }
}
