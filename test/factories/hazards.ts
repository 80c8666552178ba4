/** Builders for the hazard ledger tests: schools to hang hazards on, the five fixed items, small real files. */
import { deflateSync } from 'node:zlib'
import type TestAgent from 'supertest/lib/agent.js'
import { COUNTY_POINTS, GUYUAN, offset, schoolFeature } from './registry.ts'

export const FIVE_FIXED = {
  responsibleParty: '原州区烟草专卖局 马主任',
  measures: '责令停业并于许可证到期后不予延续',
  funds: '无需资金',
  contingencyPlan: '学校上下学时段专人巡查',
}

/** A day relative to today in China Standard Time (YYYY-MM-DD). */
export function cstDay(offsetDays: number): string {
  const now = new Date(Date.now() + 8 * 3600_000 + offsetDays * 86_400_000)
  return now.toISOString().slice(0, 10)
}

let schoolCounter = 0
/**
 * Registers a school `kmNorth` km north of the city centre, or of its county's point when it names a county
 * (far from the others, no conflicts unless asked), and returns its id.
 */
export async function registerSchool(
  agent: TestAgent,
  options: { kmNorth?: number; countyCode?: string; center?: readonly number[] } = {},
): Promise<number> {
  schoolCounter += 1
  const origin = (options.countyCode && COUNTY_POINTS[options.countyCode]) || [GUYUAN.lon, GUYUAN.lat]
  const center = options.center ?? offset(origin, 0, (options.kmNorth ?? schoolCounter * 2) * 1000)
  const response = await agent
    .post('/api/schools')
    .send(
      schoolFeature({ center, name: `隐患测试学校${schoolCounter}`, ...(options.countyCode ? { countyCode: options.countyCode } : {}) }),
    )
  if (response.status !== 201) throw new Error(`school not registered: ${response.status} ${JSON.stringify(response.body)}`)
  return response.body.id as number
}

/** A hazard body for POST /api/hazards. */
export const hazardBody = (schoolId: number, extra: Record<string, unknown> = {}) => ({
  schoolId,
  kind: 'fire',
  title: '消防通道堵塞',
  source: 'inspection',
  department: 'emergency',
  ...extra,
})

function crc32(bytes: Buffer): number {
  let crc = ~0
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k += 1) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1))
  }
  return ~crc >>> 0
}
const chunk = (type: string, data: Buffer) => {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}
/** A valid 1×1 PNG. */
export function png(): Buffer {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(1, 0)
  header.writeUInt32BE(1, 4)
  header[8] = 8
  header[9] = 2
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from([0, 255, 0, 0]))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}
/** The start of a JFIF JPEG (what file-type reads), padded to `size` bytes. */
export function jpeg(size = 2048): Buffer {
  const head = Buffer.from([
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
  ])
  const body = Buffer.alloc(Math.max(0, size - head.length - 2), 0x20)
  return Buffer.concat([head, body, Buffer.from([0xff, 0xd9])])
}
/** A one-page PDF. */
export function pdf(): Buffer {
  return Buffer.from(
    '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
  )
}
export const HTML = Buffer.from('<!DOCTYPE html><html><head><script>alert(document.cookie)</script></head><body>not a photo</body></html>')
