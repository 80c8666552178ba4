import type { GeoJSONSource } from 'maplibre-gl'
import { checkBatchCsv, type BatchResult, type CrsName, type PremisesCategory } from '../api/client.ts'
import { CRS_NAMES } from '../../../server/schemas/vocabulary.ts'
import { UTF8_BOM, batchCsvHeader, batchCsvLine } from '../../../server/schemas/check-batch-csv.ts'
import { bandName, crsName, metres, t } from '../i18n.ts'
import { CONFLICT_COLOUR } from '../map/style.ts'
import { categorySelect, defaultCategory } from './category-select.ts'
import { h } from './dom.ts'
import { explain } from './errors.ts'
import type { ScreenContext } from './screen.ts'

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
/** The table shows this many rows (prohibited first); the downloads hold every row. */
const TABLE_ROWS = 500
const SOURCE = 'batch-points'
const ALLOWED_COLOUR = '#2f7a45'

type Verdict = Extract<BatchResult, { verdict: string }>
const isVerdict = (r: BatchResult): r is Verdict => 'verdict' in r

/** Prohibited first (nearest school first), then the bad rows, then the allowed ones; input order otherwise. */
function rank(a: { r: BatchResult; n: number }, b: { r: BatchResult; n: number }): number {
  const order = (r: BatchResult) => (!isVerdict(r) ? 1 : r.verdict === 'prohibited' ? 0 : 2)
  const byGroup = order(a.r) - order(b.r)
  if (byGroup !== 0) return byGroup
  if (isVerdict(a.r) && isVerdict(b.r) && a.r.conflict && b.r.conflict) return a.r.conflict.distanceM - b.r.conflict.distanceM || a.n - b.n
  return a.n - b.n
}

