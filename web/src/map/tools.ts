/**
 * Map tools: measuring geodesic distances, and drawing or editing a campus outline. Distances and areas are
 * GeographicLib's on the WGS84 ellipsoid (the same figures the oracle tests use), and a campus is checked with the
 * very validation the API runs (server/geo/validate.ts) before it is sent.
 */
import geodesic from 'geographiclib-geodesic'
import type { MapMouseEvent } from 'maplibre-gl'
import { validateCampus, validateGates, type CampusGeometry, type GeometryProblem } from '../../../server/geo/validate.ts'
import type { MapView } from './map-view.ts'

const WGS84 = geodesic.Geodesic.WGS84

export function geodesicLengthM(points: readonly GeoJSON.Position[]): number {
  let total = 0
  for (let i = 1; i < points.length; i += 1)
    total += WGS84.Inverse(points[i - 1]![1]!, points[i - 1]![0]!, points[i]![1]!, points[i]![0]!).s12 ?? 0
  return total
}

export function geodesicAreaM2(ring: readonly GeoJSON.Position[]): number {
  const polygon = WGS84.Polygon(false)
  for (const [lon, lat] of ring.slice(0, -1)) polygon.AddPoint(lat!, lon!)
  return Math.abs(polygon.Compute(false, true).area ?? 0)
}

const formatM = (m: number) => (m >= 1000 ? `${(m / 1000).toFixed(3)} km` : `${m.toFixed(1)} m`)

interface Tool {
  stop(): void
}

/** Click to add points; each leg and the running total are labelled; Enter or a double-click ends, Escape clears. */
export function startMeasuring(view: MapView, onChange: (totalM: number, points: number) => void): Tool {
  const points: GeoJSON.Position[] = []
  let finished = false
  const draw = () => {
    const features: GeoJSON.Feature[] = points.map((p, i) => ({
      type: 'Feature',
      properties: i === 0 ? {} : { label: formatM(geodesicLengthM(points.slice(0, i + 1))) },
      geometry: { type: 'Point', coordinates: p },
    }))
    if (points.length > 1) features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: points } })
    view.setOverlay('tool', { type: 'FeatureCollection', features })
    onChange(geodesicLengthM(points), points.length)
  }
  const off = view.onClick((event: MapMouseEvent) => {
    if (finished) {
      points.length = 0
      finished = false
    }
    points.push([event.lngLat.lng, event.lngLat.lat])
    draw()
  })
  const finish = () => (finished = true)
  view.map.on('dblclick', finish)
  const keys = (event: KeyboardEvent) => {
    if (event.key === 'Enter') finish()
    if (event.key === 'Escape') {
      points.length = 0
      draw()
    }
  }
  window.addEventListener('keydown', keys)
  view.map.getCanvas().style.cursor = 'crosshair'
  return {
    stop() {
      off()
      view.map.off('dblclick', finish)
      window.removeEventListener('keydown', keys)
      view.map.getCanvas().style.cursor = ''
      view.setOverlay('tool', { type: 'FeatureCollection', features: [] })
    },
  }
}

export interface CampusEdit extends Tool {
  geometry(): GeoJSON.Polygon | GeoJSON.MultiPolygon | null
}

/**
 * Edits a campus: the first part's outer ring becomes draggable corners; clicks on the map add corners after the
 * last; Backspace removes the last; "redraw" starts from nothing. Other parts and holes are kept as they are.
 * Every change is validated and reported through onChange.
 */
export function startCampusEdit(
  view: MapView,
  initial: GeoJSON.Polygon | GeoJSON.MultiPolygon | null,
  gates: readonly (readonly number[])[],
  onChange: (problems: GeometryProblem[], areaM2: number | null) => void,
): CampusEdit & { redraw(): void } {
  return startPolygonEdit(
    view,
    initial,
    (geometry) => {
      // The school keeps its gates, so they must still lie within reach of the new outline, as the API checks.
      const problems = validateCampus(geometry, 'geometry')
      return problems.length === 0 ? validateGates(gates, geometry as CampusGeometry, 'properties/gates') : problems
    },
    onChange,
  )
}

