import { api, type CheckResult } from '../api/client.ts'
import type { Rectification } from '../../../server/schemas/permits.ts'
import { bandName, categoryName, currentLanguage, dateTime, metres, metresNumber, schoolTypeName, t } from '../i18n.ts'
import type { MapView } from '../map/map-view.ts'
import { h } from './dom.ts'

const crsLabel = (crs: string) =>
  t(crs === 'wgs84' ? 'crsWgs84' : crs === 'cgcs2000' ? 'crsCgcs2000' : crs === 'gcj02' ? 'crsGcj02' : 'crsBd09')
const position = (lon: number, lat: number) => `${lon.toFixed(6)}, ${lat.toFixed(6)}`

type Conflict = CheckResult['conflicts'][number]
type Nearest = CheckResult['nearestSchools'][number]

/** A distance as measured: on foot (with the straight distance) under a walking rule, straight otherwise. */
export function distanceText(measured: Conflict | Nearest): string {
  if (measured.path !== 'walking') return metres(measured.distanceM)
  if (measured.measuredBy === 'straight_fallback') return t('straightShort', { straight: metresNumber(measured.distanceM) })
  const straightM = 'straightM' in measured ? measured.straightM : undefined
  return straightM === undefined
    ? t('onFootShort', { walk: metresNumber(measured.distanceM) })
    : t('onFoot', { walk: metresNumber(measured.distanceM), straight: metresNumber(straightM) })
}

/** Why a walking rule fell back to the straight distance (the service's note), or nothing. */
function fallbackNote(measured: Conflict | Nearest): HTMLElement | null {
  if (measured.path !== 'walking' || measured.measuredBy !== 'straight_fallback') return null
  return h('div', { class: 'notice small walking-note' }, `${t('straightFallback')}${measured.note ? `：${measured.note}` : ''}`)
}

/** The verdict card: 禁止/允许, then each school within reach with distance, band, rule and legal basis. */
export function verdictCard(result: CheckResult, extra: { rectification?: Rectification; footer?: Node[] } = {}): HTMLElement {
  const prohibited = result.verdict === 'prohibited'
  return h(
    'section',
    { class: `verdict ${prohibited ? 'prohibited' : 'allowed'}`, 'data-verdict': result.verdict, 'aria-label': t('screening') },
    h(
      'div',
      { class: 'verdict-head' },
      h('strong', { class: 'verdict-word' }, t(prohibited ? 'verdictProhibited' : 'verdictAllowed')),
      h('span', {}, categoryName(result.category)),
    ),
    h('p', {}, t(prohibited ? 'verdictProhibitedLong' : 'verdictAllowedLong')),
    extra.rectification ? rectificationNote(extra.rectification) : null,
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, t('wgs84Position')),
      h('dd', {}, position(result.location.lon, result.location.lat)),
      result.input.crs !== 'wgs84'
        ? [h('dt', {}, `${t('enteredAs')}（${crsLabel(result.input.crs)}）`), h('dd', {}, position(result.input.lon, result.input.lat))]
        : null,
      h('dt', {}, t('checkedAt')),
      h('dd', {}, dateTime(result.checkedAt)),
    ),
    result.conflicts.length > 0
      ? [
          h('h3', {}, t('schoolsInReach')),
          h(
            'ol',
            { class: 'schools' },
            result.conflicts.map((conflict) =>
              h(
                'li',
                { class: 'school', 'data-school-id': conflict.schoolId },
                h(
                  'div',
                  { class: 'school-name' },
                  h('strong', {}, conflict.schoolName),
                  h('span', { class: 'muted' }, ` ${schoolTypeName(conflict.schoolType)}`),
                ),
                h(
                  'div',
                  { class: 'measure' },
                  h('span', { class: `distance${conflict.path === 'walking' ? ' walking' : ''}` }, distanceText(conflict)),
                  h('span', { class: `band band-${conflict.band}` }, bandName(conflict.band)),
                  h(
                    'span',
                    { class: 'muted' },
                    `${t('limit')} ${metres(conflict.limitM)} · ${t('measuredFrom')}${t(conflict.origin === 'gates' ? 'originGates' : 'originCampus')}`,
                  ),
                ),
                fallbackNote(conflict),
                h(
                  'div',
                  { class: 'muted small' },
                  `${t('rule')} #${conflict.ruleId} v${conflict.ruleVersion} · ${t('legalBasis')}：${conflict.legalBasis}`,
                ),
              ),
            ),
          ),
        ]
      : null,
    result.nearestSchools.length > 0
      ? [
          h('h3', {}, t('nearestOutside')),
          h(
            'ul',
            { class: 'nearest' },
            result.nearestSchools.map((school) =>
              h(
                'li',
                {},
                `${school.schoolName}（${schoolTypeName(school.schoolType)}）`,
                h('span', { class: `distance${school.path === 'walking' ? ' walking' : ''}` }, ` ${distanceText(school)}`),
                fallbackNote(school),
              ),
            ),
          ),
        ]
      : null,
    ...(extra.footer ?? []),
  )
}

