import { api, ApiError, type PreviewResult, type Rule } from '../../api/client.ts'
import { categoryName, schoolTypeName, t } from '../../i18n.ts'
import { whatIfLayers, type ZoneMode } from '../../map/what-if.ts'
import { readRoute, updateParams } from '../../router.ts'
import { PREVIEW_ZONES_MAX_SPAN_DEG } from '../../../../server/schemas/rule-vocabulary.ts'
import { fill, h, toast } from '../dom.ts'
import { explain } from '../errors.ts'
import { featureDetails } from '../map-screen/feature-details.ts'
import { applyLayerState } from '../map-screen/layer-state.ts'
import type { ScreenContext } from '../screen.ts'
import { ruleEditor, type RuleEditor } from './editor.ts'
import { bandsText, effectiveText, originName, pathName } from './format.ts'
import { ruleHistory } from './history.ts'
import { editsRules } from './rights.ts'
import { categoryFilter, rulesTable } from './table.ts'
import { whatIfView, type WhatIfView } from './what-if.ts'

/** Below this zoom the view holds too many schools to draw their zones one by one. */
const ZONES_MIN_ZOOM = 12
const EMPTY: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] }

/**
 * The rules screen of the governance office and the administrators: the table of rules, one rule with its history,
 * a change with its reason, and the what-if before saving (counts, the premises that change, today's and the
 * proposed zones on the map).
 */
