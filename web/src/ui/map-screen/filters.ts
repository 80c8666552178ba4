import { LICENCE_STATUSES } from '../../../../server/schemas/vocabulary.ts'
import { statusName } from '../../i18n.ts'
import type { MapView } from '../../map/map-view.ts'
import { h } from '../dom.ts'
import { applyLayerState, layerState } from './layer-state.ts'

/** Only premises inside a zone. */
export function conflictFilter(view: MapView): HTMLInputElement {
  const onlyConflicts = h('input', { type: 'checkbox', id: 'only-conflicts', checked: layerState.onlyConflicts })
  onlyConflicts.addEventListener('change', () => {
    layerState.onlyConflicts = onlyConflicts.checked
    applyLayerState(view)
  })
  return onlyConflicts
}

/** One checkbox per licence status. */
export function statusFilter(view: MapView): HTMLLabelElement[] {
  return LICENCE_STATUSES.map((status) => {
    const box = h('input', { type: 'checkbox', checked: layerState.statuses.has(status), value: status })
    box.addEventListener('change', () => {
      if (box.checked) layerState.statuses.add(status)
      else layerState.statuses.delete(status)
      applyLayerState(view)
    })
    return h('label', { class: 'inline' }, box, statusName(status))
  })
}