/** Checks in bulk: upload a CSV of points, watch them being decided, read the prohibited ones first, download the results. */
export function mountBatch({ user, view, panel }: ScreenContext): () => void {
  const file = h('input', { type: 'file', id: 'batch-file', name: 'file', accept: '.csv,text/csv', required: true })
  const category = categorySelect('batch-category', defaultCategory(user))
  const crs = h(
    'select',
    { id: 'batch-crs', name: 'crs' },
    CRS_NAMES.map((value) => h('option', { value }, crsName(value))),
  )
  const start = h('button', { type: 'submit', class: 'primary', id: 'batch-start' }, t('batchStart'))
  const progress = h('progress', { id: 'batch-progress', max: 1, value: 0, hidden: true })
  const status = h('p', { id: 'batch-status', class: 'muted small', role: 'status' })
  const summary = h('p', { id: 'batch-summary' })
  const dot = (colour: string) => h('span', { class: 'batch-dot', style: `background:${colour}` })
  const legend = h(
    'p',
    { class: 'small', id: 'batch-legend', hidden: true },
    dot(CONFLICT_COLOUR),
    ` ${t('verdictProhibited')}  `,
    dot(ALLOWED_COLOUR),
    ` ${t('verdictAllowed')}`,
  )
  const downloads = h('div', { class: 'row', id: 'batch-downloads', hidden: true })
  const table = h('div', { id: 'batch-table', class: 'batch-table' })
  let controller: AbortController | undefined
  let results: BatchResult[] = []
  let uploaded: { file: File; query: { category: PremisesCategory; crs: CrsName } } | undefined

  const draw = () => {
    const ranked = results.map((r, n) => ({ r, n })).sort(rank)
    const prohibited = results.filter((r) => isVerdict(r) && r.verdict === 'prohibited').length
    const errors = results.filter((r) => !isVerdict(r)).length
    summary.textContent = t('batchSummary', { total: results.length, prohibited, allowed: results.length - prohibited - errors, errors })
    const rows = ranked.slice(0, TABLE_ROWS).map(({ r }) => {
      if (!isVerdict(r))
        return h(
          'tr',
          { class: 'batch-error' },
          h('td', {}, String(r.id ?? '')),
          h('td', { colspan: 4 }, `${t('batchBadRow')}: ${r.error.field} ${r.error.message}`),
        )
      const c = r.conflict
      return h(
        'tr',
        {
          class: `batch-${r.verdict}`,
          tabindex: 0,
          onclick: () => view.focus([r.location.lon, r.location.lat], 16),
        },
        h('td', {}, String(r.id)),
        h('td', {}, t(r.verdict === 'prohibited' ? 'verdictProhibited' : 'verdictAllowed')),
        h('td', {}, c ? c.schoolName : ''),
        h('td', { class: 'number' }, c ? metres(c.distanceM) : ''),
        h('td', {}, c ? `${bandName(c.band)}${r.conflictCount > 1 ? ` (+${r.conflictCount - 1})` : ''}` : ''),
      )
    })
    table.replaceChildren(
      h(
        'table',
        { id: 'batch-results' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'ID'),
            h('th', {}, t('batchVerdict')),
            h('th', {}, t('batchSchool')),
            h('th', {}, t('batchDistance')),
            h('th', {}, t('batchBand')),
          ),
        ),
        h('tbody', {}, rows),
      ),
    )
    if (results.length > TABLE_ROWS)
      table.append(h('p', { class: 'muted small' }, t('batchTableCut', { shown: TABLE_ROWS, total: results.length })))
  }

  const points = (): GeoJSON.FeatureCollection => ({
    type: 'FeatureCollection',
    features: results.filter(isVerdict).map((r) => ({
      type: 'Feature',
      properties: { id: String(r.id), verdict: r.verdict },
      geometry: { type: 'Point', coordinates: [r.location.lon, r.location.lat] },
    })),
  })
  const showOnMap = (fit: boolean) =>
    void view.ready.then(() => {
      const map = view.map
      const data = points()
      const source = map.getSource(SOURCE) as GeoJSONSource | undefined
      if (source) source.setData(data)
      else {
        map.addSource(SOURCE, { type: 'geojson', data })
        map.addLayer({
          id: SOURCE,
          type: 'circle',
          source: SOURCE,
          paint: {
            'circle-radius': ['interpolate', ['linear'], ['zoom'], 8, 2.5, 16, 6],
            'circle-color': ['match', ['get', 'verdict'], 'prohibited', CONFLICT_COLOUR, ALLOWED_COLOUR],
            'circle-stroke-color': '#ffffff',
            'circle-stroke-width': 1,
          },
        })
      }
      if (fit && data.features.length > 0) view.fit(data.features, 16)
    })

  const run = async () => {
    const chosen = file.files?.[0]
    if (!chosen) {
      status.textContent = t('batchNoFile')
      return
    }
    controller?.abort()
    controller = new AbortController()
    results = []
    uploaded = { file: chosen, query: { category: category.value as PremisesCategory, crs: crs.value as CrsName } }
    // The file's lines less the header: the progress bar's end (a quoted line break can make it a little long).
    const expected = Math.max(1, (await chosen.text()).split(/\r?\n/).filter((line) => line.trim()).length - 1)
    progress.max = expected
    progress.value = 0
    progress.hidden = false
    downloads.hidden = true
    start.disabled = true
    status.className = 'muted small'
    status.textContent = t('batchRunning', { done: 0, total: expected })
    let frame = 0
    try {
      await checkBatchCsv(chosen, uploaded.query, {
        signal: controller.signal,
        onLines: (lines) => {
          results.push(...lines)
          progress.value = Math.min(expected, results.length)
          status.textContent = t('batchRunning', { done: results.length, total: expected })
          // Redraw at most once a frame: a fast server sends thousands of lines between two paints.
          if (!frame)
            frame = requestAnimationFrame(() => {
              frame = 0
              draw()
            })
        },
      })
      progress.max = results.length || 1
      progress.value = results.length
      status.textContent = t('batchDone', { total: results.length })
      draw()
      showOnMap(true)
      downloads.hidden = false
      legend.hidden = false
    } catch (error) {
      if ((error as Error).name === 'AbortError') return
      status.className = 'error small'
      status.setAttribute('role', 'alert')
      status.textContent = explain(error)
    } finally {
      start.disabled = false
    }
  }

  const save = (blob: Blob, name: string) => {
    const link = h('a', { href: URL.createObjectURL(blob), download: name, hidden: true })
    document.body.appendChild(link)
    link.click()
    link.remove()
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000)
  }
  const stamp = () => new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')
  // The CSV is written here from the answers shown, with the server's own formatter (same columns, BOM, quoting).
  const downloadCsv = () =>
    save(
      new Blob([UTF8_BOM, batchCsvHeader(), ...results.map(batchCsvLine)], { type: 'text/csv;charset=utf-8' }),
      `check-batch-${stamp()}.csv`,
    )
  // The XLSX is written by the server (exceljs, streamed), from the same file sent again: exceljs is far too heavy for the desk's bundle.
  const xlsxButton = h('button', { type: 'button', id: 'batch-xlsx' }, t('batchXlsx'))
  const downloadXlsx = async () => {
    if (!uploaded) return
    xlsxButton.disabled = true
    try {
      const blob = await checkBatchCsv(uploaded.file, uploaded.query, { accept: XLSX })
      if (blob) save(blob, `check-batch-${stamp()}.xlsx`)
    } catch (error) {
      status.className = 'error small'
      status.textContent = explain(error)
    } finally {
      xlsxButton.disabled = false
    }
  }
  xlsxButton.addEventListener('click', () => void downloadXlsx())
  downloads.replaceChildren(h('button', { type: 'button', id: 'batch-csv', onclick: downloadCsv }, t('batchCsv')), xlsxButton)

  panel.replaceChildren(
    h('h2', {}, t('batchTitle')),
    h('p', { class: 'muted' }, t('batchIntro')),
    h(
      'form',
      {
        class: 'check-form',
        id: 'batch-form',
        onsubmit: (event: Event) => {
          event.preventDefault()
          void run()
        },
      },
      h('div', { class: 'row' }, h('label', { for: 'batch-file' }, t('batchFile')), file),
      h(
        'div',
        { class: 'row two' },
        h('div', {}, h('label', { for: 'batch-category' }, t('batchCategory')), category),
        h('div', {}, h('label', { for: 'batch-crs' }, t('crsLabel')), crs),
      ),
      start,
    ),
    progress,
    status,
    summary,
    legend,
    downloads,
    table,
  )
  return () => {
    controller?.abort()
    const map = view.map
    if (map.getLayer(SOURCE)) map.removeLayer(SOURCE)
    if (map.getSource(SOURCE)) map.removeSource(SOURCE)
  }
}
