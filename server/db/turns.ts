import { setImmediate as nextTurn } from 'node:timers/promises'

/**
 * Long synchronous loops (a what-if preview counts a million pairs) give other requests a turn every
 * `sliceMs`: `if (turns.due()) await turns.take()` inside the loop. Checking the clock every 256 steps keeps
 * the check itself free; the embedded database shares this thread, so /health waits for exactly these holds.
 */
export function turnTaker(sliceMs = 15) {
  let since = performance.now()
  let steps = 0
  return {
    due: () => (++steps & 255) === 0 && performance.now() - since > sliceMs,
    take: async () => {
      await nextTurn()
      since = performance.now()
    },
  }
}

/**
 * A page size for reading a large result page by page (or a batch size for writing one) that adapts to how long the
 * last page took, aiming at `targetMs` a page, between `min` and `max` rows: on the embedded database a page of 1,000
 * registry rows holds the service's thread for most of a second, on a server connection a few milliseconds. `min`
 * keeps the fixed cost of each step (its other statements) from dominating when the machine is slow.
 */
export function adaptivePage(initial: number, max: number, targetMs = 40, min = 1) {
  let size = initial
  return {
    get size() {
      return size
    },
    /** Records how long a page of the current size took. */
    took(ms: number) {
      size = Math.max(min, Math.min(max, Math.round(size * Math.min(4, Math.max(0.25, targetMs / Math.max(ms, 1))))))
    },
  }
}
