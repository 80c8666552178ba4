/**
 * An answer written in slices (json-slices.ts) is byte for byte the JSON Fastify writes for the same value and the
 * same response schema: properties in the schema's order, those outside the schema dropped, optional ones left out,
 * strings escaped, numbers formatted, across many slices.
 */
import Fastify from 'fastify'
import { Type } from 'typebox'
import { describe, expect, it } from 'vitest'
import { PreviewResultSchema } from '../../server/schemas/zones.ts'
import { sendJsonInSlices } from '../../server/plugins/json-slices.ts'

const Item = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  share: Type.Number(),
  tags: Type.Array(Type.String()),
  where: Type.Optional(Type.Object({ lon: Type.Number(), lat: Type.Number() })),
})
const Answer = Type.Object({
  counts: Type.Object({ total: Type.Integer(), byBand: Type.Record(Type.String(), Type.Integer()) }),
  note: Type.Optional(Type.String()),
  items: Type.Array(Item),
  empty: Type.Array(Item),
  done: Type.Boolean(),
})

/** The same value answered by Fastify in one piece and in slices. */
async function bothWays(schema: typeof Answer | typeof PreviewResultSchema, value: Record<string, unknown>) {
  const app = Fastify()
  app.get('/whole', { schema: { response: { 200: schema } } }, async () => value)
  app.get('/slices', { schema: { response: { 200: schema } } }, async (_request, reply) => sendJsonInSlices(reply, schema, value))
  try {
    const whole = await app.inject({ url: '/whole' })
    const slices = await app.inject({ url: '/slices' })
    expect(whole.statusCode).toBe(200)
    expect(slices.statusCode).toBe(200)
    expect(slices.headers['content-type']).toBe(whole.headers['content-type'])
    return { whole: whole.body, slices: slices.body }
  } finally {
    await app.close()
  }
}

const awkward = ['引号"与\\反斜杠', '换行\n制表\t', '</script><!--', '😀 emoji', 'é\u2028\u2029', '\u0001控制']

describe('sendJsonInSlices', () => {
  it('writes what Fastify writes for the schema, over many slices', async () => {
    const items = Array.from({ length: 4000 }, (_, i) => ({
      extra: 'not in the schema',
      tags: i % 3 === 0 ? [] : [awkward[i % awkward.length]!, `t${i}`],
      share: i % 7 === 0 ? -0.1 - i / 3 : i * 1e-7,
      name: `${awkward[i % awkward.length]}${i}`,
      id: i - 2000,
      ...(i % 2 === 0 ? { where: { lat: 36.0 + i / 1e5, lon: 106.2 - i / 1e6 } } : {}),
    }))
    const value = { done: true, empty: [], items, counts: { byBand: { core: 3, control: 0 }, total: 12 }, stray: 1 }
    const { whole, slices } = await bothWays(Answer, value)
    expect(whole.length).toBeGreaterThan(10 * 16 * 1024)
    expect(slices).toBe(whole)
  })

  it('writes an optional property when present, and a small answer in one slice', async () => {
    const value = { counts: { total: 0, byBand: {} }, note: '无', items: [], empty: [], done: false }
    const { whole, slices } = await bothWays(Answer, value)
    expect(slices).toBe(whole)
    expect(JSON.parse(slices)).toEqual(value)
  })

  it('writes a what-if preview as its response schema does', async () => {
    const tally = { total: 2, byCategory: { tobacco_retail: 2 }, byCounty: { '640402': 1, '640422': 1 }, byBand: { core: 1, control: 2 } }
    const value = {
      today: tally,
      proposed: { ...tally, total: 3 },
      newlyConflicting: { total: 0, byCategory: {}, byCounty: {}, byBand: {} },
      cleared: tally,
      bandChanged: 1,
      unchanged: 4,
      schools: Array.from({ length: 3000 }, (_, i) => ({
        schoolId: i + 1,
        schoolName: `第${i + 1}小学`,
        newlyConflicting: i % 5,
        cleared: i % 3,
      })),
      premises: Array.from({ length: 2000 }, (_, i) => ({
        premisesId: i + 1,
        name: `烟店"${i}"`,
        category: 'tobacco_retail',
        countyCode: '640402',
        location: { lon: 106.2 + i / 1e4, lat: 36.0 - i / 1e4 },
        change: i % 2 ? 'cleared' : 'newly_conflicting',
      })),
      premisesTruncated: true,
    }
    const { whole, slices } = await bothWays(PreviewResultSchema, value)
    expect(slices).toBe(whole)
  })
})
