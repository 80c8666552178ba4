import { t } from '../../i18n.ts'
import type { MapView } from '../../map/map-view.ts'
import { startMeasuring } from '../../map/tools.ts'
import { h } from '../dom.ts'
import type { ToolBox } from './tool-box.ts'

/** The measuring tool's button: click points on the map, read the geodesic total. */
export function measureButton(view: MapView, tools: ToolBox): HTMLButtonElement {
  const measureButton = h('button', { type: 'button', id: 'tool-measure', 'aria-pressed': 'false' }, t('measure'))
  measureButton.addEventListener('click', () => {
    const active = measureButton.getAttribute('aria-pressed') === 'true'
    tools.stop()
    if (active) return
    measureButton.setAttribute('aria-pressed', 'true')
    const total = h('strong', { id: 'measure-total' }, '0.0 m')
    tools.element.replaceChildren(h('p', { class: 'muted small' }, t('measureHint')), h('p', {}, `${t('totalDistance')}：`, total))
    tools.start(startMeasuring(view, (m) => (total.textContent = m >= 1000 ? `${(m / 1000).toFixed(3)} km` : `${m.toFixed(1)} m`)))
  })
  return measureButton
}
