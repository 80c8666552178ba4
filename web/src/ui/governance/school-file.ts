import { governanceApi, schoolFilePdfUrl, type SchoolFile } from '../../api/governance.ts'
import type { FileHazard } from '../../../../server/schemas/school-file.ts'
import { bandName, categoryName, countyName, currentLanguage, dateTime, departmentName, schoolTypeName, t } from '../../i18n.ts'
import { fill, h } from '../dom.ts'
import { explain } from '../errors.ts'
import { searchBox } from '../search-box.ts'
import type { GovernanceDesk } from './desk.ts'
import { g, gradeName, kindLabel, stateName, type GovernanceTextKey } from './text.ts'

const yesNo = (value: boolean | null) => (value === null ? '—' : g(value ? 'yes' : 'no'))

/** One file per school (一校一档): found with the place search or opened from a hazard, each section, and the PDF. */
export async function showSchoolFile(desk: GovernanceDesk, schoolId: number | null): Promise<void> {
  const { content, view } = desk
  const gone = desk.part()
  const body = h('div', { class: 'school-file', id: 'school-file', 'aria-live': 'polite' })
  const search = searchBox({
    near: () => {
      const c = view.map.getCenter()
      return [c.lng, c.lat]
    },
    onPick: (item) => {
      if (item.kind === 'school') desk.openSchool(Number(item.id))
    },
    language: currentLanguage,
  })
  fill(content, h('h2', {}, g('schoolFileTitle')), h('p', { class: 'muted small' }, g('schoolSearch')), search, body)
  if (!schoolId) return
  fill(body, h('p', { class: 'loading', role: 'status' }, t('loading')))
  let file: SchoolFile
  try {
    file = await governanceApi.schoolFile(schoolId)
  } catch (error) {
    if (!gone()) fill(body, h('p', { class: 'error', role: 'alert' }, explain(error)))
    return
  }
  if (gone()) return
  const p = file.school.properties
  const hazardList = (items: FileHazard[]) =>
    items.length === 0
      ? h('p', { class: 'muted small' }, g('none'))
      : h(
          'ul',
          { class: 'file-hazards' },
          items.map((hz) =>
            h(
              'li',
              {},
              h('button', { type: 'button', class: 'link', 'data-hazard-id': hz.id, onclick: () => desk.openHazard(hz.id) }, hz.title),
              ` · ${stateName(hz.state)} · ${gradeName(hz.grade)} · ${kindLabel(hz.kind)}`,
              hz.department ? ` · ${departmentName(hz.department)}` : '',
              hz.deadline ? ` · ${g('deadlineOn', { date: hz.deadline })}` : '',
              hz.overdue ? h('span', { class: 'badge overdue' }, g('hazardsOverdue')) : null,
            ),
          ),
        )
  const section = (title: string, id: string, ...children: (Node | null)[]) =>
    h('section', { class: 'file-section', id }, h('h3', {}, title), ...children)
  fill(
    body,
    h(
      'div',
      { class: 'panel-head' },
      h('h3', { id: 'school-file-name' }, p.name),
      h(
        'a',
        { class: 'button', id: 'school-file-pdf', href: schoolFilePdfUrl(file.school.id), target: '_blank', rel: 'noopener' },
        g('schoolPdf'),
      ),
    ),
    h('p', { class: 'muted small' }, g('figuresAsOf', { time: dateTime(file.generatedAt) })),
    section(
      g('registryFacts'),
      'file-registry',
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, g('schoolType')),
        h('dd', {}, schoolTypeName(p.schoolType)),
        h('dt', {}, t('county')),
        h('dd', {}, file.county.name ?? countyName(file.county.code)),
        p.address ? [h('dt', {}, t('address')), h('dd', {}, p.address)] : null,
        h('dt', {}, g('students')),
        h('dd', {}, p.students ?? '—'),
        h('dt', {}, g('staff')),
        h('dd', {}, p.staff ?? '—'),
        h('dt', {}, g('boarding')),
        h('dd', {}, yesNo(p.boarding)),
        h('dt', {}, g('urban')),
        h('dd', {}, yesNo(p.urban)),
      ),
    ),
    section(
      g('fileConflicts', { n: file.conflicts.numberMatched }),
      'file-conflicts',
      file.conflicts.items.length === 0
        ? h('p', { class: 'muted small' }, t('noConflicts'))
        : h(
            'ul',
            { class: 'conflicts' },
            file.conflicts.items
              .slice(0, 50)
              .map((c) =>
                h(
                  'li',
                  {},
                  `${c.premisesName}（${categoryName(c.category)}）${c.distanceM.toFixed(1)} m `,
                  h('span', { class: `band band-${c.band}` }, bandName(c.band)),
                ),
              ),
          ),
    ),
    section(g('fileHazardsOpen', { n: file.hazards.open.length }), 'file-hazards-open', hazardList(file.hazards.open)),
    section(g('fileHazardsClosed', { n: file.hazards.closed.length }), 'file-hazards-closed', hazardList(file.hazards.closed)),
    section(
      g('fileInspections', { n: file.inspections.length }),
      'file-inspections',
      file.inspections.length === 0
        ? h('p', { class: 'muted small' }, g('none'))
        : h(
            'ul',
            {},
            file.inspections.map((i) =>
              h(
                'li',
                {},
                `${dateTime(i.doneAt)} · ${g(`level_${i.level}` as GovernanceTextKey)} · ${i.inspector ?? '—'}${i.findings ? ` · ${i.findings}` : ''}`,
              ),
            ),
          ),
    ),
    section(
      g('filePatrol', { met: file.patrol.daysMet }),
      'file-patrol',
      h(
        'ul',
        { class: 'patrol-days' },
        file.patrol.days.map((d) => h('li', { class: d.met ? 'met' : 'not-met' }, `${d.date} · ${d.visits}/${d.required}`)),
      ),
    ),
    section(
      g('fileSigns', { n: file.warningSigns.length }),
      'file-signs',
      file.warningSigns.length === 0
        ? h('p', { class: 'muted small' }, g('none'))
        : h(
            'ul',
            {},
            file.warningSigns.map((s) => h('li', {}, `#${s.id} · ${s.state}${s.installedOn ? ` · ${s.installedOn}` : ''}`)),
          ),
    ),
    section(
      g('fileCameras', { n: file.cameras.length }),
      'file-cameras',
      file.cameras.length === 0
        ? h('p', { class: 'muted small' }, g('none'))
        : h(
            'ul',
            {},
            file.cameras.map((c) => h('li', {}, `#${c.id} · ${c.state}${c.linkedToPolice ? ` · ${g('linkedToPolice')}` : ''}`)),
          ),
    ),
    section(
      `${g('fileStaffing')} · ${g(`status_${file.staffing.status}` as GovernanceTextKey)}`,
      'file-staffing',
      h(
        'ul',
        { class: 'findings' },
        file.staffing.findings.map((f) =>
          h(
            'li',
            { class: `finding-${f.status}` },
            h('span', { class: 'badge' }, g(`finding_${f.status}` as GovernanceTextKey)),
            ` ${f.clause} ${f.text}`,
          ),
        ),
      ),
    ),
  )
  view.setOverlay('overlay-zone', { type: 'FeatureCollection', features: file.zone.features as GeoJSON.Feature[] })
  view.fit(file.zone.features as GeoJSON.Feature[], 16)
}
