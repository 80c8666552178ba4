import { REPORT_FORMATS, REPORTS, reportUrl, type ReportName } from '../../api/governance.ts'
import { COUNTIES, countyName, t } from '../../i18n.ts'
import { readRoute, updateParams } from '../../router.ts'
import { fill, h } from '../dom.ts'
import type { GovernanceDesk } from './desk.ts'
import { mayReadReport } from './rights.ts'
import { g, type GovernanceTextKey } from './text.ts'

/** Today's month in China Standard Time (YYYY-MM), whatever the browser's zone. */
function thisMonth(): string {
  return new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7)
}

/** The first and last day of a month (YYYY-MM). */
export function monthRange(month: string): { from: string; to: string } {
  const [year, number] = month.split('-').map(Number) as [number, number]
  const last = new Date(Date.UTC(year, number, 0)).getUTCDate()
  return { from: `${month}-01`, to: `${month}-${String(last).padStart(2, '0')}` }
}

/** The month's reports as XLSX, CSV and PDF links, with the county and month chosen above them. */
export function showReports(desk: GovernanceDesk): void {
  const { user, content } = desk
  const params = readRoute().params
  const month = h('input', { type: 'month', id: 'report-month', value: params.get('month') ?? thisMonth(), required: true })
  const county = h(
    'select',
    { id: 'report-county' },
    h('option', { value: '' }, g('allCounties')),
    Object.keys(COUNTIES).map((code) => h('option', { value: code }, countyName(code))),
  )
  county.value = user.countyCode ?? params.get('county') ?? ''
  county.disabled = Boolean(user.countyCode)
  const table = h('table', { class: 'reports', id: 'report-table' })
  const names = REPORTS.filter((name) => mayReadReport(user, name))
  const draw = () => {
    const value = /^\d{4}-\d{2}$/.test(month.value) ? month.value : thisMonth()
    updateParams({ month: value, county: county.disabled ? null : county.value })
    const range = monthRange(value)
    // The patrol report covers at most a month of days and none in the future: the month up to today.
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10)
    const filters = { countyCode: county.value || undefined, from: range.from, to: range.to < today ? range.to : today }
    fill(
      table,
      h(
        'tbody',
        {},
        names.map((name: ReportName) =>
          h(
            'tr',
            { 'data-report': name },
            h('th', {}, g(`report_${name}` as GovernanceTextKey)),
            REPORT_FORMATS.map((format) =>
              h(
                'td',
                {},
                h(
                  'a',
                  {
                    class: 'button',
                    id: `report-${name}-${format}`,
                    href: reportUrl(name, format, name === 'patrols' || range.from > today ? filters : { ...filters, to: range.to }),
                    download: '',
                  },
                  format.toUpperCase(),
                ),
              ),
            ),
          ),
        ),
      ),
    )
  }
  month.addEventListener('change', draw)
  county.addEventListener('change', draw)
  fill(
    content,
    h('h2', {}, g('reportsTitle')),
    h('p', { class: 'muted small' }, g('reportsIntro')),
    h('div', { class: 'filters' }, h('label', {}, g('reportMonth'), month), h('label', {}, t('county'), county)),
    table,
  )
  draw()
}
