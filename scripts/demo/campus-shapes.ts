/** Campus shapes for the demo generator: rings in local metres, counter-clockwise, centred near the origin. */
import type { Rng } from './random.ts'

/** signed area of an open ring of flat x,y pairs (> 0 when counter-clockwise) */
function ringArea(ring: readonly number[]): number {
  let s = 0
  const n = ring.length / 2
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n
    s += ring[2 * i]! * ring[2 * j + 1]! - ring[2 * j]! * ring[2 * i + 1]!
  }
  return s / 2
}

/** the ring scaled, shifted by (dx, dy), then rotated by angle about the origin */
function transform(ring: readonly number[], scale: number, angle: number, dx = 0, dy = 0): number[] {
  const c = Math.cos(angle)
  const s = Math.sin(angle)
  const out: number[] = []
  for (let i = 0; i < ring.length; i += 2) {
    const x = ring[i]! * scale + dx
    const y = ring[i + 1]! * scale + dy
    out.push(x * c - y * s, x * s + y * c)
  }
  return out
}

/** One or two open CCW rings in metres with total area ≈ area. */
export function campusShape(rng: Rng, area: number, twoParts: boolean): number[][] {
  const angle = rng.range(0, Math.PI)
  if (twoParts) {
    // main campus (rectangle) and a separate sports field 30–80 m away along the long axis
    const aspect = rng.range(1.1, 1.8)
    const fieldW = rng.range(70, 110)
    const fieldH = rng.range(45, 70)
    const mainArea = Math.max(area - fieldW * fieldH, area * 0.6)
    const h = Math.sqrt(mainArea / aspect)
    const w = h * aspect
    const gap = rng.range(32, 78)
    const main = [-w / 2, -h / 2, w / 2, -h / 2, w / 2, h / 2, -w / 2, h / 2]
    const fx = w / 2 + gap + fieldW / 2
    const fy = rng.range(-Math.max(0, h / 2 - fieldH / 2), Math.max(0, h / 2 - fieldH / 2))
    const field = [
      fx - fieldW / 2,
      fy - fieldH / 2,
      fx + fieldW / 2,
      fy - fieldH / 2,
      fx + fieldW / 2,
      fy + fieldH / 2,
      fx - fieldW / 2,
      fy + fieldH / 2,
    ]
    const shift = -(fieldW + gap) / 2
    return [transform(main, 1, angle, shift), transform(field, 1, angle, shift)]
  }
  const kind = rng.next()
  let unit: number[]
  if (kind < 0.4) {
    const a = rng.range(1, 2.2)
    unit = [-0.5, -a / 2, 0.5, -a / 2, 0.5, a / 2, -0.5, a / 2]
  } else if (kind < 0.6) {
    // L-shape: a rectangle with one corner cut away
    const a = rng.range(0.8, 1.8)
    const cw = rng.range(0.3, 0.6)
    const ch = rng.range(0.3, 0.6) * a
    unit = [-0.5, -a / 2, 0.5, -a / 2, 0.5, a / 2 - ch, 0.5 - cw, a / 2 - ch, 0.5 - cw, a / 2, -0.5, a / 2]
  } else if (kind < 0.75) {
    const h = rng.range(0.6, 1.3)
    const top = rng.range(0.55, 0.9)
    const s = rng.range(-0.15, 0.15)
    unit = [-0.5, -h / 2, 0.5, -h / 2, s + top / 2, h / 2, s - top / 2, h / 2]
  } else {
    // irregular pentagon/hexagon, star-shaped around the origin (hence simple), strictly increasing angles (CCW)
    const n = rng.chance(0.5) ? 5 : 6
    const stretch = rng.range(1, 1.6)
    unit = []
    for (let k = 0; k < n; k++) {
      const t = ((k + rng.range(-0.3, 0.3)) * 2 * Math.PI) / n
      const r = rng.range(0.75, 1.2)
      unit.push(r * Math.cos(t) * stretch, r * Math.sin(t))
    }
  }
  const scale = Math.sqrt(area / ringArea(unit))
  return [transform(unit, scale, angle)]
}