export function mountRules({ user, view, panel }: ScreenContext): () => void {
  let disposed = false
  panel.classList.add('panel-wide')
  view.map.resize()
  const layers = whatIfLayers(view)
  const details = featureDetails(
    view,
    () => disposed,
    () => {},
  )
  /** The what-if on show: the proposal it answers, the zone mode, and where its zone status goes. */
  let shown: { proposal: ReturnType<RuleEditor['proposal']>; view: WhatIfView } | null = null
  let mode: ZoneMode = 'proposed'
  let zoneRequest: AbortController | null = null
  let moveTimer: ReturnType<typeof setTimeout> | undefined

  const showPremisesDetails = (id: number) => {
    void details.showPremises(id).then(() => details.element.scrollIntoView({ block: 'nearest' }))
  }
  layers.onPremisesClick(showPremisesDetails)

  function hideWhatIf() {
    shown = null
    zoneRequest?.abort()
    layers.clear()
    applyLayerState(view)
  }

  async function loadZones() {
    if (!shown || disposed) return
    const status = shown.view.zonesStatus
    const bounds = view.map.getBounds()
    const bbox = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
    zoneRequest?.abort()
    if (
      view.map.getZoom() < ZONES_MIN_ZOOM ||
      bbox[2]! - bbox[0]! > PREVIEW_ZONES_MAX_SPAN_DEG ||
      bbox[3]! - bbox[1]! > PREVIEW_ZONES_MAX_SPAN_DEG
    ) {
      layers.setZones(EMPTY)
      status.textContent = t('zonesZoomIn')
      status.dataset.schools = '0'
      return
    }
    const request = new AbortController()
    zoneRequest = request
    try {
      const zones = await api.previewZones({ rules: [shown.proposal], bbox }, request.signal)
      if (request.signal.aborted || !shown) return
      layers.setZones(zones as GeoJSON.FeatureCollection)
      status.textContent = t('zonesDrawn', { count: zones.schools })
      status.dataset.schools = String(zones.schools)
    } catch (error) {
      if ((error as Error).name === 'AbortError') return
      layers.setZones(EMPTY)
      status.textContent = error instanceof ApiError && error.status === 422 ? t('zonesZoomIn') : explain(error)
      status.dataset.schools = '0'
    }
  }
  const onMove = () => {
    clearTimeout(moveTimer)
    moveTimer = setTimeout(() => void loadZones(), 250)
  }
  view.map.on('moveend', onMove)

  async function showList() {
    hideWhatIf()
    const category = readRoute().params.get('category') ?? ''
    const host = h('div', { class: 'rules-list' }, h('p', { class: 'loading' }, t('loading')))
    fill(
      panel,
      h('h2', {}, t('rulesTitle')),
      h('p', { class: 'muted' }, t('rulesIntro')),
      categoryFilter(category, (next) => {
        updateParams({ category: next || null })
        void showList()
      }),
      host,
    )
    try {
      const rules = await api.rules(category ? { category: category as Rule['category'] } : {})
      if (disposed) return
      fill(host, rulesTable(rules, openRule))
    } catch (error) {
      fill(host, h('p', { class: 'error', role: 'alert' }, explain(error)))
    }
  }

  function openRule(id: number) {
    updateParams({ rule: id }, true)
    void showRule(id)
  }

  async function showRule(id: number, notice?: string) {
    hideWhatIf()
    fill(panel, h('p', { class: 'loading' }, t('loading')))
    let loaded: Awaited<ReturnType<typeof api.rule>>
    let siblings: Rule[]
    try {
      loaded = await api.rule(id)
      siblings = await api.rules({ category: loaded.rule.category })
    } catch (error) {
      fill(panel, backLink(), h('p', { class: 'error', role: 'alert' }, explain(error)))
      return
    }
    if (disposed) return
    const { rule, versions } = loaded
    const canSave = editsRules(user)
    const message = h('p', { class: 'form-message', id: 'rule-message', role: 'alert', hidden: !notice }, notice ?? '')
    const whatIfHost = h('div', { id: 'what-if-host' })
    let previewed: string | null = null
    const saveButton = h('button', { type: 'button', class: 'primary', id: 'rule-save', disabled: true }, t('saveRule'))
    const previewButton = h('button', { type: 'button', id: 'rule-preview' }, t('previewChange'))
    const hint = h('p', { class: 'muted small', id: 'rule-save-hint' }, canSave ? t('previewFirst') : t('rulesReadOnly'))
    const editor = ruleEditor(rule, siblings, () => {
      // A what-if answers the form as it was: once the form changes, saving waits for a new preview.
      const stale = previewed !== null && previewed !== JSON.stringify(editor.proposal())
      saveButton.disabled = !canSave || previewed === null || stale
      if (previewed !== null) hint.textContent = stale ? t('previewStale') : canSave ? '' : t('rulesReadOnly')
    })
    const say = (text: string) => {
      message.textContent = text
      message.hidden = !text
    }
    const refuse = (error: unknown) => {
      const left = error instanceof ApiError ? editor.showProblems(error.problems) : []
      say(error instanceof ApiError && error.problems.length > 0 && left.length === 0 ? error.message : explain(error))
    }

    previewButton.addEventListener('click', async () => {
      editor.clearProblems()
      say('')
      const proposal = editor.proposal()
      previewButton.disabled = true
      try {
        const result = await api.previewRules({ rules: [proposal] })
        if (disposed) return
        previewed = JSON.stringify(proposal)
        showWhatIf(result, proposal)
        saveButton.disabled = !canSave
        hint.textContent = canSave ? '' : t('rulesReadOnly')
      } catch (error) {
        refuse(error)
      } finally {
        previewButton.disabled = false
      }
    })
    saveButton.addEventListener('click', async () => {
      editor.clearProblems()
      say('')
      saveButton.disabled = true
      try {
        const change = editor.change()
        if (editor.scope() === 'category') {
          const { version: _edited, ...fields } = change
          const saved = await api.updateRules({ rules: siblings.map((r) => ({ id: r.id, version: r.version })), change: fields })
          if (disposed) return
          toast(t('rulesSaved', { count: saved.length }), 'ok')
          view.refreshTiles()
          await showRule(rule.id)
          return
        }
        const saved = await api.updateRule(rule.id, change)
        if (disposed) return
        toast(
          saved.inForce
            ? t('ruleSaved', { version: saved.version })
            : t('ruleSavedFuture', { version: saved.version, date: saved.effectiveFrom }),
          'ok',
        )
        view.refreshTiles()
        await showRule(rule.id)
      } catch (error) {
        if (error instanceof ApiError && error.code === 'VERSION_CONFLICT') {
          await showRule(rule.id, t('ruleStale'))
          return
        }
        refuse(error)
        saveButton.disabled = false
      }
    })

    function showWhatIf(result: PreviewResult, proposal: ReturnType<RuleEditor['proposal']>) {
      const rendered = whatIfView(result, mode, {
        onMode: (next) => {
          mode = next
          layers.setMode(next)
        },
        onPremises: (premises) => {
          view.focus([premises.location.lon, premises.location.lat], 16)
          showPremisesDetails(premises.premisesId)
        },
      })
      fill(whatIfHost, rendered.element)
      shown = { proposal, view: rendered }
      // The tiles' zones are today's for every category: the comparison draws its own.
      view.setGroupVisible('zoneCore', false)
      view.setGroupVisible('zoneControl', false)
      layers.setMode(mode)
      layers.setPremises({
        type: 'FeatureCollection',
        features: result.premises.map((p) => ({
          type: 'Feature',
          properties: { premisesId: p.premisesId, name: p.name, category: p.category, change: p.change },
          geometry: { type: 'Point', coordinates: [p.location.lon, p.location.lat] },
        })),
      })
      void loadZones()
    }

    fill(
      panel,
      backLink(),
      h('h2', { id: 'rule-title' }, `${categoryName(rule.category)} × ${schoolTypeName(rule.schoolType)}`),
      h(
        'dl',
        { class: 'facts', id: 'rule-facts' },
        h('dt', {}, t('ruleLimit')),
        h('dd', { 'data-fact': 'limit' }, `${rule.limitM} m`),
        h('dt', {}, t('ruleOrigin')),
        h('dd', {}, originName(rule.origin)),
        h('dt', {}, t('rulePath')),
        h('dd', {}, pathName(rule.path)),
        h('dt', {}, t('ruleBands')),
        h('dd', {}, bandsText(rule.bands)),
        h('dt', {}, t('ruleLegalBasis')),
        h('dd', {}, rule.legalBasis),
        h('dt', {}, t('ruleEffective')),
        h('dd', { 'data-fact': 'effective' }, effectiveText(rule)),
        h('dt', {}, t('ruleVersion')),
        h('dd', { 'data-fact': 'version' }, String(rule.version)),
      ),
      h('h3', {}, t('editRule')),
      editor.element,
      message,
      h('div', { class: 'actions' }, previewButton, canSave ? saveButton : null),
      hint,
      whatIfHost,
      details.element,
      ruleHistory(versions),
    )
  }

  const backLink = () =>
    h(
      'button',
      {
        type: 'button',
        class: 'link back',
        onclick: () => {
          updateParams({ rule: null, sel: null }, true)
          void showList()
        },
      },
      t('backToRules'),
    )

  const show = () => {
    const id = Number(readRoute().params.get('rule'))
    if (id) void showRule(id)
    else void showList()
  }
  const onPop = () => {
    if (readRoute().screen === 'rules') show()
  }
  window.addEventListener('popstate', onPop)
  show()
  return () => {
    disposed = true
    clearTimeout(moveTimer)
    zoneRequest?.abort()
    window.removeEventListener('popstate', onPop)
    view.map.off('moveend', onMove)
    layers.remove()
    applyLayerState(view)
    panel.classList.remove('panel-wide')
    view.map.resize()
  }
}
