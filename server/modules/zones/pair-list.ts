/** Pairs per block: a block is allocated whole and never copied, so no one push costs more than a small allocation. */
const BLOCK_BITS = 16
const BLOCK = 1 << BLOCK_BITS
const IN_BLOCK = BLOCK - 1

interface Block {
  premises: Int32Array
  schools: Int32Array
  bands: Uint8Array
  marks: Uint8Array
}

/**
 * (premises, school, band) pairs held in typed arrays rather than as one object each: a what-if preview over a
 * province holds a million of them, and a million small objects make the collector pause the event loop for
 * tens of milliseconds at a time (each pause a hold of /health); numbers in typed arrays are never traced. The
 * arrays are blocks of 65,536 pairs, so that growing never copies megabytes in one step.
 */
export class PairList {
  readonly #blocks: Block[] = []
  #length = 0
  /** The band names met so far, indexed by the number kept per pair (a rule has a handful). */
  readonly #bandNames: string[] = []
  readonly #bandIndex = new Map<string, number>()

  get length(): number {
    return this.#length
  }

  /** Appends one pair, with a mark of the caller's (0–255; e.g. whether a rule the proposal changes governs it). */
  push(premisesId: number, schoolId: number, band: string, mark = 0): void {
    const at = this.#length & IN_BLOCK
    if (at === 0)
      this.#blocks.push({
        premises: new Int32Array(BLOCK),
        schools: new Int32Array(BLOCK),
        bands: new Uint8Array(BLOCK),
        marks: new Uint8Array(BLOCK),
      })
    let index = this.#bandIndex.get(band)
    if (index === undefined) {
      if (this.#bandNames.length === 256) throw new Error('more than 256 band names in one preview')
      index = this.#bandNames.push(band) - 1
      this.#bandIndex.set(band, index)
    }
    const block = this.#blocks[this.#blocks.length - 1]!
    block.premises[at] = premisesId
    block.schools[at] = schoolId
    block.bands[at] = index
    block.marks[at] = mark
    this.#length += 1
  }

  premisesAt(i: number): number {
    return this.#blocks[i >>> BLOCK_BITS]!.premises[i & IN_BLOCK]!
  }

  schoolAt(i: number): number {
    return this.#blocks[i >>> BLOCK_BITS]!.schools[i & IN_BLOCK]!
  }

  bandAt(i: number): string {
    return this.#bandNames[this.#blocks[i >>> BLOCK_BITS]!.bands[i & IN_BLOCK]!]!
  }

  markAt(i: number): number {
    return this.#blocks[i >>> BLOCK_BITS]!.marks[i & IN_BLOCK]!
  }
}
