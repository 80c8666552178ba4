import { t } from '../../i18n.ts'
import { readRoute } from '../../router.ts'
import { fill, h } from '../dom.ts'
import type { ScreenContext } from '../screen.ts'
import { campusEditor } from './campus-edit.ts'
import { featureDetails } from './feature-details.ts'
import { downloadBox } from './downloads.ts'
import { conflictFilter, statusFilter } from './filters.ts'
import { applyLayerState } from './layer-state.ts'
import { layerSwitcher } from './layer-switcher.ts'
import { legend } from './legend.ts'
import { measureButton } from './measure.ts'
import { createToolBox } from './tool-box.ts'

/** The perimeter map: layers and legend, feature details on click, measuring, and campus editing for education. */
export function mountMapScreen({ user, view, panel }: ScreenContext): () => void {
  let disposed = false
  const tools = createToolBox(panel)
  const campus = campusEditor(user, view, tools, (schoolId) => details.showSchool(schoolId))
  const details = featureDetails(
    view,
    () => disposed,
    (school) => campus.select(school),
  )
  const onlyConflicts = conflictFilter(view)
  const downloads = downloadBox(view)

  const off = view.onClick((_event, features) => {
    if (tools.busy()) return
    // Premises and campuses sit on top of the zones: prefer them when a click hits several.
    const feature = features.find((f) => f.sourceLayer !== 'zones') ?? features[0]
    if (!feature) return
    view.clearOverlays()
    const props = feature.properties ?? {}
    if (feature.sourceLayer === 'premises') void details.showPremises(Number(props.id))
    else if (feature.sourceLayer === 'campuses') void details.showSchool(Number(props.id))
    else if (feature.sourceLayer === 'gates' || feature.sourceLayer === 'zones') void details.showSchool(Number(props.schoolId))
  })

  fill(
    panel,
    h('h2', {}, t('navMap')),
    h('div', { class: 'tools', role: 'toolbar', 'aria-label': 'tools' }, measureButton(view, tools), campus.button),
    tools.element,
    h(
      'details',
      { class: 'layer-box', open: true },
      h('summary', {}, t('layers')),
      layerSwitcher(view),
      h('label', { class: 'check' }, onlyConflicts, t('onlyConflicts')),
      h('fieldset', {}, h('legend', {}, t('statusFilter')), statusFilter(view)),
    ),
    h('details', { class: 'legend-box' }, h('summary', {}, t('legend')), legend()),
    downloads.element,
    details.element,
  )
  applyLayerState(view)

  const selection = readRoute()
    .params.get('sel')
    ?.match(/^(school|premises):(\d+)$/)
  if (selection) void (selection[1] === 'school' ? details.showSchool(Number(selection[2])) : details.showPremises(Number(selection[2])))
  return () => {
    disposed = true
    tools.stop()
    off()
    downloads.dispose()
  }
}
