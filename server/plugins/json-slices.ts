import { Readable } from 'node:stream'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { FastifyReply } from 'fastify'
import type { TObject } from 'typebox'

/** A part of a response schema, as the serializer compiler takes it. */
type SchemaPart = { type?: unknown; items?: SchemaPart; default?: unknown; [keyword: string]: unknown }

/** About this much JSON is written before the socket is asked to take it. */
const SLICE_CHARS = 16 * 1024
/** The writing gives other requests a turn at least this often (the socket may take slice after slice at once). */
const TURN_MS = 5

/**
 * Sends `value` as exactly the JSON its response schema would give (each property and each array item written by
 * the route's serializer compiled for that part of the schema, in the order fast-json-stringify writes them), but piece by piece as the
 * socket drains, with turns for other requests between pieces. Fastify serialises an answer in one synchronous
 * step: for an answer of thousands of items (a what-if preview lists every school it touches) that one step held
 * the event loop, and /health with it, for tens of milliseconds on a loaded machine. The response schema stays on
 * the route for the contract (OpenAPI, the web's types); the 4xx answers are still serialised by Fastify.
 */
export function sendJsonInSlices(reply: FastifyReply, schema: TObject, value: Record<string, unknown>): FastifyReply {
  const serializerOf = (part: SchemaPart) => reply.compileSerializationSchema(part) as (input: unknown) => string
  const whole = schema as TObject & SchemaPart
  if (whole.additionalProperties !== undefined || whole.patternProperties !== undefined)
    throw new Error('sendJsonInSlices writes the properties of an object schema, not additional or pattern properties')
  // fast-json-stringify writes the required properties first, each group in the schema's order.
  const required = new Set<string>(schema.required ?? [])
  const parts = (Object.entries(schema.properties) as [string, SchemaPart][]).sort(
    ([a], [b]) => Number(required.has(b)) - Number(required.has(a)),
  )
  async function* slices() {
    let since = performance.now()
    const turn = async () => {
      if (performance.now() - since < TURN_MS) return
      await nextTurn()
      since = performance.now()
    }
    let out = '{'
    let first = true
    for (const [key, part] of parts) {
      const v = value[key] === undefined ? part.default : value[key]
      if (v === undefined) {
        if (required.has(key)) throw new Error(`${JSON.stringify(key)} is required!`)
        continue
      }
      out += `${first ? '' : ','}${JSON.stringify(key)}:`
      first = false
      if (part.type !== 'array' || !part.items || !Array.isArray(v)) {
        out += serializerOf(part)(v)
        continue
      }
      const item = serializerOf(part.items)
      out += '['
      for (let i = 0; i < v.length; i += 1) {
        out += (i === 0 ? '' : ',') + item(v[i])
        if (out.length >= SLICE_CHARS) {
          yield out
          out = ''
          await turn()
        }
      }
      out += ']'
    }
    yield `${out}}`
  }
  return reply.type('application/json; charset=utf-8').send(Readable.from(slices(), { objectMode: false, highWaterMark: SLICE_CHARS }))
}
