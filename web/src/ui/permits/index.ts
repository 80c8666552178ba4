import { t } from '../../i18n.ts'
import { readRoute, updateParams } from '../../router.ts'
import { h } from '../dom.ts'
import type { ScreenContext } from '../screen.ts'
import { showApplicationForm } from './application-form.ts'
import type { PermitDesk } from './desk.ts'
import { showPermitDetail } from './detail.ts'
import { showQueue } from './queue.ts'

/** The permit desk: the caller's queue with filters, one application with its screening, and the decision. */
export function mountPermits(context: ScreenContext): () => void {
  const { user, view, panel } = context
  let disposed = false
  const cleanups: (() => void)[] = []

  const desk: PermitDesk = {
    user,
    view,
    panel,
    disposed: () => disposed,
    onLeave: (cleanup) => void cleanups.push(cleanup),
    openPermit: (id) => {
      updateParams({ id }, true)
      void desk.showPermit(id)
    },
    showPermit: (id, notice) => showPermitDetail(desk, id, notice),
    showNewApplication: () => showApplicationForm(desk),
    backButton: () =>
      h(
        'button',
        {
          type: 'button',
          class: 'link back',
          onclick: () => {
            for (const cleanup of cleanups.splice(0)) cleanup()
            updateParams({ id: null }, true)
            void showQueue(desk)
          },
        },
        `← ${t('permitsTitle')}`,
      ),
  }

  const onPop = () => {
    const id = Number(readRoute().params.get('id'))
    if (readRoute().screen !== 'permits') return
    if (id) void desk.showPermit(id)
    else void showQueue(desk)
  }
  window.addEventListener('popstate', onPop)
  const initial = Number(readRoute().params.get('id'))
  if (initial) void desk.showPermit(initial)
  else void showQueue(desk)
  return () => {
    disposed = true
    window.removeEventListener('popstate', onPop)
    for (const cleanup of cleanups) cleanup()
  }
}
