import { governanceApi, type CountyFigures, type Stats } from '../../api/governance.ts'
import { HAZARD_STATES } from '../../../../server/schemas/hazard-vocabulary.ts'
import { bandName, categoryName, COUNTIES, countyName, dateTime, t } from '../../i18n.ts'
import { readRoute, updateParams } from '../../router.ts'
import { fill, h } from '../dom.ts'
import { explain } from '../errors.ts'
import { barChart, type Bar } from './charts.ts'
import type { GovernanceDesk } from './desk.ts'
import { g, gradeName, stateName } from './text.ts'

const STATE_COLOURS: Record<string, string> = {
  accepted: '#2f7a45',
  closed: '#2f7a45',
  closed_without_rectification: '#718096',
  rectifying: '#dd6b20',
}
const BAND_COLOURS: Record<string, string> = { core: '#b91c1c', control: '#dd8a1a' }

const percent = (share: number) => g('share', { n: Math.round(share * 1000) / 10 })

/** The figures per county from GET /api/stats, as numbers and small bar charts; a county is chosen above them. */
export async function showDashboard(desk: GovernanceDesk): Promise<void> {
  const { user, content } = desk
  const gone = desk.part()
  const county = h(
    'select',
    { id: 'dashboard-county' },
    h('option', { value: '' }, g('allCounties')),
    Object.keys(COUNTIES).map((code) => h('option', { value: code }, countyName(code))),
  )
  county.value = user.countyCode ?? readRoute().params.get('county') ?? ''
  county.disabled = Boolean(user.countyCode)
  const body = h('div', { class: 'dashboard', 'aria-live': 'polite' })
  fill(content, h('div', { class: 'filters' }, h('label', {}, t('county'), county)), body)

  const load = async () => {
    updateParams({ county: county.disabled ? null : county.value })
    fill(body, h('p', { class: 'loading', role: 'status' }, t('loading')))
    let stats: Stats
    try {
      stats = await governanceApi.stats(county.value || undefined)
    } catch (error) {
      if (!gone()) fill(body, h('p', { class: 'error', role: 'alert' }, explain(error)))
      return
    }
    if (gone()) return
    const figures = county.value ? (stats.counties.find((c) => c.code === county.value) ?? stats.totals) : stats.totals
    fill(body, ...drawFigures(figures, stats, !county.value))
  }
  county.addEventListener('change', () => void load())
  await load()
}

function figure(key: string, label: string, value: number | string, detail?: string): HTMLElement {
  return h(
    'div',
    { class: 'figure', 'data-figure': key },
    h('span', { class: 'figure-value' }, typeof value === 'number' ? value.toLocaleString() : value),
    h('span', { class: 'figure-label' }, label),
    detail ? h('span', { class: 'muted small' }, detail) : null,
  )
}

const barsOf = (counts: Record<string, number>, label: (key: string) => string, colours: Record<string, string> = {}): Bar[] =>
  Object.entries(counts)
    .filter(([, value]) => value > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([key, value]) => ({ key, label: label(key), value, colour: colours[key] }))

function drawFigures(f: CountyFigures, stats: Stats, perCounty: boolean): Node[] {
  const byState = HAZARD_STATES.filter((s) => (f.hazards.byState[s] ?? 0) > 0).map((s) => ({
    key: s,
    label: stateName(s),
    value: f.hazards.byState[s] ?? 0,
    colour: STATE_COLOURS[s],
  }))
  return [
    h('p', { class: 'muted small' }, g('figuresAsOf', { time: dateTime(stats.generatedAt) })),
    h(
      'div',
      { class: 'figures' },
      figure('schools', g('schools'), f.schools, `${g('urbanSchools')} ${f.urbanSchools} · ${g('zones')} ${f.zones}`),
      figure('conflicts.total', g('conflicts'), f.conflicts.total, `${g('preexisting')} ${f.conflicts.preexisting}`),
      figure('hazards.open', g('hazardsOpen'), f.hazards.open, `${g('hazards')} ${f.hazards.total}`),
      figure('hazards.overdue', g('hazardsOverdue'), f.hazards.overdue),
      figure(
        'compliance.compliant',
        g('compliance'),
        percent(f.compliance.share),
        `${g('compliant')} ${f.compliance.compliant} · ${g('notCompliant')} ${f.compliance.notCompliant} · ${g('incomplete')} ${f.compliance.incomplete}`,
      ),
      figure(
        'patrolToday.met',
        g('patrolToday'),
        percent(f.patrolToday.share),
        g('patrolMet', { met: f.patrolToday.met, of: f.patrolToday.urbanSchools }),
      ),
      figure(
        'permitsThisMonth.decided',
        g('permitsThisMonth'),
        f.permitsThisMonth.decided,
        `${g('approved')} ${f.permitsThisMonth.approved} · ${g('rejected')} ${f.permitsThisMonth.rejected} · ${g('overrides')} ${f.permitsThisMonth.overrides}`,
      ),
    ),
    barChart(g('conflictsByCategory'), barsOf(f.conflicts.byCategory, categoryName), { id: 'chart-conflicts-category', colour: '#b91c1c' }),
    barChart(g('conflictsByBand'), barsOf(f.conflicts.byBand, bandName, BAND_COLOURS), { id: 'chart-conflicts-band' }),
    barChart(g('hazardsByState'), byState, { id: 'chart-hazards-state' }),
    barChart(g('hazardsByGrade'), barsOf(f.hazards.openByGrade, gradeName, { major: '#b91c1c', general: '#dd8a1a' }), {
      id: 'chart-hazards-grade',
    }),
    perCounty ? countyTable(stats) : null,
  ].filter((node): node is HTMLElement => node !== null)
}

function countyTable(stats: Stats): HTMLElement {
  return h(
    'div',
    {},
    h('h3', {}, g('perCounty')),
    barChart(
      `${g('hazardsOverdue')} · ${g('perCounty')}`,
      stats.counties.map((c) => ({ key: c.code, label: countyName(c.code), value: c.hazards.overdue, colour: '#b91c1c' })),
      { id: 'chart-county-overdue' },
    ),
    h(
      'table',
      { class: 'county-table', id: 'county-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, t('county')),
          h('th', {}, g('schools')),
          h('th', {}, g('conflicts')),
          h('th', {}, g('hazardsOpen')),
          h('th', {}, g('hazardsOverdue')),
          h('th', {}, g('compliance')),
          h('th', {}, g('patrolToday')),
        ),
      ),
      h(
        'tbody',
        {},
        stats.counties.map((c) =>
          h(
            'tr',
            { 'data-county': c.code },
            h('th', {}, countyName(c.code)),
            h('td', { 'data-figure': 'schools' }, c.schools),
            h('td', { 'data-figure': 'conflicts.total' }, c.conflicts.total),
            h('td', { 'data-figure': 'hazards.open' }, c.hazards.open),
            h('td', { 'data-figure': 'hazards.overdue' }, c.hazards.overdue),
            h('td', {}, percent(c.compliance.share)),
            h('td', {}, percent(c.patrolToday.share)),
          ),
        ),
      ),
    ),
  )
}
