import { Ajv, type ErrorObject } from 'ajv'
import addFormats from 'ajv-formats'
import { parseChunked } from '@discoveryjs/json-ext'
import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify'
import { setImmediate as turn } from 'node:timers/promises'
import { scan } from 'secure-json-parse'
import { AppError, type FieldProblem } from '../errors.ts'
import { DECIMAL, INTEGER } from '../schemas/numbers.ts'

/** Schema keyword marking a body that may be left out entirely (see NoBodySchema). */
export const OPTIONAL_BODY = 'x-optional-body'

/**
 * Bodies are validated strictly: no type coercion, unknown fields rejected (never silently dropped).
 * Query strings and path parameters arrive as text, so they are coerced to the declared types.
 */
export function installValidators(app: FastifyInstance) {
  const common = { allErrors: true, removeAdditional: false as const, useDefaults: true, strict: false }
  const strict = new Ajv({ ...common, coerceTypes: false })
  const coercing = new Ajv({ ...common, coerceTypes: 'array' as const })
  for (const ajv of [strict, coercing]) addFormats.default(ajv)
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing
    const validate = ajv.compile(schema as FastifySchema & object)
    if (httpPart !== 'body') return strictNumbers(schema, validate)
    if ((schema as Record<string, unknown>)[OPTIONAL_BODY] !== true) return validate
    // JSON Schema cannot say "absent": a request without a body reaches the validator as null (JSON null too).
    const optional = (data: unknown) => {
      const valid = data === undefined || data === null || validate(data)
      optional.errors = valid ? null : validate.errors
      return valid
    }
    optional.errors = null as typeof validate.errors
    return optional
  })
}

type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null | undefined }

/** The syntax each numeric property of a query or path schema must be written in: integers and numbers in plain decimal. */
function numericSyntax(schema: unknown): Map<string, RegExp> {
  const syntax = new Map<string, RegExp>()
  const kindOf = (s: Record<string, unknown> | undefined): RegExp | undefined => {
    if (!s) return undefined
    if (s.type === 'integer') return INTEGER
    if (s.type === 'number') return DECIMAL
    if (s.type === 'array') return kindOf(s.items as Record<string, unknown> | undefined)
    for (const key of ['anyOf', 'oneOf'] as const) {
      const found = (s[key] as Record<string, unknown>[] | undefined)?.map(kindOf).find((k) => k !== undefined)
      if (found) return found
    }
    return undefined
  }
  const properties = (schema as { properties?: Record<string, Record<string, unknown>> }).properties ?? {}
  for (const [name, property] of Object.entries(properties)) {
    const kind = kindOf(property)
    if (kind) syntax.set(name, kind)
  }
  return syntax
}

/**
 * Ajv's coercion reads text as JavaScript does ("0x10" is 16, " 12" is 12): numbers in a query string or a path are
 * first held to plain decimal, so `z=0x10` is refused naming the field rather than served as zoom 16.
 */
function strictNumbers(schema: unknown, validate: Validate): Validate {
  const syntax = numericSyntax(schema)
  if (syntax.size === 0) return validate
  const checked: Validate = (data: unknown) => {
    if (data !== null && typeof data === 'object') {
      for (const [name, pattern] of syntax) {
        const value = (data as Record<string, unknown>)[name]
        for (const item of Array.isArray(value) ? value : [value]) {
          if (typeof item === 'string' && !pattern.test(item)) {
            const message = pattern === INTEGER ? 'must be a whole number in decimal digits' : 'must be a number in decimal digits'
            checked.errors = [{ instancePath: `/${name}`, schemaPath: '#/numeric', keyword: 'type', params: {}, message }]
            return false
          }
        }
      }
    }
    const valid = validate(data)
    checked.errors = validate.errors
    return valid
  }
  checked.errors = null
  return checked
}