/**
 * Edits any polygon the same way (a campus, a patrol grid): `validate` is the check the API runs on it, so a
 * shape the server would refuse is flagged while it is drawn.
 */
export function startPolygonEdit(
  view: MapView,
  initial: GeoJSON.Polygon | GeoJSON.MultiPolygon | null,
  validate: (geometry: GeoJSON.Polygon | GeoJSON.MultiPolygon) => GeometryProblem[],
  onChange: (problems: GeometryProblem[], areaM2: number | null) => void,
): CampusEdit & { redraw(): void } {
  const polygons: GeoJSON.Position[][][] = initial
    ? (initial.type === 'Polygon' ? [initial.coordinates] : initial.coordinates).map((p) => p.map((r) => r.map((c) => [c[0]!, c[1]!])))
    : [[[]]]
  const first = polygons[0]!
  let ring: GeoJSON.Position[] = (first[0] ?? []).slice(0, -1)
  let dragging = -1

  const current = (): GeoJSON.Polygon | GeoJSON.MultiPolygon | null => {
    if (ring.length < 3) return null
    const closed = [...ring, ring[0]!]
    const parts = [[closed, ...first.slice(1)], ...polygons.slice(1)]
    return parts.length === 1 ? { type: 'Polygon', coordinates: parts[0]! } : { type: 'MultiPolygon', coordinates: parts }
  }
  const draw = () => {
    const geometry = current()
    const features: GeoJSON.Feature[] = ring.map((p, index) => ({
      type: 'Feature',
      id: index,
      properties: { index },
      geometry: { type: 'Point', coordinates: p },
    }))
    if (geometry) features.push({ type: 'Feature', properties: {}, geometry })
    else if (ring.length === 2) features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: ring } })
    view.setOverlay('tool', { type: 'FeatureCollection', features })
    if (!geometry) onChange([{ field: 'geometry', message: 'needs at least 3 corners' }], null)
    else {
      const problems = validate(geometry)
      onChange(problems, problems.length === 0 ? geodesicAreaM2([...ring, ring[0]!]) : null)
    }
  }
  // Hit-test against the corners as they are now, not as last drawn: a redraw reaches the screen a frame later.
  const vertexAt = (event: MapMouseEvent): number => {
    let best = -1
    let bestDistance = 8
    ring.forEach((corner, index) => {
      const p = view.map.project(corner as [number, number])
      const distance = Math.hypot(p.x - event.point.x, p.y - event.point.y)
      if (distance <= bestDistance) {
        best = index
        bestDistance = distance
      }
    })
    return best
  }
  const down = (event: MapMouseEvent) => {
    const index = vertexAt(event)
    if (index < 0) return
    event.preventDefault()
    dragging = index
    view.map.dragPan.disable()
  }
  const move = (event: MapMouseEvent) => {
    if (dragging < 0) return
    ring[dragging] = [event.lngLat.lng, event.lngLat.lat]
    draw()
  }
  const up = () => {
    if (dragging < 0) return
    dragging = -1
    view.map.dragPan.enable()
  }
  let justDragged = false
  const release = () => {
    justDragged = dragging >= 0
    up()
  }
  view.map.on('mousedown', down)
  view.map.on('mousemove', move)
  view.map.on('mouseup', release)
  const off = view.onClick((event) => {
    if (justDragged || vertexAt(event) >= 0) {
      justDragged = false
      return
    }
    ring.push([event.lngLat.lng, event.lngLat.lat])
    draw()
  })
  const keys = (event: KeyboardEvent) => {
    if ((event.target as HTMLElement)?.closest?.('input, textarea, select')) return
    if (event.key === 'Backspace') {
      ring.pop()
      draw()
    }
  }
  window.addEventListener('keydown', keys)
  view.map.getCanvas().style.cursor = 'crosshair'
  draw()
  return {
    geometry: current,
    redraw() {
      ring = []
      draw()
    },
    stop() {
      off()
      view.map.off('mousedown', down)
      view.map.off('mousemove', move)
      view.map.off('mouseup', release)
      window.removeEventListener('keydown', keys)
      view.map.dragPan.enable()
      view.map.getCanvas().style.cursor = ''
      view.setOverlay('tool', { type: 'FeatureCollection', features: [] })
    },
  }
}
