import { createHash } from 'node:crypto'
import { fileTypeFromBuffer } from 'file-type'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError, notFound } from '../../errors.ts'
import type { SignedInActor, User } from '../../schemas/auth.ts'
import { ATTACHMENT_TYPES, type AttachmentPhase, type AttachmentType } from '../../schemas/hazard-vocabulary.ts'
import { record as appendAudit } from '../audit-log/service.ts'
import * as repository from './repository.ts'
import { attachable, attachmentOf, readable } from './service.ts'

/** At most this many bytes a file (photos and scans of the rectification, before and after). */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
const EXTENSIONS: Record<AttachmentType, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'application/pdf': 'pdf' }

/** What the bytes look like when they are none of the accepted types, for the refusal's message. */
function describe(content: Buffer, detected: string | undefined): string {
  if (detected) return detected
  const head = content.subarray(0, 512).toString('utf8').trimStart().toLowerCase()
  if (head.startsWith('<!doctype html') || head.startsWith('<html') || /<(script|body|head|iframe|svg)[\s>]/.test(head)) return 'HTML'
  if (head.startsWith('<')) return 'XML or HTML text'
  return 'an unrecognised format'
}

/**
 * The type of a file taken from its content (file-type reads the magic bytes), never from its name or the
 * declared Content-Type: JPEG, PNG or PDF, or 415 naming what it is.
 */
export async function sniff(content: Buffer, filename: string): Promise<AttachmentType> {
  if (content.length === 0)
    throw new AppError('VALIDATION_FAILED', 'body: the file is empty', { problems: [{ field: 'body', message: 'empty' }] })
  const detected = await fileTypeFromBuffer(content)
  const mime = detected?.mime
  if (mime && (ATTACHMENT_TYPES as readonly string[]).includes(mime)) return mime as AttachmentType
  throw new AppError(
    'UNSUPPORTED_MEDIA_TYPE',
    `body: the content of ${JSON.stringify(filename)} is ${describe(content, mime)}, not JPEG, PNG or PDF; only those are kept (the type is read from the content, not the name)`,
  )
}

/** A file name safe to store and to send back: no path, no control characters, the extension of the sniffed type. */
export function safeFilename(name: string | undefined, type: AttachmentType, fallback: string): string {
  const base = (name ?? '')
    .split(/[\\/]/)
    .pop()!
    // eslint-disable-next-line no-control-regex -- control characters are what is removed
    .replace(/[\u0000-\u001f\u007f"]/g, '')
    .trim()
    .slice(0, 200)
  const stem = base.replace(/\.[A-Za-z0-9]{1,5}$/, '') || fallback
  return `${stem}.${EXTENSIONS[type]}`
}

/** Stores one attachment of a hazard after sniffing its type; audited. */
export async function addAttachment(
  db: Kysely<Database>,
  hazardId: number,
  file: { content: Buffer; filename: string | undefined; phase: AttachmentPhase },
  actor: SignedInActor,
) {
  if (file.content.length > MAX_ATTACHMENT_BYTES) {
    throw new AppError(
      'PAYLOAD_TOO_LARGE',
      `body: ${file.content.length} bytes is more than the ${MAX_ATTACHMENT_BYTES} bytes (10 MB) a file may have`,
    )
  }
  const type = await sniff(file.content, file.filename ?? 'the file')
  const sha256 = createHash('sha256').update(file.content).digest('hex')
  return db.transaction().execute(async (trx) => {
    await attachable(trx, hazardId, actor.user)
    const row = await repository.insertAttachment(trx, {
      hazardId,
      sha256,
      contentType: type,
      filename: safeFilename(file.filename, type, `hazard-${hazardId}`),
      content: file.content,
      phase: file.phase,
      createdBy: { id: actor.user.id, username: actor.user.username },
    })
    const hazard = (await repository.findHazard(trx, hazardId))!
    await repository.insertEvents(trx, [
      {
        hazardId,
        action: 'attachment',
        fromState: hazard.state,
        toState: hazard.state,
        note: row.filename,
        fields: { attachmentId: row.id, phase: row.phase, sha256, contentType: type, bytes: row.bytes },
        actor: { id: actor.user.id, username: actor.user.username },
      },
    ])
    const attachment = attachmentOf(row)
    await appendAudit(trx, actor, { action: 'attach', entityType: 'hazard', entityId: hazardId, after: attachment })
    return attachment
  })
}

/** One attachment with its bytes, for a user who may read its hazard; 404 otherwise. */
export async function readAttachment(db: Kysely<Database>, hazardId: number, attachmentId: number, user: User) {
  await readable(db, hazardId, user)
  const row = await repository.findAttachment(db, hazardId, attachmentId)
  if (!row) throw notFound(`attachment of hazard ${hazardId}`, attachmentId)
  return row
}

/** Content-Disposition per RFC 6266 / RFC 5987: an ASCII fallback and the UTF-8 name. */
export function contentDisposition(filename: string, disposition: 'inline' | 'attachment' = 'inline'): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_')
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encoded}`
}
