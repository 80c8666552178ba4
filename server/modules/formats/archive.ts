import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { Unzip, UnzipInflate, UnzipPassThrough, type UnzipFile } from 'fflate'
import { AppError } from '../../errors.ts'

/** At most this many entries in an uploaded archive (a Shapefile is a handful of files). */
export const MAX_ARCHIVE_ENTRIES = 200
/** Compressed bytes pushed between yields to the event loop. */
const PUSH_BYTES = 256 * 1024

const refuse = (message: string, status: 'VALIDATION_FAILED' | 'PAYLOAD_TOO_LARGE' = 'VALIDATION_FAILED') =>
  new AppError(status, `archive: ${message}`, { problems: [{ field: 'archive', message }] })

/** Why an entry name is refused: it would leave the archive (absolute, drive letter, `..`) or is not a plain name. */
function pathProblem(name: string): string | undefined {
  if (name.includes('\0')) return 'contains a NUL character'
  const parts = name.split(/[\\/]/)
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name)) return 'is an absolute path'
  if (parts.includes('..')) return 'climbs out of the archive (..)'
  return undefined
}

/**
 * Unzips the entries `wanted` accepts, streaming with every inflated byte counted: the archive is refused
 * as soon as the entries together exceed `maxBytes` (whatever the headers claim) or there are more than
 * MAX_ARCHIVE_ENTRIES of them, and any entry name that would escape the archive is refused outright.
 */
export async function unzipBounded(
  data: Uint8Array,
  maxBytes: number,
  wanted: (name: string) => boolean,
): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>()
  let entries = 0
  let total = 0
  let failure: AppError | undefined
  const started: { file: UnzipFile; chunks: Uint8Array[] }[] = []
  const unzip = new Unzip((file) => {
    if (failure) return
    entries += 1
    const problem = pathProblem(file.name)
    if (problem) failure = refuse(`entry ${JSON.stringify(file.name)} ${problem}`)
    else if (entries > MAX_ARCHIVE_ENTRIES) failure = refuse(`has more than ${MAX_ARCHIVE_ENTRIES} entries`, 'PAYLOAD_TOO_LARGE')
    if (failure || file.name.endsWith('/') || !wanted(file.name)) return
    if (file.compression !== 0 && file.compression !== 8) {
      failure = refuse(`entry ${JSON.stringify(file.name)} uses compression method ${file.compression} (only stored or deflated entries)`)
      return
    }
    const entry = { file, chunks: [] as Uint8Array[] }
    started.push(entry)
    file.ondata = (error, chunk, final) => {
      if (failure) return
      if (error) {
        failure = refuse(`entry ${JSON.stringify(file.name)} is corrupt (${error.message})`)
        return
      }
      total += chunk.byteLength
      if (total > maxBytes) {
        failure = refuse(`unpacks to more than ${maxBytes} bytes`, 'PAYLOAD_TOO_LARGE')
        file.terminate()
        return
      }
      entry.chunks.push(chunk)
      if (final) files.set(file.name, Buffer.concat(entry.chunks))
    }
    file.start()
  })
  unzip.register(UnzipInflate)
  unzip.register(UnzipPassThrough)
  try {
    for (let offset = 0; offset < data.byteLength && !failure; offset += PUSH_BYTES) {
      unzip.push(data.subarray(offset, offset + PUSH_BYTES), offset + PUSH_BYTES >= data.byteLength)
      await yieldToEventLoop()
    }
  } catch (error) {
    if (!failure) failure = refuse(`is not a readable zip archive (${(error as Error).message})`)
  }
  if (failure) throw failure
  for (const { file } of started) {
    if (!files.has(file.name)) throw refuse(`entry ${JSON.stringify(file.name)} is truncated`)
  }
  return files
}
