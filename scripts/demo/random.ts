/** The demo generator's random numbers: a small seeded PRNG, and the streams each part of the generator draws from. */

/** splitmix32: spreads a seed into well-mixed 32-bit words, to seed sfc32 with. */
function splitmix32(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

/** Small fast PRNG (sfc32). `stream` and `index` select independent sequences for the same seed. */
export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number, stream = 0, index = 0) {
    const mix = splitmix32(seed)
    const mixIndex = splitmix32((Math.imul(stream + 1, 0x27d4eb2f) ^ Math.imul(index + 1, 0x165667b1)) >>> 0)
    this.a = mix() ^ mixIndex()
    this.b = mix() ^ mixIndex()
    this.c = mix() ^ mixIndex()
    this.d = 1
    for (let i = 0; i < 12; i++) this.u32()
  }

  /** uniform 32-bit unsigned integer */
  u32(): number {
    const t0 = (this.a + this.b) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.d = (this.d + 1) | 0
    const t = (t0 + this.d) | 0
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** uniform in [0, 1) */
  next(): number {
    return this.u32() / 4294967296
  }

  /** uniform in [min, max) */
  range(min: number, max: number): number {
    return min + (max - min) * this.next()
  }

  /** integer in [min, max] */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  /** true with probability p */
  chance(p: number): boolean {
    return this.next() < p
  }

  /** log-uniform in [min, max] */
  logRange(min: number, max: number): number {
    return Math.exp(this.range(Math.log(min), Math.log(max)))
  }

  /** standard normal (Box-Muller) */
  normal(): number {
    const u = 1 - this.next()
    const v = this.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  /** one of the items, uniformly */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list')
    return items[Math.floor(this.next() * items.length)] as T
  }

  /** index drawn from cumulative weights (last element = total) */
  weighted(cumulative: ArrayLike<number>): number {
    const n = cumulative.length
    const x = this.next() * (cumulative[n - 1] as number)
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((cumulative[mid] as number) > x) hi = mid
      else lo = mid + 1
    }
    return lo
  }
}

/** Running sums of the weights, the form Rng.weighted() draws from. */
export function cumulate(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length)
  let sum = 0
  weights.forEach((w, i) => {
    sum += w
    out[i] = sum
  })
  return out
}

// Each part of the generator draws from its own stream, so that changing how one part draws leaves the
// others' output unchanged.
export const STREAM_PLACE = 1
export const STREAM_PREMISES = 2
export const STREAM_SEATS = 3
export const STREAM_SCHOOL_PROPS = 4
export const STREAM_ADDRESSES = 5
export const STREAM_ROADS = 6
export const STREAM_SCHOOL_STAFFING = 7
