/**
 * The JSON parser of large bodies (imports, batch checks): parsed a socket chunk at a time with turns of the event
 * loop between, the route's limit enforced on the bytes, and prototype poisoning refused even when the key is split
 * between two chunks.
 */
import { Readable } from 'node:stream'
import Fastify, { type FastifyRequest } from 'fastify'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../server/errors.ts'
import { installTextChecks, jsonInSteps } from '../../server/plugins/validation.ts'

const request = (bodyLimit: number, contentLength?: number) =>
  ({
    routeOptions: { bodyLimit },
    server: { initialConfig: { bodyLimit: 1024 } },
    headers: contentLength === undefined ? {} : { 'content-length': String(contentLength) },
  }) as unknown as FastifyRequest

/** The text as the socket would deliver it: chunks of `size` bytes. */
async function* socket(text: string, size = 65_536) {
  const bytes = Buffer.from(text)
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

const parse = (text: string, limit = 64 * 1024 * 1024, size?: number) => jsonInSteps(request(limit), socket(text, size))
const refusal = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(AppError)
  return error as AppError
}

describe('JSON bodies parsed in steps', () => {
  const points = Array.from({ length: 200_000 }, (_, i) => ({ id: `P-${i}`, lon: 106.2 + i * 1e-7, lat: 36.01, name: '烟酒店' }))
  const big = JSON.stringify({ category: 'tobacco_retail', points })

  it('gives the same value as JSON.parse, multi-byte characters split between chunks included', async () => {
    expect(await parse(big, undefined, 4099)).toEqual(JSON.parse(big))
  })

  it('lets the event loop run while a large body is parsed', async () => {
    let turns = 0
    let parsing = true
    const tick = () => {
      turns += 1
      if (parsing) setImmediate(tick)
    }
    setImmediate(tick)
    const value = (await parse(big)) as { points: unknown[] }
    parsing = false
    expect(value.points).toHaveLength(200_000)
    // 14 MB cannot be parsed between two turns: parsing steps are at most 10 ms and each gives one.
    expect(turns).toBeGreaterThan(1)
  })

  it('enforces the route limit on the bytes read, and on Content-Length before reading any', async () => {
    expect((await refusal(parse(big, 1_000_000))).code).toBe('PAYLOAD_TOO_LARGE')
    let read = 0
    async function* counted() {
      for await (const chunk of socket(big)) {
        read += chunk.length
        yield chunk
      }
    }
    const error = await refusal(jsonInSteps(request(1_000, big.length), counted()))
    expect(error.code).toBe('PAYLOAD_TOO_LARGE')
    expect(error.message).toMatch(/^body: /)
    expect(read).toBe(0)
  })

  it('refuses __proto__ keys, also escaped and split between two chunks', async () => {
    for (const key of ['__proto__', '\\u005f_proto__', '__pr\\u006fto__']) {
      const text = `${JSON.stringify({ filler: 'x'.repeat(100) })}`.slice(0, -1) + `, "${key}": {"role": "admin"}}`
      for (const size of [7, 64, 111, 65_536]) {
        const error = await refusal(parse(text, undefined, size))
        expect(error.code).toBe('VALIDATION_FAILED')
        expect(error.message).toMatch(/^body: .*__proto__/)
      }
    }
    // The same word as a value is harmless text and is kept.
    expect(await parse('{"name": "proto"}')).toEqual({ name: 'proto' })
  })

  it('refuses constructor.prototype, and keeps "constructor" as an ordinary key or value', async () => {
    const error = await refusal(parse('{"a": 1, "constructor": {"prototype": {"x": 1}}}', undefined, 5))
    expect(error.message).toMatch(/^body: .*constructor\.prototype/)
    expect(await parse('{"constructor": "土木工程"}')).toEqual({ constructor: '土木工程' })
  })

  it('names the body when the JSON is malformed or empty', async () => {
    expect((await refusal(parse('{"type": "Feature",}'))).message).toBe('body: is not valid JSON')
    expect((await refusal(parse('{"type": '))).message).toBe('body: is not valid JSON')
    expect((await refusal(parse(''))).message).toBe('body: is empty but the content type is JSON')
  })
})

describe('the text check of a body parsed in steps', () => {
  /** A bare Fastify with the text check and the stepped parser, fed `text` a few bytes at a time. */
  async function post(text: string, size: number) {
    const app = Fastify()
    installTextChecks(app)
    app.addContentTypeParser('application/json', jsonInSteps)
    app.setErrorHandler((error: AppError, _request, reply) =>
      reply.status(400).send({ message: error.message, problems: (error.details as { problems?: unknown } | undefined)?.problems }),
    )
    app.post('/', async (request) => ({ ok: true, body: request.body }))
    try {
      const response = await app.inject({
        method: 'POST',
        url: '/',
        headers: { 'content-type': 'application/json' },
        payload: Readable.from(socket(text, size)),
      })
      return { status: response.statusCode, body: response.json() }
    } finally {
      await app.close()
    }
  }
  const filler = Array.from({ length: 2000 }, (_, i) => [106 + i / 1e4, 36 - i / 1e4])

  it('still finds a NUL or a lone surrogate escape split between two chunks, and names the field', async () => {
    for (const escape of ['\\u0000', '\\uD800', '\\udfff']) {
      for (const size of [3, 5, 7]) {
        const answer = await post(`{"coordinates":${JSON.stringify(filler)},"names":["甲","乙${escape}丙"]}`, size)
        expect(answer.status, `${escape} in chunks of ${size}`).toBe(400)
        expect(answer.body.problems).toEqual([{ field: 'body/names/1', message: expect.stringMatching(/NUL|surrogate/) }])
      }
    }
  })

  it('passes clean text, astral characters and an escaped backslash before "u0000"', async () => {
    const body = { coordinates: filler, names: ['𠀀😀', 'a\\u0000b', '\ud83d\ude00'] }
    const answer = await post(JSON.stringify(body), 1000)
    expect(answer.status).toBe(200)
    expect(answer.body.body).toEqual(body)
    const escapedPair = await post('{"name":"\\ud83d\\ude00"}', 4)
    expect(escapedPair).toEqual({ status: 200, body: { ok: true, body: { name: '😀' } } })
  })
})