/** Premises older than the school: what the policy asks, which schools came later, and how long a period may run. */
function rectificationNote(rectification: Rectification): HTMLElement {
  return h(
    'div',
    { class: 'rectification', id: 'rectification' },
    h('p', {}, h('strong', {}, `${t('rectification')}：`), currentLanguage() === 'zh' ? rectification.guidance : rectification.guidanceEn),
    h(
      'ul',
      { class: 'small' },
      rectification.predates.map((p) =>
        h('li', {}, `${p.schoolName}：${t('schoolSince')} ${p.schoolSince} · ${t('premisesSince')} ${p.premisesSince}`),
      ),
    ),
    rectification.grantedUntil ? h('p', { class: 'error small' }, `${t('rectificationGranted')} ${rectification.grantedUntil}`) : null,
    rectification.deadlineAtMost ? h('p', { class: 'small' }, `${t('deadlineAtMost')} ${rectification.deadlineAtMost}`) : null,
  )
}

/** A measured line and its label, placed at the middle of the line so that even a short line shows its metres. */
export function measuredLine(from: GeoJSON.Position, to: GeoJSON.Position, label: string): GeoJSON.Feature[] {
  const middle = [(from[0]! + to[0]!) / 2, (from[1]! + to[1]!) / 2]
  return [
    { type: 'Feature', properties: { inside: true }, geometry: { type: 'LineString', coordinates: [from, to] } },
    { type: 'Feature', properties: { inside: true, label }, geometry: { type: 'Point', coordinates: middle } },
  ]
}

/** The point halfway along a line (lengths in a local frame: east scaled by cos φ), where its label goes. */
export function halfwayAlong(coordinates: GeoJSON.Position[]): GeoJSON.Position {
  const scale = Math.cos(((coordinates[0]?.[1] ?? 0) * Math.PI) / 180)
  const steps = coordinates.slice(1).map((p, i) => Math.hypot((p[0]! - coordinates[i]![0]!) * scale, p[1]! - coordinates[i]![1]!))
  let remaining = steps.reduce((sum, step) => sum + step, 0) / 2
  for (const [i, step] of steps.entries()) {
    if (remaining <= step && step > 0) {
      const [a, b] = [coordinates[i]!, coordinates[i + 1]!]
      return [a[0]! + ((b[0]! - a[0]!) * remaining) / step, a[1]! + ((b[1]! - a[1]!) * remaining) / step]
    }
    remaining -= step
  }
  return coordinates[0] ?? [0, 0]
}

/** The walk from the gate to the door, and its length in metres at its middle. */
function routeFeatures(conflict: Conflict): GeoJSON.Feature[] {
  if (!conflict.route || conflict.route.coordinates.length < 2) return []
  const label = t('onFootShort', { walk: metresNumber(conflict.distanceM) })
  return [
    { type: 'Feature', properties: { schoolId: conflict.schoolId }, geometry: conflict.route },
    {
      type: 'Feature',
      properties: { schoolId: conflict.schoolId, label },
      geometry: { type: 'Point', coordinates: halfwayAlong(conflict.route.coordinates) },
    },
  ]
}

/**
 * What the map draws for a place's conflicts: a line to each measured boundary point or gate labelled in metres
 * (the straight distance where a walk was measured), and each walk from the gate to the door with its length.
 */
export function conflictOverlays(
  subject: GeoJSON.Position,
  conflicts: Conflict[],
): { lines: GeoJSON.Feature[]; routes: GeoJSON.Feature[] } {
  const lines = conflicts.flatMap((conflict) =>
    measuredLine(
      subject,
      [conflict.nearestPoint.lon, conflict.nearestPoint.lat],
      conflict.route && conflict.straightM !== undefined
        ? t('straightShort', { straight: metresNumber(conflict.straightM) })
        : metres(conflict.distanceM),
    ),
  )
  return { lines, routes: conflicts.flatMap(routeFeatures) }
}

/**
 * Draws a result: the point, a line to each measured boundary point or gate labelled in metres (the straight
 * distance under a walking rule, whose walk is drawn beside it with its length), and the zones.
 */
export async function drawResult(view: MapView, result: CheckResult, options: { fit?: boolean } = {}): Promise<void> {
  const subject: GeoJSON.Position = [result.location.lon, result.location.lat]
  const inside = result.verdict === 'prohibited'
  const { lines, routes } = conflictOverlays(subject, result.conflicts)
  const points: GeoJSON.Feature[] = [
    { type: 'Feature', properties: { role: 'subject', inside }, geometry: { type: 'Point', coordinates: subject } },
    ...result.conflicts.map((conflict): GeoJSON.Feature => ({
      type: 'Feature',
      properties: { role: 'measured', inside: true },
      geometry: { type: 'Point', coordinates: [conflict.nearestPoint.lon, conflict.nearestPoint.lat] },
    })),
  ]
  view.setOverlay('overlay-lines', { type: 'FeatureCollection', features: lines })
  view.setOverlay('overlay-route', { type: 'FeatureCollection', features: routes })
  view.setOverlay('overlay-points', { type: 'FeatureCollection', features: points })
  const schoolIds = [...new Set(result.conflicts.map((c) => c.schoolId))]
  if (schoolIds.length === 0 && result.nearestSchools[0]) schoolIds.push(result.nearestSchools[0].schoolId)
  const zones = (await Promise.all(schoolIds.slice(0, 6).map((id) => api.schoolZone(id, result.category).catch(() => null)))).flatMap(
    (collection) => collection?.features ?? [],
  )
  view.setOverlay('overlay-zone', { type: 'FeatureCollection', features: zones })
  if (options.fit) {
    const outline = zones.filter((f) => f.properties?.kind === 'zone')
    view.fit([...points, ...outline, ...routes], 17)
  }
}
