import type { CrsName, PremisesCategory } from '../../schemas/common.ts'
import type { Permit, PermitKind, PermitStatus, Screening } from '../../schemas/permits.ts'
import type { PermitRow } from './repository.ts'

/** Screenings stored before rectification became structured carried it as one text: keep its words. */
function screeningOf(stored: unknown, premisesId: number | null): Screening {
  const screening = (typeof stored === 'string' ? JSON.parse(stored) : stored) as Screening
  const legacy: unknown = screening.rectification
  if (typeof legacy === 'string') {
    const [zh, ...en] = legacy.split(' The premises')
    screening.rectification = {
      guidance: zh!,
      guidanceEn: en.length > 0 ? `The premises${en.join(' The premises')}` : '',
      premisesId: premisesId ?? 0,
      predates: [],
      deadlineAtMost: null,
      grantedUntil: null,
    }
  }
  return screening
}

/** A timestamp as the API writes it (ISO 8601, UTC). */
export const iso = (value: Date | string): string => new Date(value).toISOString()

/** Row → API permit. */
export function permitOf(row: PermitRow): Permit {
  const [lon, lat] = row.location.coordinates as [number, number]
  return {
    id: row.id,
    status: row.status as PermitStatus,
    version: row.version,
    applicant: { name: row.applicant_name, idNumber: row.applicant_id_number },
    businessName: row.business_name,
    category: row.category as PremisesCategory,
    kind: row.kind as PermitKind,
    address: row.address,
    countyCode: row.county_code.trim(),
    location: { lon, lat },
    input: { lon: Number(row.input_lon), lat: Number(row.input_lat), crs: row.source_crs as CrsName },
    screening: screeningOf(row.screening, row.premises_id),
    flaggedOverride: row.flagged_override,
    decision:
      row.decided_at === null
        ? null
        : {
            decision: row.status === 'approved' ? 'approve' : 'reject',
            reason: row.decision_reason ?? '',
            overrideJustification: row.override_justification,
            rectification: (typeof row.rectification === 'string' ? JSON.parse(row.rectification) : row.rectification) as {
              measure: 'relocate' | 'close'
              deadline: string
            } | null,
            decidedBy: { id: row.decided_by ?? 0, username: row.decided_by_name ?? '', role: row.decided_role ?? '' },
            decidedAt: iso(row.decided_at),
          },
    premisesId: row.premises_id,
    licenceNo: row.licence_no,
    submittedBy: row.submitted_by_name,
    submittedAt: iso(row.submitted_at),
    updatedAt: iso(row.updated_at),
  }
}
