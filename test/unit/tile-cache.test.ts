import { describe, expect, it } from 'vitest'
import { TileCache } from '../../server/modules/tiles/tile-cache.ts'

const bytes = (n: number, fill = 1) => Buffer.alloc(n, fill)

describe('the tile cache', () => {
  it('answers a tile only under the version it was drawn at', () => {
    const cache = new TileCache(10_000)
    cache.set('zones/15/1/2', 'a-1', bytes(10))
    expect(cache.get('zones/15/1/2', 'a-1')?.length).toBe(10)
    expect(cache.get('zones/15/1/2', 'a-2')).toBeUndefined()
    expect(cache.get('zones/15/1/3', 'a-1')).toBeUndefined()
  })

  it('keeps empty tiles, each costing its overhead', () => {
    const cache = new TileCache(10_000)
    cache.set('zones/15/1/2', 'a-1', bytes(0))
    expect(cache.has('zones/15/1/2', 'a-1')).toBe(true)
    expect(cache.size).toBeGreaterThan(0)
  })

  it('stays within its bytes, dropping the least recently used first', () => {
    const cache = new TileCache(3 * (1000 + 200))
    cache.set('t/1', 'v', bytes(1000))
    cache.set('t/2', 'v', bytes(1000))
    cache.set('t/3', 'v', bytes(1000))
    expect(cache.get('t/1', 'v')).toBeDefined()
    cache.set('t/4', 'v', bytes(1000))
    expect(cache.has('t/2', 'v')).toBe(false)
    expect(['t/1', 't/3', 't/4'].map((tile) => cache.has(tile, 'v'))).toEqual([true, true, true])
    expect(cache.size).toBeLessThanOrEqual(cache.maxBytes)
  })

  it('replaces a tile stored twice without counting it twice, and never keeps one larger than its budget', () => {
    const cache = new TileCache(5000)
    cache.set('t/1', 'v', bytes(1000))
    cache.set('t/1', 'v', bytes(1000, 2))
    expect(cache.size).toBe(1200)
    expect(cache.get('t/1', 'v')![0]).toBe(2)
    cache.set('t/2', 'v', bytes(6000))
    expect(cache.has('t/2', 'v')).toBe(false)
    expect(cache.has('t/1', 'v')).toBe(true)
  })
})
