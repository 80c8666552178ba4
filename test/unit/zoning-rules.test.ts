/**
 * The pure parts of the zoning engine (bands, rounding) and the geodesic fixture builders the API tests
 * rely on: the builders must place points where they say, by GeographicLib alone.
 */
import { describe, expect, it } from 'vitest'
import { bandAt, bandsForLimit, bandsOf, checkBands, round1 } from '../../server/modules/zones/service.ts'
import {
  along,
  direct,
  distance,
  distanceToCampus,
  distanceToPoints,
  distanceToSegment,
  inverse,
  offCorner,
  offEdge,
  prng,
  ringAround,
  ringByLegs,
  type Campus,
} from '../factories/geodesic.ts'

describe('bands', () => {
  const names = ['core', 'control']
  const edges = [50]

  it('puts a distance in [fromM, toM): 49.99 core, 50 and 50.01 control, the limit itself control', () => {
    expect(bandAt(names, edges, 0)).toBe('core')
    expect(bandAt(names, edges, 49.99)).toBe('core')
    expect(bandAt(names, edges, 50)).toBe('control')
    expect(bandAt(names, edges, 50.01)).toBe('control')
    expect(bandAt(names, edges, 200)).toBe('control')
    expect(bandAt(['a', 'b', 'c'], [30, 80], 79.999)).toBe('b')
    expect(bandAt(['a', 'b', 'c'], [30, 80], 80)).toBe('c')
  })

  it('shows stored names and inner edges as bands from 0 to the limit', () => {
    expect(bandsOf(names, edges, 200)).toEqual([
      { name: 'core', fromM: 0, toM: 50 },
      { name: 'control', fromM: 50, toM: 200 },
    ])
    expect(bandsOf(['only'], [], 100)).toEqual([{ name: 'only', fromM: 0, toM: 100 }])
  })

  it('accepts contiguous bands from 0 to the limit and returns names and inner edges', () => {
    expect(
      checkBands(
        [
          { name: 'core', fromM: 0, toM: 50 },
          { name: 'control', fromM: 50, toM: 200 },
        ],
        200,
      ),
    ).toEqual({ names, edges, problems: [] })
  })

  it.each([
    [
      'overlapping',
      [
        { name: 'core', fromM: 0, toM: 60 },
        { name: 'control', fromM: 50, toM: 200 },
      ],
      'body/bands/1/fromM',
    ],
    [
      'with a gap',
      [
        { name: 'core', fromM: 0, toM: 40 },
        { name: 'control', fromM: 50, toM: 200 },
      ],
      'body/bands/1/fromM',
    ],
    [
      'not from 0',
      [
        { name: 'core', fromM: 10, toM: 50 },
        { name: 'control', fromM: 50, toM: 200 },
      ],
      'body/bands/0/fromM',
    ],
    [
      'short of the limit',
      [
        { name: 'core', fromM: 0, toM: 50 },
        { name: 'control', fromM: 50, toM: 150 },
      ],
      'body/bands/1/toM',
    ],
    [
      'past the limit',
      [
        { name: 'core', fromM: 0, toM: 50 },
        { name: 'control', fromM: 50, toM: 250 },
      ],
      'body/bands/1/toM',
    ],
    [
      'empty',
      [
        { name: 'core', fromM: 0, toM: 0 },
        { name: 'control', fromM: 0, toM: 200 },
      ],
      'body/bands/0/toM',
    ],
    [
      'with a name twice',
      [
        { name: 'core', fromM: 0, toM: 50 },
        { name: 'core', fromM: 50, toM: 200 },
      ],
      'body/bands/1/name',
    ],
  ])('refuses bands %s, naming the field', (_label, bands, field) => {
    const { problems } = checkBands(bands, 200)
    expect(problems.map((p) => p.field)).toContain(field)
  })

  it('keeps the inner edges that fit under a new limit, the last band ending at it', () => {
    const bands = bandsOf(names, edges, 200)
    expect(bandsForLimit(bands, 100)).toEqual([
      { name: 'core', fromM: 0, toM: 50 },
      { name: 'control', fromM: 50, toM: 100 },
    ])
    expect(bandsForLimit(bands, 40)).toEqual([{ name: 'core', fromM: 0, toM: 40 }])
    expect(bandsForLimit(bandsForLimit(bands, 100), 200)).toEqual(bands)
  })

  it('rounds reported distances to 0.1 m', () => {
    expect(round1(199.99)).toBe(200)
    expect(round1(200.04)).toBe(200)
    expect(round1(49.96)).toBe(50)
    expect(round1(164.84)).toBe(164.8)
  })
})

