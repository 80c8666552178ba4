import type { Coverage, EquipmentGaps, SchoolCoverage, WeekCoverage } from '../../api/client.ts'
import { t } from '../../i18n.ts'
import { h } from '../dom.ts'
import { COVERAGE_COLOURS, type CoverageState } from './map-layers.ts'
import { cstDateTime } from './time.ts'

/**
 * A school's state on the day: done when it got the visits it requires (or any, when it requires none), planned
 * when it is short but the plan has visits for it, missing when it is short and nothing is planned. A school that
 * requires nothing and got nothing is left uncoloured.
 */
export function coverageState(school: SchoolCoverage): CoverageState | null {
  if (!school.below) return school.required > 0 || school.done > 0 ? 'done' : null
  return school.planned > 0 ? 'planned' : 'missing'
}

export function coverageStates(coverage: Coverage): Record<CoverageState, number[]> {
  const states: Record<CoverageState, number[]> = { done: [], planned: [], missing: [] }
  for (const school of coverage.schools) {
    const state = coverageState(school)
    if (state) states[state].push(school.schoolId)
  }
  return states
}

const percent = (share: number | null) => (share === null ? '—' : `${Math.round(share * 100)}%`)

/** The day's coverage: the counts by state (as a legend), each station's compliance and the schools below the required visits. */
export function coveragePanel(coverage: Coverage, focusSchool: (schoolId: number) => void): HTMLElement {
  const states = coverageStates(coverage)
  const urban = coverage.schools.filter((s) => s.required > 0)
  const below = coverage.schools.filter((s) => s.below).sort((a, b) => a.done - b.done || a.schoolName.localeCompare(b.schoolName))
  const legendItem = (state: CoverageState, text: string) =>
    h('li', {}, h('span', { class: 'dot', style: `background:${COVERAGE_COLOURS[state]}` }), `${text}（${states[state].length}）`)
  return h(
    'div',
    { id: 'patrol-coverage', 'data-date': coverage.date },
    h(
      'p',
      { class: 'small', id: 'patrol-coverage-summary' },
      t('patrolCoverageSummary', {
        urban: urban.length,
        met: urban.filter((s) => !s.below).length,
        planned: states.planned.length,
        missing: states.missing.length,
      }),
    ),
    h(
      'ul',
      { class: 'legend inline-legend' },
      legendItem('done', t('patrolCovDone')),
      legendItem('planned', t('patrolCovPlanned')),
      legendItem('missing', t('patrolCovMissing')),
    ),
    coverage.stations.length > 0 &&
      h(
        'table',
        { class: 'patrol-table', id: 'patrol-stations' },
        h('thead', {}, h('tr', {}, h('th', {}, t('patrolStation')), h('th', { class: 'number' }, t('patrolCompliance')))),
        h(
          'tbody',
          {},
          coverage.stations.map((s) =>
            h('tr', {}, h('td', {}, s.name), h('td', { class: 'number' }, `${percent(s.compliance)}（${s.meeting}/${s.urbanSchools}）`)),
          ),
        ),
      ),
    h(
      'details',
      { class: 'patrol-below', open: below.length > 0 && below.length <= 30 },
      h('summary', {}, `${t('patrolBelow')}（${below.length}）`),
      h(
        'ul',
        { id: 'patrol-below', class: 'small' },
        below.map((s) =>
          h(
            'li',
            { class: `below state-${coverageState(s) ?? 'none'}`, 'data-school-id': s.schoolId },
            h('button', { type: 'button', class: 'link', onclick: () => focusSchool(s.schoolId) }, s.schoolName),
            ` ${t('patrolVisits', { done: s.done, required: s.required, planned: s.planned })}`,
            s.lastVisitAt ? h('span', { class: 'muted' }, ` · ${t('patrolLastVisit', { at: cstDateTime(s.lastVisitAt) })}`) : null,
          ),
        ),
      ),
    ),
  )
}

/** Seven days per urban school: visits done against those required each day, the days below flagged; the worst first. */
export function weekTable(week: WeekCoverage): HTMLElement {
  const rows = week.schools.filter((s) => s.days.some((d) => d.required > 0)).sort((a, b) => b.daysBelow - a.daysBelow)
  return h(
    'div',
    { class: 'patrol-week-wrap' },
    h(
      'table',
      { class: 'patrol-table', id: 'patrol-week' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, t('patrolWeekSchool')),
          week.dates.map((d) => h('th', { class: 'number' }, d.slice(5))),
          h('th', { class: 'number' }, t('patrolWeekBelowDays')),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((s) =>
          h(
            'tr',
            { class: s.daysBelow > 0 ? 'flagged' : '', 'data-school-id': s.schoolId },
            h('td', {}, s.schoolName),
            s.days.map((d) => h('td', { class: `number${d.below ? ' below' : ''}`, title: d.date }, `${d.done}/${d.required}`)),
            h('td', { class: 'number' }, String(s.daysBelow)),
          ),
        ),
      ),
    ),
    week.stations.length > 0 &&
      h(
        'table',
        { class: 'patrol-table', id: 'patrol-week-stations' },
        h(
          'tbody',
          {},
          week.stations.map((s) =>
            h(
              'tr',
              {},
              h('td', {}, s.name),
              s.compliance.map((c) => h('td', { class: 'number' }, percent(c))),
            ),
          ),
        ),
      ),
  )
}

/** Zones without an installed sign and gates without a working camera. */
export function gapsPanel(gaps: EquipmentGaps, focus: (at: [number, number] | number) => void): HTMLElement {
  return h(
    'div',
    { id: 'patrol-gaps', class: 'small' },
    h(
      'details',
      {},
      h('summary', {}, t('patrolGapsSigns', { n: gaps.zonesWithoutSign.length })),
      h(
        'ul',
        { id: 'patrol-gaps-signs' },
        gaps.zonesWithoutSign.map((g) =>
          h('li', {}, h('button', { type: 'button', class: 'link', onclick: () => focus(g.schoolId) }, g.schoolName)),
        ),
      ),
    ),
    h(
      'details',
      {},
      h('summary', {}, t('patrolGapsCameras', { n: gaps.gatesWithoutCamera.length })),
      h(
        'ul',
        { id: 'patrol-gaps-cameras' },
        gaps.gatesWithoutCamera.map((g) =>
          h(
            'li',
            {},
            h(
              'button',
              { type: 'button', class: 'link', onclick: () => focus([g.position[0]!, g.position[1]!]) },
              `${g.schoolName} · ${t('patrolGate', { gate: g.gate })}`,
            ),
          ),
        ),
      ),
    ),
  )
}
