/**
 * Reads coordinates as clerks paste them: "106.2410,36.0150" from Amap or Baidu's pickers, with spaces, Chinese
 * commas, or latitude first. In China longitude (73–135°) is always larger than latitude (18–54°), so the larger
 * number is taken as longitude.
 */
export function parseCoordinates(text: string): { lon: number; lat: number; swapped: boolean } | undefined {
  const numbers = text
    .replace(/[，、；;]/g, ',')
    .split(/[\s,]+/)
    .filter(Boolean)
  if (numbers.length !== 2 || !numbers.every((n) => /^-?\d+(\.\d+)?$/.test(n))) return undefined
  const [a, b] = numbers.map(Number) as [number, number]
  const swapped = Math.abs(b) > Math.abs(a) && Math.abs(a) <= 90
  const lon = swapped ? b : a
  const lat = swapped ? a : b
  if (Math.abs(lon) > 180 || Math.abs(lat) > 90) return undefined
  return { lon, lat, swapped }
}