/** Turns Ajv errors into field problems: `/properties/name must be string`, `unknown field /properties/colour`. */
export function problemsFromAjv(errors: ErrorObject[], part: string): FieldProblem[] {
  const problems: FieldProblem[] = []
  for (const error of errors.slice(0, 20)) {
    // The root of a part with no name (an import row) is called '/', never the empty string.
    const base = `${part}${error.instancePath}` || '/'
    if (error.keyword === 'additionalProperties') {
      problems.push({ field: `${base}/${String(error.params.additionalProperty)}`, message: 'is not a known field' })
    } else if (error.keyword === 'required') {
      problems.push({ field: `${base}/${String(error.params.missingProperty)}`, message: 'is required' })
    } else if (error.keyword === 'enum') {
      problems.push({ field: base, message: `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}` })
    } else if (error.keyword === 'anyOf' && problems.some((p) => p.field.startsWith(base))) {
      continue
    } else {
      problems.push({ field: base, message: error.message ?? 'is invalid' })
    }
  }
  return problems
}

// A NUL cannot be stored in PostgreSQL text (SQLSTATE 22021), and a lone surrogate is not Unicode at all.
const hasNul = (text: string) => text.includes('\u0000')
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
// Any surrogate at all: a single character class, much cheaper than the test above on clean text.
const SURROGATE = /[\ud800-\udfff]/

/** The first string (or key) of a parsed request part that holds a NUL or a lone surrogate, as a field problem. */
export function textProblem(value: unknown, field: string): FieldProblem | undefined {
  const check = (text: string, at: string): FieldProblem | undefined => {
    if (hasNul(text)) return { field: at, message: 'contains a NUL character (U+0000), which text may not hold' }
    if (LONE_SURROGATE.test(text))
      return { field: at, message: 'contains a lone surrogate (half of a UTF-16 pair), which is not valid Unicode' }
    return undefined
  }
  // Most requests are clean: scan first without building a path for every value (a 100,000-point batch
  // has 400,000 of them), and name the field only when something is found.
  if (!holdsBadText(value, (text) => (hasNul(text) || SURROGATE.test(text)) && check(text, '') !== undefined)) return undefined
  // Iterative, so that a deeply nested body cannot exhaust the stack (nesting is bounded elsewhere too).
  const stack: [unknown, string][] = [[value, field]]
  while (stack.length > 0) {
    const [item, at] = stack.pop()!
    if (typeof item === 'string') {
      const problem = check(item, at)
      if (problem) return problem
    } else if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i -= 1) stack.push([item[i], `${at}/${i}`])
    } else if (item !== null && typeof item === 'object' && !Buffer.isBuffer(item)) {
      for (const [key, child] of Object.entries(item)) {
        const problem = check(key, `${at}/${key}`)
        if (problem) return problem
        stack.push([child, `${at}/${key}`])
      }
    }
  }
  return undefined
}

/** Whether any string or key of a parsed value fails the test (iterative, like textProblem). */
function holdsBadText(value: unknown, bad: (text: string) => boolean): boolean {
  const stack: unknown[] = []
  // Strings are tested where they are met; only containers go on the stack.
  const visit = (item: unknown) => {
    if (typeof item === 'string') return bad(item)
    if (item !== null && typeof item === 'object' && !Buffer.isBuffer(item)) stack.push(item)
    return false
  }
  if (visit(value)) return true
  while (stack.length > 0) {
    const item = stack.pop() as object
    if (Array.isArray(item)) {
      for (const child of item) if (visit(child)) return true
    } else {
      for (const key in item) {
        if (!Object.hasOwn(item, key)) continue
        if (bad(key) || visit((item as Record<string, unknown>)[key])) return true
      }
    }
  }
  return false
}

/** Refuses NUL characters and lone surrogates in every string of every request, before validation, naming the field. */
export function installTextChecks(app: FastifyInstance) {
  app.addHook('preValidation', async (request) => {
    for (const [part, value] of [
      ['params', request.params],
      ['querystring', request.query],
      ['body', request.body],
    ] as const) {
      if (part === 'body' && typeof value === 'object' && value !== null && cleanBodies.has(value)) continue
      const problem = textProblem(value, part)
      if (problem) throw new AppError('VALIDATION_FAILED', `${problem.field}: ${problem.message}`, { problems: [problem] })
    }
  })
}

/**
 * Body parsers for an import route plugin, with the import body limit: GeoJSON as JSON under its own media
 * type, and the given media types passed through as text or as bytes for the import to decode itself.
 */
export function addImportParsers(app: FastifyInstance, raw: { text?: readonly string[]; bytes?: readonly string[] }) {
  const bodyLimit = app.config.importBodyLimitBytes
  if (raw.text?.length)
    app.addContentTypeParser([...raw.text], { parseAs: 'string', bodyLimit }, (_request, body, done) => done(null, body))
  if (raw.bytes?.length)
    app.addContentTypeParser([...raw.bytes], { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body))
  app.addContentTypeParser(['application/json', 'application/geo+json'], jsonInSteps)
}

