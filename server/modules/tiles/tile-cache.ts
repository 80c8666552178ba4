/** What one cached tile costs beside its bytes (key, entry, map slot): so that empty tiles count too. */
const ENTRY_OVERHEAD_BYTES = 200

/**
 * Rendered tiles of this instance, each under its tile and the data version it was read with (in the same snapshot,
 * tiles/service.ts), at most `maxBytes` of them, the least recently used dropped first. A version names one state of
 * the layer's data (a counter bumped at the commit of every write, and the database's epoch, both in the database), so
 * an entry is the very tile a render at that version would draw, on any instance; the service serves one only after
 * reading that the version is still the current one. Nothing is ever invalidated: a new version simply never finds the
 * old entries, which age out.
 */
export class TileCache {
  private readonly entries = new Map<string, Buffer>()
  private bytes = 0

  constructor(readonly maxBytes: number) {}

  private static key(tile: string, version: string) {
    return `${tile}@${version}`
  }

  /** The tile drawn at `version`, or undefined. */
  get(tile: string, version: string): Buffer | undefined {
    const key = TileCache.key(tile, version)
    const body = this.entries.get(key)
    if (body === undefined) return undefined
    // Most recently used last: Map keeps insertion order.
    this.entries.delete(key)
    this.entries.set(key, body)
    return body
  }

  /** Whether a tile at `version` is held (without counting as a use). */
  has(tile: string, version: string): boolean {
    return this.entries.has(TileCache.key(tile, version))
  }

  /** Keeps a rendered tile (an empty Buffer for an empty tile); a tile larger than the whole budget is not kept. */
  set(tile: string, version: string, body: Buffer): void {
    const size = body.length + ENTRY_OVERHEAD_BYTES
    if (size > this.maxBytes) return
    const key = TileCache.key(tile, version)
    const old = this.entries.get(key)
    if (old !== undefined) {
      this.entries.delete(key)
      this.bytes -= old.length + ENTRY_OVERHEAD_BYTES
    }
    while (this.bytes + size > this.maxBytes) {
      const [oldest, oldBody] = this.entries.entries().next().value!
      this.entries.delete(oldest)
      this.bytes -= oldBody.length + ENTRY_OVERHEAD_BYTES
    }
    this.entries.set(key, body)
    this.bytes += size
  }

  /** Bytes held, overhead included. */
  get size(): number {
    return this.bytes
  }

  /** Forgets everything (a benchmark measuring the uncached path). */
  clear(): void {
    this.entries.clear()
    this.bytes = 0
  }
}
