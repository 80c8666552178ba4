import { bandName, CATEGORY_VALUES, categoryName, t } from '../../i18n.ts'
import { BAND_COLOURS, CATEGORY_COLOURS, CONFLICT_COLOUR } from '../../map/style.ts'
import { h } from '../dom.ts'

/** What the colours and rings on the map mean. */
export function legend(): HTMLElement {
  return h(
    'ul',
    { class: 'legend' },
    CATEGORY_VALUES.map((category) =>
      h('li', {}, h('span', { class: 'dot', style: `background:${CATEGORY_COLOURS[category]}` }), categoryName(category)),
    ),
    h('li', {}, h('span', { class: 'dot ring', style: `border-color:${CONFLICT_COLOUR}` }), t('conflictMarked')),
    h('li', {}, h('span', { class: 'swatch', style: `background:${BAND_COLOURS.core};opacity:.5` }), `${bandName('core')} 0–50 m`),
    h('li', {}, h('span', { class: 'swatch', style: `background:${BAND_COLOURS.control};opacity:.5` }), `${bandName('control')} 50–200 m`),
  )
}
