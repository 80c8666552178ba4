import { api, type Conflict, type School } from '../../api/client.ts'
import { bandName, categoryName, countyName, schoolTypeName, statusName, t } from '../../i18n.ts'
import type { MapView } from '../../map/map-view.ts'
import { updateParams } from '../../router.ts'
import { fill, h } from '../dom.ts'
import { explain } from '../errors.ts'
import { conflictOverlays, distanceText } from '../verdict.ts'

/** The details of what was clicked: a school with its zone and the premises in it, or premises with the schools it is near. */
export interface FeatureDetails {
  element: HTMLElement
  showSchool(id: number): Promise<void>
  showPremises(id: number): Promise<void>
}

/** `onSchool` hears which school is open (null when premises are), for the campus editor. */
export function featureDetails(view: MapView, disposed: () => boolean, onSchool: (school: School | null) => void): FeatureDetails {
  const details = h('section', { id: 'details', class: 'details', 'aria-live': 'polite' })
  const showSchool = async (id: number) => {
    updateParams({ sel: `school:${id}` })
    fill(details, h('p', { class: 'loading' }, t('loading')))
    try {
      const [school, conflicts, zone] = await Promise.all([api.school(id), api.conflicts({ schoolId: id, limit: 50 }), api.schoolZone(id)])
      if (disposed()) return
      onSchool(school)
      const p = school.properties
      fill(
        details,
        h('h3', {}, p.name),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, t('layerSchools')),
          h('dd', {}, schoolTypeName(p.schoolType)),
          h('dt', {}, t('county')),
          h('dd', {}, countyName(p.countyCode)),
          p.address ? [h('dt', {}, t('address')), h('dd', {}, p.address)] : null,
          p.students !== null ? [h('dt', {}, t('students')), h('dd', {}, String(p.students))] : null,
          p.openedOn ? [h('dt', {}, t('opened')), h('dd', {}, p.openedOn)] : null,
        ),
        conflictList(
          t('conflictsOf'),
          conflicts.conflicts,
          conflicts.numberMatched,
          (c) => `${c.premisesName}（${categoryName(c.category)}）`,
        ),
      )
      view.setOverlay('overlay-zone', { type: 'FeatureCollection', features: zone.features })
    } catch (error) {
      fill(details, h('p', { class: 'error', role: 'alert' }, explain(error)))
    }
  }
  const showPremises = async (id: number) => {
    updateParams({ sel: `premises:${id}` })
    onSchool(null)
    fill(details, h('p', { class: 'loading' }, t('loading')))
    try {
      const [premises, conflicts] = await Promise.all([api.premises(id), api.conflicts({ premisesId: id, limit: 50 })])
      if (disposed()) return
      const p = premises.properties
      fill(
        details,
        h('h3', {}, p.name),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, t('premisesNo')),
          h('dd', {}, `#${premises.id}`),
          h('dt', {}, t('categoryLabel')),
          h('dd', {}, categoryName(p.category)),
          h('dt', {}, t('statusFilter')),
          h('dd', {}, statusName(p.licenceStatus)),
          p.licenceNo ? [h('dt', {}, t('licenceNo')), h('dd', {}, p.licenceNo)] : null,
          p.licensedOn ? [h('dt', {}, t('licensedOn')), h('dd', {}, p.licensedOn)] : null,
          p.expiresOn ? [h('dt', {}, t('expiresOn')), h('dd', {}, p.expiresOn)] : null,
          p.address ? [h('dt', {}, t('address')), h('dd', {}, p.address)] : null,
          h('dt', {}, t('county')),
          h('dd', {}, countyName(p.countyCode)),
        ),
        conflictList(t('inZoneOf'), conflicts.conflicts, conflicts.numberMatched, (c) => c.schoolName),
      )
      const [lon, lat] = (premises.geometry as GeoJSON.Point).coordinates as [number, number]
      view.setOverlay('overlay-points', {
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            properties: { role: 'subject', inside: conflicts.numberMatched > 0 },
            geometry: { type: 'Point', coordinates: [lon, lat] },
          },
        ],
      })
      const { lines, routes } = conflictOverlays([lon, lat], conflicts.conflicts)
      view.setOverlay('overlay-lines', { type: 'FeatureCollection', features: lines })
      view.setOverlay('overlay-route', { type: 'FeatureCollection', features: routes })
    } catch (error) {
      fill(details, h('p', { class: 'error', role: 'alert' }, explain(error)))
    }
  }
  return { element: details, showSchool, showPremises }
}

function conflictList(title: string, conflicts: Conflict[], total: number, label: (c: Conflict) => string): HTMLElement {
  return h(
    'div',
    {},
    h('h4', {}, `${title}（${total}）`),
    conflicts.length === 0
      ? h('p', { class: 'muted' }, t('noConflicts'))
      : h(
          'ul',
          { class: 'conflicts' },
          conflicts.map((c) =>
            h(
              'li',
              {},
              label(c),
              h('span', { class: `distance${c.path === 'walking' ? ' walking' : ''}` }, ` ${distanceText(c)}`),
              h('span', { class: `band band-${c.band}` }, bandName(c.band)),
              c.preexisting ? h('span', { class: 'badge' }, 'preexisting') : null,
            ),
          ),
        ),
  )
}
