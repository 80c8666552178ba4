/** The preview's pair store: what is pushed is read back, across blocks, band names and marks included. */
import { describe, expect, it } from 'vitest'
import { PairList } from '../../server/modules/zones/pair-list.ts'

describe('PairList', () => {
  it('reads back every pair pushed, over several blocks', () => {
    const bands = ['core', 'control', 'zone']
    const pairs = new PairList()
    const n = 200_003
    for (let i = 0; i < n; i += 1) pairs.push(2_000_000_000 - i, i * 7, bands[i % 3]!, i % 2)
    expect(pairs.length).toBe(n)
    for (const i of [0, 1, 65_535, 65_536, 65_537, 131_072, n - 1]) {
      expect([pairs.premisesAt(i), pairs.schoolAt(i), pairs.bandAt(i), pairs.markAt(i)]).toEqual([
        2_000_000_000 - i,
        i * 7,
        bands[i % 3],
        i % 2,
      ])
    }
    let sum = 0
    for (let i = 0; i < n; i += 1) sum += pairs.schoolAt(i)
    expect(sum).toBe((7 * (n - 1) * n) / 2)
  })

  it('is empty until pushed, and refuses a 257th band name', () => {
    const pairs = new PairList()
    expect(pairs.length).toBe(0)
    for (let b = 0; b < 256; b += 1) pairs.push(1, b, `band${b}`)
    expect(pairs.bandAt(255)).toBe('band255')
    expect(() => pairs.push(1, 1, 'one too many')).toThrow(/256 band names/)
  })
})
