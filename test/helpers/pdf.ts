/** Reading PDFs back in tests: the response body as bytes, and the text poppler's pdftotext reads from it. */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Response } from 'supertest'
import { expect } from 'vitest'

/** A Supertest parser keeping the body as a Buffer (`.buffer(true).parse(binary)`). */
export const binary = (response: Response, callback: (error: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = []
  response.on('data', (chunk: Buffer) => chunks.push(chunk))
  response.on('end', () => callback(null, Buffer.concat(chunks)))
}

/**
 * The PDF's text as pdftotext reads it (whitespace removed), after checking it has an embedded font and one page
 * (or, with `pages: 'any'`, at least one).
 */
export function pdfText(pdf: Buffer, pages: 1 | 'any' = 1): string {
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-')
  expect(pdf.toString('latin1')).toMatch(/\/FontFile2|\/FontFile3/)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certificate-'))
  try {
    fs.writeFileSync(path.join(dir, 'c.pdf'), pdf)
    expect(execFileSync('pdfinfo', [path.join(dir, 'c.pdf')], { encoding: 'utf8' })).toMatch(
      pages === 1 ? /Pages:\s+1\n/ : /Pages:\s+[1-9]\d*\n/,
    )
    return execFileSync('pdftotext', ['-layout', path.join(dir, 'c.pdf'), '-'], { encoding: 'utf8' }).replace(/\s+/g, '')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