/** How long the JSON of a large body is parsed before the event loop is given a turn. */
const PARSE_STEP_MS = 10
const PROTO_KEY = /"(?:_|\\u005[Ff]){2}(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)(?:o|\\u006[Ff])(?:_|\\u005[Ff]){2}"/
const CONSTRUCTOR_KEY =
  /"(?:c|\\u0063)(?:o|\\u006[Ff])(?:n|\\u006[Ee])(?:s|\\u0073)(?:t|\\u0074)(?:r|\\u0072)(?:u|\\u0075)(?:c|\\u0063)(?:t|\\u0074)(?:o|\\u006[Ff])(?:r|\\u0072)"/
/** Longest spelling of either key above, escapes and all: what one chunk keeps of the last to catch a key split between them. */
const KEY_OVERLAP = 80
/**
 * The only spellings in JSON text of a NUL (`\u0000`) or of a surrogate (`\uD800`–`\uDFFF`): a raw NUL is not valid
 * JSON, and UTF-8 cannot carry a surrogate (the decoder makes it U+FFFD). A body whose text holds neither can
 * hold no bad text once parsed (an escaped backslash before "u0000" only makes the scan run anyway).
 */
const NUL_OR_SURROGATE_ESCAPE = /\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})/
/**
 * Bodies parsed by jsonInSteps whose text had no such escape: the text check (installTextChecks) skips them, since
 * walking every value of a 100 MB import (millions of coordinates) would hold the event loop for a quarter of a second.
 */
const cleanBodies = new WeakSet<object>()

/**
 * A JSON body of up to the route's limit (imports: 100 MB; JSON.parse of that holds the event loop for most of
 * a second) parsed as it arrives, a socket chunk at a time (json-ext's parseChunked), with the event loop given a
 * turn every PARSE_STEP_MS. The route's body limit is enforced on the bytes read (and on Content-Length before
 * any is). Prototype poisoning is refused as Fastify's own parser does: `__proto__` keys at once, and
 * `constructor.prototype` once parsed (secure-json-parse's scan, only when the text holds a "constructor").
 */
export async function jsonInSteps(request: FastifyRequest, payload: AsyncIterable<Buffer>) {
  const limit = request.routeOptions.bodyLimit ?? request.server.initialConfig.bodyLimit ?? 1024 * 1024
  const tooLarge = () => new AppError('PAYLOAD_TOO_LARGE', `body: is larger than this route accepts (${limit} bytes)`)
  const declared = Number(request.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) throw tooLarge()
  let bytes = 0
  let tail = ''
  let constructorSeen = false
  let escapeSeen = false
  async function* chunks() {
    let since = performance.now()
    for await (const chunk of payload) {
      bytes += chunk.length
      if (bytes > limit) throw tooLarge()
      const text = tail + chunk.toString('latin1')
      if (PROTO_KEY.test(text)) throw new AppError('VALIDATION_FAILED', 'body: holds a "__proto__" key, which is not accepted')
      constructorSeen ||= CONSTRUCTOR_KEY.test(text)
      escapeSeen ||= NUL_OR_SURROGATE_ESCAPE.test(text)
      tail = text.slice(-KEY_OVERLAP)
      yield chunk
      if (performance.now() - since > PARSE_STEP_MS) {
        await turn()
        since = performance.now()
      }
    }
  }
  let body: unknown
  try {
    body = await parseChunked(chunks)
  } catch (error) {
    if (error instanceof AppError) throw error
    if (bytes === 0) throw new AppError('INVALID_JSON', 'body: is empty but the content type is JSON')
    throw new AppError('INVALID_JSON', 'body: is not valid JSON')
  }
  if (constructorSeen) {
    try {
      scan(body as Record<string, unknown>, { protoAction: 'error', constructorAction: 'error' })
    } catch {
      throw new AppError('VALIDATION_FAILED', 'body: holds a "constructor.prototype" key, which is not accepted')
    }
  }
  if (!escapeSeen && typeof body === 'object' && body !== null) cleanBodies.add(body)
  return body
}
