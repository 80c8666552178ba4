import { describe, expect, it } from 'vitest'
import {
  addDays,
  countedVisits,
  cstDateOf,
  cstDayRange,
  peakWindowProblems,
  staysOf,
  type TrackPointMatch,
} from '../../server/modules/police/rules.ts'

const at = (hhmm: string) => Date.parse(`2026-03-02T${hhmm}:00+08:00`)

describe('countedVisits', () => {
  it('counts the most visits pairwise at least the gap apart, taking the earliest each time', () => {
    expect(countedVisits([], 120)).toBe(0)
    expect(countedVisits([at('08:00')], 120)).toBe(1)
    // 07:30 counts; 09:00 is 90 min later; 09:40 is 130 min after 07:30.
    expect(countedVisits([at('09:40'), at('07:30'), at('09:00')], 120)).toBe(2)
    // A burst at one stop counts once; exactly the gap counts.
    expect(countedVisits([at('08:00'), at('08:05'), at('08:10'), at('10:00')], 120)).toBe(2)
    expect(countedVisits([at('08:00'), at('09:59')], 120)).toBe(1)
    expect(countedVisits([at('08:00'), at('09:00'), at('10:00'), at('11:00')], 0)).toBe(4)
  })
})

describe('the China Standard Time day', () => {
  it('runs from 00:00 to 24:00 at +08:00', () => {
    expect(cstDateOf(Date.parse('2026-03-01T16:00:00Z'))).toBe('2026-03-02')
    expect(cstDateOf(Date.parse('2026-03-01T15:59:59Z'))).toBe('2026-03-01')
    expect(cstDayRange('2026-03-02')).toEqual({ from: new Date('2026-03-01T16:00:00Z'), to: new Date('2026-03-02T16:00:00Z') })
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01')
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28')
  })
})

describe('peakWindowProblems', () => {
  it('accepts touching windows and names overlaps, reversed windows and repeated names', () => {
    const w = (name: string, start: string, end: string) => ({ name, start, end })
    expect(peakWindowProblems([w('a', '07:00', '07:50'), w('b', '07:50', '08:30')], 'p')).toEqual([])
    expect(peakWindowProblems([w('a', '07:00', '08:00'), w('b', '07:30', '09:00')], 'p').map((p) => p.field)).toEqual(['p/1/start'])
    expect(peakWindowProblems([w('a', '09:00', '08:00')], 'p').map((p) => p.field)).toEqual(['p/0/end'])
    expect(peakWindowProblems([w('a', '07:00', '08:00'), w('a', '12:00', '13:00')], 'p').map((p) => p.field)).toEqual(['p/1/name'])
  })
})

describe('staysOf', () => {
  const track = (spec: [number, number | null][]): TrackPointMatch[] =>
    spec.map(([minute, school]) => ({ time: minute * 60_000, lon: 0, lat: 0, schoolId: school, distanceM: school === null ? null : 10 }))

  it('keeps runs near one campus of at least the dwell, broken by a minute seen away, five minutes of silence or another campus', () => {
    const points = track([
      [0, null],
      [1, 1],
      [6, 1],
      [11, 1], // 10 minutes at school 1
      [12, null],
      [13, 2],
      [16, 2], // 3 minutes at school 2
      [20, null],
      [21, 3],
      [25, 3],
      [28, 3],
      [30, 3], // silences of 4, 3 and 2 minutes near school 3 do not break its 9-minute stay
      [40, null],
      [41, 4],
      [48, 4], // 7 minutes of silence break the stay at school 4: 48–53 is 5 minutes
      [53, 4],
    ])
    expect(staysOf(points, 10).map((s) => [s.schoolId, s.from / 60_000, s.to / 60_000])).toEqual([[1, 1, 11]])
    expect(staysOf(points, 3).map((s) => [s.schoolId, s.from / 60_000, s.to / 60_000])).toEqual([
      [1, 1, 11],
      [2, 13, 16],
      [3, 21, 30],
      [4, 48, 53],
    ])
  })

  it('a point away for less than a minute does not break the stay', () => {
    const points: TrackPointMatch[] = [0, 30, 60, 90].map((s) => ({ time: s * 1000, lon: 0, lat: 0, schoolId: 1, distanceM: 5 }))
    points.splice(2, 0, { time: 75_000, lon: 0, lat: 0, schoolId: null, distanceM: null })
    points.push(...Array.from({ length: 20 }, (_, k) => ({ time: 120_000 + k * 30_000, lon: 0, lat: 0, schoolId: 1, distanceM: 5 })))
    expect(staysOf(points, 10)).toHaveLength(1)
  })
})
