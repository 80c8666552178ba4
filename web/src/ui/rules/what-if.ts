import type { PreviewPremises, PreviewResult } from '../../api/client.ts'
import { bandName, categoryName, countyName, t, type TextKey } from '../../i18n.ts'
import { WHAT_IF_COLOURS, type ZoneMode } from '../../map/what-if.ts'
import { h } from '../dom.ts'

type Tally = PreviewResult['today']
type Breakdown = 'byCategory' | 'byCounty' | 'byBand'

const signed = (n: number) => (n > 0 ? `+${n}` : String(n))

/** Today, proposed and the difference for each key of one breakdown (and the total for premises). */
function breakdownTable(result: PreviewResult, breakdown: Breakdown, title: TextKey, label: (key: string) => string): HTMLElement {
  const keys = [...new Set([...Object.keys(result.today[breakdown]), ...Object.keys(result.proposed[breakdown])])].sort()
  const row = (key: string, name: string, today: number, proposed: number, total = false) =>
    h(
      'tr',
      { 'data-key': key, class: total ? 'total' : '' },
      h('th', { scope: 'row' }, name),
      h('td', { class: 'number today' }, String(today)),
      h('td', { class: 'number proposed' }, String(proposed)),
      h('td', { class: `number diff ${proposed > today ? 'up' : proposed < today ? 'down' : ''}` }, signed(proposed - today)),
    )
  const sum = (tally: Tally) => Object.values(tally[breakdown]).reduce((a, b) => a + b, 0)
  return h(
    'table',
    { class: 'what-if-table', 'data-what-if': breakdown },
    h('caption', {}, t(title)),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, ''),
        h('th', { scope: 'col' }, t('todayColumn')),
        h('th', { scope: 'col' }, t('proposedColumn')),
        h('th', { scope: 'col' }, t('differenceColumn')),
      ),
    ),
    h(
      'tbody',
      {},
      keys.map((key) => row(key, label(key), result.today[breakdown][key] ?? 0, result.proposed[breakdown][key] ?? 0)),
      // Premises are counted once however many schools they are near, so the premises total is the tally's own.
      breakdown === 'byBand'
        ? row('total', t('totalRow'), sum(result.today), sum(result.proposed), true)
        : row('total', t('totalRow'), result.today.total, result.proposed.total, true),
    ),
  )
}

export interface WhatIfView {
  element: HTMLElement
  /** The line under the zone toggle: how many schools are drawn, or to zoom in. */
  zonesStatus: HTMLElement
}

/** The what-if of a proposal: summary, the three breakdowns, the zone toggle, the legend and the premises that change. */
export function whatIfView(
  result: PreviewResult,
  mode: ZoneMode,
  handlers: { onMode: (mode: ZoneMode) => void; onPremises: (premises: PreviewPremises) => void },
): WhatIfView {
  const zonesStatus = h('p', { class: 'muted', id: 'what-if-zones-status', role: 'status' }, '')
  const modes: [ZoneMode, TextKey][] = [
    ['today', 'zonesToday'],
    ['proposed', 'zonesProposed'],
    ['both', 'zonesBoth'],
  ]
  const element = h(
    'section',
    { class: 'what-if', id: 'what-if', 'aria-live': 'polite' },
    h('h3', {}, t('whatIfTitle')),
    h(
      'p',
      { class: 'what-if-summary', 'data-newly-conflicting': result.newlyConflicting.total, 'data-cleared': result.cleared.total },
      t('whatIfSummary', { added: result.newlyConflicting.total, cleared: result.cleared.total, bands: result.bandChanged }),
    ),
    h('p', { class: 'muted small' }, t('whatIfDates')),
    breakdownTable(result, 'byCategory', 'byCategory', categoryName),
    breakdownTable(result, 'byCounty', 'byCounty', countyName),
    breakdownTable(result, 'byBand', 'byBand', bandName),
    h(
      'fieldset',
      { class: 'zone-mode' },
      h('legend', {}, t('zonesCompare')),
      modes.map(([value, label]) =>
        h(
          'label',
          { class: 'check' },
          h('input', {
            type: 'radio',
            name: 'zone-mode',
            value,
            id: `zone-mode-${value}`,
            checked: value === mode,
            onchange: () => handlers.onMode(value),
          }),
          t(label),
        ),
      ),
      h(
        'div',
        { class: 'what-if-legend' },
        h('span', { class: 'swatch line', style: `border-color:${WHAT_IF_COLOURS.today};border-style:dashed` }),
        t('zonesToday'),
        h('span', { class: 'swatch line', style: `border-color:${WHAT_IF_COLOURS.proposed}` }),
        t('zonesProposed'),
        h('span', { class: 'swatch dot', style: `background:${WHAT_IF_COLOURS.newlyConflicting}` }),
        t('legendNewlyConflicting'),
        h('span', { class: 'swatch dot', style: `background:${WHAT_IF_COLOURS.cleared}` }),
        t('legendCleared'),
      ),
      zonesStatus,
    ),
    changedList(result, handlers.onPremises),
  )
  return { element, zonesStatus }
}

const LISTED = 100

function changedList(result: PreviewResult, onPremises: (premises: PreviewPremises) => void): HTMLElement {
  const total = result.newlyConflicting.total + result.cleared.total
  if (total === 0) return h('p', { class: 'muted' }, t('noConflicts'))
  const shown = result.premises.slice(0, LISTED)
  return h(
    'details',
    { class: 'changed-premises', open: true },
    h('summary', {}, t('changedPremises', { count: total })),
    h(
      'ul',
      { class: 'conflicts' },
      shown.map((p) =>
        h(
          'li',
          { 'data-premises-id': p.premisesId, 'data-change': p.change },
          h(
            'button',
            { type: 'button', class: 'link', onclick: () => onPremises(p) },
            h('span', {
              class: 'swatch dot',
              style: `background:${p.change === 'cleared' ? WHAT_IF_COLOURS.cleared : WHAT_IF_COLOURS.newlyConflicting}`,
            }),
            `${p.name}（${categoryName(p.category)} · ${countyName(p.countyCode)}）`,
          ),
        ),
      ),
    ),
    shown.length < total ? h('p', { class: 'muted small' }, t('changedTruncated', { count: shown.length })) : null,
  )
}
