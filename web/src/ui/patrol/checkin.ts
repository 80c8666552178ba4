import { patrolApi, type Unit, type Visit } from '../../api/client.ts'
import { metres, t } from '../../i18n.ts'
import type { MapView } from '../../map/map-view.ts'
import { h } from '../dom.ts'
import { explain } from '../errors.ts'

const UNIT_KEY = 'zones.patrol.unit'

function position(): Promise<GeolocationPosition> {
  return new Promise((resolve, reject) => {
    if (!('geolocation' in navigator)) return reject(new Error('navigator.geolocation is not available'))
    navigator.geolocation.getCurrentPosition(resolve, (error) => reject(new Error(error.message || `code ${error.code}`)), {
      enableHighAccuracy: true,
      timeout: 20_000,
      maximumAge: 0,
    })
  })
}

/**
 * The officer's check-in, sized for a phone: pick the unit once (remembered on this device), press the button,
 * and the browser's position is posted; the answer names the school matched within 100 m and the distance.
 */
export function checkInCard(view: MapView, units: Unit[], onVisit: (visit: Visit) => void): HTMLElement {
  const remembered = Number(localStorage.getItem(UNIT_KEY))
  const active = units.filter((u) => u.properties.active)
  const unit = h(
    'select',
    { id: 'checkin-unit', name: 'unitId' },
    active.map((u) => h('option', { value: u.id, selected: u.id === remembered }, u.properties.name)),
  )
  const result = h('p', { id: 'checkin-result', role: 'status', class: 'small' })
  const button = h(
    'button',
    { type: 'button', class: 'primary big', id: 'checkin-button', disabled: active.length === 0 },
    t('patrolCheckInButton'),
  )
  button.addEventListener('click', async () => {
    button.disabled = true
    result.className = 'small'
    result.textContent = t('patrolLocating')
    localStorage.setItem(UNIT_KEY, unit.value)
    try {
      let fix: GeolocationPosition
      try {
        fix = await position()
      } catch (error) {
        throw new Error(t('patrolGeoUnavailable', { reason: (error as Error).message }), { cause: error })
      }
      const { longitude: lon, latitude: lat, accuracy } = fix.coords
      const visit = await patrolApi.checkIn({
        unitId: Number(unit.value),
        lon,
        lat,
        accuracyM: Number.isFinite(accuracy) ? Math.min(accuracy, 10_000) : undefined,
        // The fix's own time, never later than now: the server refuses a time in the future.
        at: new Date(Math.min(fix.timestamp || Date.now(), Date.now())).toISOString(),
      })
      result.className = `small ${visit.schoolId === null ? 'notice' : 'ok-text'}`
      result.replaceChildren(
        visit.schoolId === null
          ? t('patrolCheckedInNone')
          : t('patrolCheckedIn', {
              school: visit.schoolName ?? `#${visit.schoolId}`,
              distance: metres(visit.distanceM ?? 0),
              accuracy: visit.accuracyM === null ? '—' : metres(visit.accuracyM),
            }),
        visit.duplicate ? ` ${t('patrolDuplicate')}` : '',
      )
      result.dataset.schoolId = visit.schoolId === null ? '' : String(visit.schoolId)
      view.setOverlay('overlay-points', {
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            properties: { role: 'subject' },
            geometry: { type: 'Point', coordinates: [visit.location.lon, visit.location.lat] },
          },
        ],
      })
      view.focus([visit.location.lon, visit.location.lat], 16)
      onVisit(visit)
    } catch (error) {
      result.className = 'error small'
      result.textContent = explain(error)
    } finally {
      button.disabled = active.length === 0
    }
  })
  return h(
    'section',
    { class: 'checkin', id: 'patrol-checkin' },
    h('h3', {}, t('patrolCheckIn')),
    h('label', { for: 'checkin-unit' }, t('patrolCheckInUnit')),
    unit,
    button,
    result,
  )
}
