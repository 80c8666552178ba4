/**
 * (premises, school, band) pairs held in typed arrays rather than as one object each: a what-if preview over a
 * province holds a million of them, and a million small objects make the collector pause the event loop for
 * tens of milliseconds at a time (each pause a hold of /health); numbers in typed arrays are never traced.
 */
export class PairList {
  #premises = new Int32Array(1024)
  #schools = new Int32Array(1024)
  #bands = new Uint8Array(1024)
  #marks = new Uint8Array(1024)
  #length = 0
  /** The band names met so far, indexed by the number kept per pair (a rule has a handful). */
  readonly #bandNames: string[] = []
  readonly #bandIndex = new Map<string, number>()

  get length(): number {
    return this.#length
  }

  /** Appends one pair, with a mark of the caller's (0–255; e.g. whether a rule the proposal changes governs it). */
  push(premisesId: number, schoolId: number, band: string, mark = 0): void {
    if (this.#length === this.#premises.length) this.#grow()
    let index = this.#bandIndex.get(band)
    if (index === undefined) {
      if (this.#bandNames.length === 256) throw new Error('more than 256 band names in one preview')
      index = this.#bandNames.push(band) - 1
      this.#bandIndex.set(band, index)
    }
    this.#premises[this.#length] = premisesId
    this.#schools[this.#length] = schoolId
    this.#bands[this.#length] = index
    this.#marks[this.#length] = mark
    this.#length += 1
  }

  premisesAt(i: number): number {
    return this.#premises[i]!
  }

  schoolAt(i: number): number {
    return this.#schools[i]!
  }

  bandAt(i: number): string {
    return this.#bandNames[this.#bands[i]!]!
  }

  markAt(i: number): number {
    return this.#marks[i]!
  }

  #grow() {
    const size = this.#premises.length * 2
    const premises = new Int32Array(size)
    premises.set(this.#premises)
    const schools = new Int32Array(size)
    schools.set(this.#schools)
    const bands = new Uint8Array(size)
    bands.set(this.#bands)
    const marks = new Uint8Array(size)
    marks.set(this.#marks)
    this.#premises = premises
    this.#schools = schools
    this.#bands = bands
    this.#marks = marks
  }
}
