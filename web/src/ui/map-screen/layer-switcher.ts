import { t } from '../../i18n.ts'
import type { MapView } from '../../map/map-view.ts'
import { BAND_COLOURS, LAYER_GROUPS, SCHOOL_COLOUR, type LayerGroup } from '../../map/style.ts'
import { h } from '../dom.ts'
import { applyLayerState, layerState } from './layer-state.ts'

const GROUP_TEXT: Record<LayerGroup, Parameters<typeof t>[0]> = {
  counties: 'layerCounties',
  townships: 'layerTownships',
  schools: 'layerSchools',
  zoneCore: 'layerZoneCore',
  zoneControl: 'layerZoneControl',
  premises: 'layerPremises',
}
const GROUP_SWATCH: Record<LayerGroup, string> = {
  counties: '#6b5b4b',
  townships: '#5a4a3a',
  schools: SCHOOL_COLOUR,
  zoneCore: BAND_COLOURS.core,
  zoneControl: BAND_COLOURS.control,
  premises: '#444444',
}

/** One checkbox per layer group, with its swatch. */
export function layerSwitcher(view: MapView): HTMLElement {
  return h(
    'ul',
    { class: 'layers' },
    (Object.keys(LAYER_GROUPS) as LayerGroup[]).map((group) => {
      const box = h('input', { type: 'checkbox', id: `layer-${group}`, checked: layerState.visible[group] })
      box.addEventListener('change', () => {
        layerState.visible[group] = box.checked
        applyLayerState(view)
      })
      return h(
        'li',
        {},
        h('label', {}, box, h('span', { class: 'swatch', style: `background:${GROUP_SWATCH[group]}` }), t(GROUP_TEXT[group])),
      )
    }),
  )
}
