import { api, type School, type User } from '../../api/client.ts'
import type { GeometryProblem } from '../../../../server/geo/validate.ts'
import { t } from '../../i18n.ts'
import type { MapView } from '../../map/map-view.ts'
import { startCampusEdit } from '../../map/tools.ts'
import { h, toast } from '../dom.ts'
import { explain } from '../errors.ts'
import type { ToolBox } from './tool-box.ts'

const canEditCampus = (user: User) =>
  user.role === 'admin' || (user.department === 'education' && (user.role === 'clerk' || user.role === 'supervisor'))

/** Campus editing for education: redraw the open school's outline, checked as it is drawn, and save it. */
export interface CampusEditor {
  /** The toolbar button, or null for a user who may not edit campuses. */
  button: HTMLButtonElement | null
  /** The school the tool edits: the one open in the details, or none. */
  select(school: School | null): void
}

export function campusEditor(user: User, view: MapView, tools: ToolBox, onSaved: (schoolId: number) => Promise<void>): CampusEditor {
  let selectedSchool: School | null = null
  // Enabled once a school is open: the tool edits that school's campus.
  const drawButton = canEditCampus(user)
    ? h('button', { type: 'button', id: 'tool-draw', 'aria-pressed': 'false', disabled: true, title: t('drawPickSchool') }, t('drawCampus'))
    : null
  drawButton?.addEventListener('click', () => {
    const active = drawButton.getAttribute('aria-pressed') === 'true'
    tools.stop()
    if (active) return
    if (!selectedSchool) {
      tools.element.replaceChildren(h('p', { class: 'notice' }, t('drawPickSchool')))
      return
    }
    drawButton.setAttribute('aria-pressed', 'true')
    const school = selectedSchool
    const problems = h('ul', { class: 'problems', id: 'draw-problems' })
    const area = h('p', { class: 'muted small' })
    const save = h('button', { type: 'button', class: 'primary', id: 'draw-save', disabled: true }, t('save'))
    const edit = startCampusEdit(
      view,
      school.geometry as GeoJSON.Polygon | GeoJSON.MultiPolygon,
      school.properties.gates,
      (found: GeometryProblem[], areaM2) => {
        problems.replaceChildren(...found.map((p) => h('li', { class: 'error small' }, `${p.field}: ${p.message}`)))
        area.textContent = areaM2 === null ? '' : `${t('area')}：${Math.round(areaM2).toLocaleString()} m²`
        save.disabled = found.length > 0
      },
    )
    tools.start(edit)
    save.addEventListener('click', async () => {
      const geometry = edit.geometry()
      if (!geometry) return
      save.disabled = true
      try {
        const updated = await api.updateSchoolGeometry(school.id, geometry, school.properties.version)
        toast(t('drawSaved'), 'ok')
        tools.stop()
        view.refreshTiles()
        await onSaved(updated.id)
      } catch (error) {
        problems.replaceChildren(h('li', { class: 'error' }, explain(error)))
        save.disabled = false
      }
    })
    tools.element.replaceChildren(
      h('p', { class: 'muted small' }, `${school.properties.name} · ${t('drawHint')}`),
      area,
      problems,
      h(
        'div',
        { class: 'actions' },
        save,
        h('button', { type: 'button', onclick: () => edit.redraw() }, '↺'),
        h('button', { type: 'button', onclick: tools.stop }, t('cancel')),
      ),
    )
  })
  return {
    button: drawButton,
    select: (school) => {
      selectedSchool = school
      if (drawButton) drawButton.disabled = school === null
    },
  }
}
