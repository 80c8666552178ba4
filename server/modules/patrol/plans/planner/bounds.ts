/**
 * A lower bound on the total length of any plan that makes the same stops with the same units.
 *
 * Every route is a closed walk from its unit's base through its stops and back. Let S be the distinct
 * places of all stops and B the bases of the units that have stops; d the network length for the units'
 * modes (the shorter one where car and foot differ, so the bound holds for any unit).
 *
 *  1. In-degree: every place of S that is no base is entered at least once from another place of S ∪ B, so
 *     the total is at least Σ_{s∈S} min_{v≠s} d(v, s). Likewise out-degree: Σ_{s∈S} min_{v≠s} d(s, v).
 *  2. Spanning tree: the union of the routes joined by a root tied to every base at zero cost is a connected
 *     graph on S ∪ B ∪ {root}, so its length is at least the minimum spanning tree of that set under the
 *     symmetric min(d(a, b), d(b, a)).
 *
 * The bound is the larger of these. It ignores time entirely (time windows only lengthen routes), so it is
 * valid however the day is arranged, and it is what the plan's length is compared with.
 *
 * Both parts are quadratic in the places (some 4 million pairs for a county of 2,000 schools): `pause` is
 * awaited after every place so that the caller can yield to the event loop; it does not change the result.
 */
export async function lowerBound(
  places: readonly number[],
  bases: readonly number[],
  d: (a: number, b: number) => number,
  pause: () => Promise<void> = async () => {},
): Promise<number> {
  const stops = [...new Set(places)]
  const all = [...new Set([...stops, ...bases])]
  const baseSet = new Set(bases)
  if (stops.length === 0) return 0
  let inSum = 0
  let outSum = 0
  for (const s of stops) {
    if (baseSet.has(s)) continue
    let bestIn = Number.POSITIVE_INFINITY
    let bestOut = Number.POSITIVE_INFINITY
    for (const v of all) {
      if (v === s) continue
      bestIn = Math.min(bestIn, d(v, s))
      bestOut = Math.min(bestOut, d(s, v))
    }
    if (Number.isFinite(bestIn)) inSum += bestIn
    if (Number.isFinite(bestOut)) outSum += bestOut
    await pause()
  }
  // Prim over S ∪ B with the root: the bases start in the tree at zero cost (their edges to the root).
  const n = all.length
  const inTree = new Uint8Array(n)
  const key = new Float64Array(n).fill(Number.POSITIVE_INFINITY)
  let roots = 0
  all.forEach((v, i) => {
    if (baseSet.has(v)) {
      key[i] = 0
      roots += 1
    }
  })
  if (roots === 0) key[0] = 0
  let mst = 0
  for (let step = 0; step < n; step += 1) {
    let u = -1
    for (let i = 0; i < n; i += 1) if (!inTree[i] && (u < 0 || key[i]! < key[u]!)) u = i
    if (u < 0 || !Number.isFinite(key[u]!)) break
    inTree[u] = 1
    mst += key[u]!
    for (let i = 0; i < n; i += 1) {
      if (inTree[i]) continue
      const w = Math.min(d(all[u]!, all[i]!), d(all[i]!, all[u]!))
      if (w < key[i]!) key[i] = w
    }
    await pause()
  }
  return Math.max(inSum, outSum, mst)
}
