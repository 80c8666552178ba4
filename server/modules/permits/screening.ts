import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import type { CrsName, PremisesCategory } from '../../schemas/common.ts'
import type { PermitKind, Rectification, Screening } from '../../schemas/permits.ts'
import type { CheckResult } from '../../schemas/zones.ts'
import { check } from '../zones/service.ts'
import { termEnd } from './licence.ts'
import * as repository from './repository.ts'

// A transaction is a Kysely too: the screening runs inside the caller's.
type Db = Kysely<Database>

/**
 * Guidance shown instead of a plain approval when a renewal is for premises that were there before a
 * school whose zone they lie in (《实施意见》第三条、第九条: such premises are put under rectification,
 * 限期整改, with a deadline, and as a rule not renewed at expiry).
 */
export const RECTIFICATION_GUIDANCE = {
  open: {
    zh: '该场所早于学校设立，现位于学校安全区域内，列入整改。按《实施意见》第三条、第九条，原则上到期不再续期；确需续期的，只能由主管（supervisor）填写越权理由（报综治办备案）并批准限期整改续期：明确迁出或停业的期限，许可证于该期限届满，期满不再续期。',
    en: 'The premises predate a school whose safety zone they lie in and are flagged for rectification: as a rule they are not renewed. A renewal may be approved only by a supervisor with an override justification (flagged to the governance office) as a time-limited rectification: relocate or close by a deadline, on which the licence ends and beyond which it is not renewed.',
  },
  granted: (until: string) => ({
    zh: `该场所已获限期整改续期至 ${until}，期满不再续期：本次申请只能不予批准（或申请迁址）。`,
    en: `A rectification period was already granted to these premises until ${until}; no renewal beyond it: reject this application (or apply for a relocation).`,
  }),
}

/** What is screened: the point in WGS84, as the applicant gave it, and the earlier premises of a renewal. */
export interface ScreeningSubject {
  category: PremisesCategory
  kind: PermitKind
  lon: number
  lat: number
  input: { lon: number; lat: number; crs: CrsName }
  earlierPremisesId: number | undefined
}

/** Screens an application against the zones and rules in force; a prohibited renewal of premises that predate a school carries rectification guidance. */
export async function screen(db: Db, subject: ScreeningSubject, today: string): Promise<Screening> {
  const { category, kind, lon, lat, input, earlierPremisesId } = subject
  const result = await check(db, { lon, lat, crs: 'wgs84', category })
  const screening: Screening = { ...result, input, crs: input.crs }
  if (kind === 'renewal' && earlierPremisesId !== undefined && result.verdict === 'prohibited') {
    const rectification = await rectificationFor(db, earlierPremisesId, category, result, today)
    if (rectification) screening.rectification = rectification
  }
  return screening
}

/** Rectification guidance when the premises predate at least one school whose zone they lie in; undefined otherwise. */
async function rectificationFor(
  db: Db,
  premisesId: number,
  category: PremisesCategory,
  result: CheckResult,
  today: string,
): Promise<Rectification | undefined> {
  const rows = await repository.predating(db, premisesId, [...new Set(result.conflicts.map((c) => c.schoolId))])
  const predates = rows.filter((r) => r.predates)
  if (predates.length === 0) return undefined
  const grantedUntil = (await repository.grantedRectification(db, premisesId)) ?? null
  const guidance = grantedUntil === null ? RECTIFICATION_GUIDANCE.open : RECTIFICATION_GUIDANCE.granted(grantedUntil)
  return {
    guidance: guidance.zh,
    guidanceEn: guidance.en,
    premisesId,
    predates: predates.map((r) => ({
      schoolId: r.school_id,
      schoolName: r.school_name,
      schoolSince: r.school_since,
      premisesSince: r.premises_since,
      basis: r.by_dates ? ('licence_and_opening_dates' as const) : ('registry_creation' as const),
    })),
    deadlineAtMost: grantedUntil === null ? termEnd(category, today) : null,
    grantedUntil,
  }
}

/** What makes two screenings the same for a decision: the verdict and each conflicting school with the rule version that decided it. */
export const signature = (screening: Screening): string =>
  `${screening.verdict}|${screening.conflicts
    .map((c) => `${c.schoolId}:${c.ruleId}:${c.ruleVersion}`)
    .sort()
    .join(',')}` + `|${screening.rectification ? `rectification:${screening.rectification.grantedUntil ?? 'open'}` : '-'}`
