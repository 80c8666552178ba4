import { LICENCE_STATUSES } from '../../../../server/schemas/vocabulary.ts'
import type { MapView } from '../../map/map-view.ts'
import { LAYER_GROUPS, type LayerGroup } from '../../map/style.ts'

/** Layer and filter choices survive screen changes within a session. */
export const layerState = {
  visible: Object.fromEntries(Object.keys(LAYER_GROUPS).map((g) => [g, true])) as Record<LayerGroup, boolean>,
  onlyConflicts: false,
  statuses: new Set<string>(LICENCE_STATUSES),
}

/** Shows the chosen layers and filters the premises as chosen. */
export function applyLayerState(view: MapView): void {
  for (const group of Object.keys(LAYER_GROUPS) as LayerGroup[]) view.setGroupVisible(group, layerState.visible[group])
  view.setPremisesFilter({
    onlyConflicts: layerState.onlyConflicts,
    statuses: layerState.statuses.size === LICENCE_STATUSES.length ? null : [...layerState.statuses],
  })
}