describe('geodesic fixture builders (GeographicLib only)', () => {
  const random = prng(2024)
  const places: [number, number][] = [
    [106.24, 36.0],
    [109.5, 18.3],
    [126.6, 45.8],
    [122.5, 53.0],
  ]

  it('direct and inverse are each other’s inverse', () => {
    for (const at of places) {
      for (let i = 0; i < 20; i += 1) {
        const azimuth = 360 * random() - 180
        const d = 1 + 500 * random()
        const p = direct(at, azimuth, d)
        const back = inverse(at, p)
        expect(back.distance).toBeCloseTo(d, 6)
        expect(Math.abs(((back.azi1 - azimuth + 540) % 360) - 180)).toBeLessThan(1e-6)
      }
    }
  })

  it('places a point off an edge at the given distance, with the foot of the perpendicular nearest', () => {
    for (const at of places) {
      const a = direct(at, 20, 100)
      const b = direct(a, 110, 180)
      for (const [t, d] of [
        [0.5, 200],
        [0.1, 50],
        [0.9, 199.99],
      ] as const) {
        const { point, foot } = offEdge(a, b, t, d)
        const found = distanceToSegment(point, a, b)
        expect(found.distance).toBeCloseTo(d, 6)
        expect(distance(found.nearest, foot)).toBeLessThan(1e-3)
        expect(found.t).toBeCloseTo(t, 5)
        expect(distance(along(a, b, t).point, foot)).toBe(0)
      }
    }
  })

  it('measures a segment by its ends when the perpendicular falls outside it', () => {
    const a = direct(places[0]!, 0, 100)
    const b = direct(a, 90, 100)
    const beyond = direct(b, 90, 50)
    expect(distanceToSegment(beyond, a, b).distance).toBeCloseTo(50, 6)
    expect(distanceToSegment(beyond, a, b).t).toBe(1)
  })

  it('places a point off a convex corner at the given distance from the vertex, the vertex nearest', () => {
    for (const at of places) {
      const ring = ringAround(at, [
        [350, 130],
        [290, 150],
        [230, 120],
        [170, 140],
        [110, 110],
        [50, 145],
      ])
      const campus: Campus = { type: 'Polygon', coordinates: [ring] }
      for (let i = 1; i < 6; i += 1) {
        const p = offCorner(ring[i - 1]!, ring[i]!, ring[i + 1]!, 200)
        const found = distanceToCampus(p, campus)
        expect(found.distance).toBeCloseTo(200, 6)
        expect(distance(found.nearest, ring[i]!)).toBeLessThan(1e-3)
      }
    }
  })

  it('finds the nearest edge of a campus by brute force and 0 inside it', () => {
    const ring = ringByLegs(direct(places[0]!, 90, 3000), [
      [90, 500],
      [0, 200],
      [270, 300],
      [0, 300],
      [270, 200],
      [180, 500],
    ])
    const campus: Campus = { type: 'Polygon', coordinates: [ring] }
    expect(ring).toHaveLength(7)
    expect(distanceToCampus(direct(ring[0]!, 45, 100), campus).distance).toBe(0)
    // In the notch: 120 m from the R→N edge, 150 m from the E→R edge.
    const { point } = offEdge(ring[3]!, ring[4]!, 150 / inverse(ring[3]!, ring[4]!).distance, 120)
    expect(distanceToCampus(point, campus).distance).toBeCloseTo(120, 4)
    // Dense sampling of every edge agrees with the search to a millimetre.
    let sampled = Infinity
    for (let i = 0; i < ring.length - 1; i += 1)
      for (let k = 0; k <= 2000; k += 1) sampled = Math.min(sampled, distance(point, along(ring[i]!, ring[i + 1]!, k / 2000).point))
    expect(Math.abs(sampled - distanceToCampus(point, campus).distance)).toBeLessThan(1e-3)
  })

  it('picks the nearest gate', () => {
    const gates = [direct(places[0]!, 0, 100), direct(places[0]!, 180, 100)]
    const p = direct(places[0]!, 170, 250)
    expect(distanceToPoints(p, gates).nearest).toEqual(gates[1])
  })

  it('draws the same numbers from the same seed', () => {
    const a = prng(7)
    const b = prng(7)
    expect([a(), a(), a()]).toEqual([b(), b(), b()])
  })
})
