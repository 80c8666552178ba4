import { expect } from 'vitest'

interface ResponseLike {
  status: number
  body: unknown
  headers: Record<string, string>
}

/** Asserts the one error body `{ statusCode, error, code, message }` with a given status (and code). */
export function expectErrorBody(response: ResponseLike, status: number, code?: string) {
  expect(response.status, JSON.stringify(response.body)).toBe(status)
  expect(response.headers['content-type']).toMatch(/application\/json/)
  const body = response.body as Record<string, unknown>
  expect(body).toMatchObject({ statusCode: status, error: expect.any(String), code: expect.any(String), message: expect.any(String) })
  expect((body.message as string).length).toBeGreaterThan(0)
  if (code) expect(body.code).toBe(code)
}
