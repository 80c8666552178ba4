/** Small builders of the police desk's records from coordinates (flat offsets: fine for fixtures, never for oracles). */
import { GUYUAN, offset } from './registry.ts'

export const CENTRE = [GUYUAN.lon, GUYUAN.lat] as const
/** 西吉县's seat, in another county than the city centre (原州区). */
export const XIJI = [105.72776, 35.9656] as const

export const stationFeature = (at: readonly number[] = CENTRE, properties: Record<string, unknown> = {}) => ({
  type: 'Feature' as const,
  properties: { name: '测试派出所', address: '原州区测试路9号', phone: '0954-0000000', ...properties },
  geometry: { type: 'Point', coordinates: [at[0], at[1]] },
})

/** A square grid `sideM` on a side centred on a point. */
export function square(center: readonly number[], sideM: number): number[][] {
  const h = sideM / 2
  const ring = [offset(center, -h, -h), offset(center, h, -h), offset(center, h, h), offset(center, -h, h)]
  return [...ring, ring[0]!]
}

export const gridFeature = (stationId: number, center: readonly number[] = CENTRE, sideM = 2000, name = '测试网格') => ({
  type: 'Feature' as const,
  properties: { name, stationId },
  geometry: { type: 'Polygon', coordinates: [square(center, sideM)] },
})

export const unitFeature = (stationId: number, properties: Record<string, unknown> = {}, at: readonly number[] = CENTRE) => ({
  type: 'Feature' as const,
  properties: { name: '测试巡逻车', stationId, mode: 'car', shiftStart: '07:00', shiftEnd: '19:00', officers: 2, ...properties },
  geometry: { type: 'Point', coordinates: [at[0], at[1]] },
})
