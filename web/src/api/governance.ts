/**
 * The governance desk's part of the typed client: the hazard ledger, the inbox, attachments, the school file, the
 * dashboard figures and the reports. Types come from the server's schemas (type-only imports, erased at build).
 */
import type { ErrorResponse } from '../../../server/schemas/common.ts'
import type {
  AttachmentPhase,
  Hazard,
  HazardDetail,
  HazardPage,
  HazardQuery,
  Inbox,
  InboxItem,
  Transition,
} from '../../../server/schemas/hazards.ts'
import type { SchoolFile } from '../../../server/schemas/school-file.ts'
import { ApiError, request, withQuery, type Query } from './client.ts'

export type { Hazard, HazardDetail, HazardPage, HazardQuery, Inbox, InboxItem, SchoolFile, Transition }

/** Counts keyed by a code (category, band, state, grade). */
type Counts = Record<string, number>

/**
 * The figures of GET /api/stats for one county or in total (the reports module's StatsSchema; only what the
 * dashboard draws is typed here).
 */
export interface CountyFigures {
  schools: number
  urbanSchools: number
  zones: number
  conflicts: { total: number; byCategory: Counts; byBand: Counts; preexisting: number }
  hazards: { total: number; open: number; overdue: number; byState: Counts; byGrade: Counts; openByGrade: Counts }
  permitsThisMonth: { decided: number; approved: number; rejected: number; overrides: number }
  compliance: { schools: number; compliant: number; notCompliant: number; incomplete: number; share: number }
  patrolToday: { urbanSchools: number; met: number; visits: number; share: number }
}
export interface Stats {
  today: string
  month: string
  counties: (CountyFigures & { code: string; name: string })[]
  totals: CountyFigures
  generatedAt: string
}

export const REPORTS = ['conflicts', 'hazards', 'compliance', 'permits', 'patrols'] as const
export type ReportName = (typeof REPORTS)[number]
export const REPORT_FORMATS = ['xlsx', 'csv', 'pdf'] as const
export type ReportFormat = (typeof REPORT_FORMATS)[number]
/** The filters each report takes (others are refused by the service). */
export const REPORT_FILTERS: Record<ReportName, readonly ('countyCode' | 'from' | 'to')[]> = {
  conflicts: ['countyCode', 'from', 'to'],
  hazards: ['countyCode', 'from', 'to'],
  compliance: ['countyCode'],
  permits: ['countyCode', 'from', 'to'],
  patrols: ['countyCode', 'from', 'to'],
}

export const governanceApi = {
  stats: (countyCode?: string) => request<Stats>('GET', '/api/stats', { query: { countyCode } }),
  hazards: (query: HazardQuery, signal?: AbortSignal) => request<HazardPage>('GET', '/api/hazards', { query: query as Query, signal }),
  hazard: (id: number) => request<HazardDetail>('GET', `/api/hazards/${id}`),
  transition: (id: number, body: Transition) => request<Hazard>('POST', `/api/hazards/${id}/transitions`, { body }),
  inbox: () => request<Inbox>('GET', '/api/inbox'),
  schoolFile: (id: number) => request<SchoolFile>('GET', `/api/schools/${id}/file`),
  /** Sends the file itself as the body; the service takes its type from the content. */
  attach: async (id: number, file: File, phase: AttachmentPhase) => {
    let response: Response
    try {
      response = await fetch(withQuery(`/api/hazards/${id}/attachments`, { phase, filename: file.name.slice(0, 255) || undefined }), {
        method: 'POST',
        credentials: 'same-origin',
        headers: { accept: 'application/json', 'content-type': file.type || 'application/octet-stream' },
        body: file,
      })
    } catch (error) {
      throw new ApiError(0, 'NETWORK', (error as Error).message)
    }
    const payload = (await response.json().catch(() => ({}))) as Partial<ErrorResponse> & { id?: number }
    if (!response.ok)
      throw new ApiError(
        response.status,
        payload.code ?? `HTTP_${response.status}`,
        payload.message ?? response.statusText,
        payload.details,
      )
    return payload as { id: number; sha256: string; contentType: string }
  },
}

export const attachmentUrl = (hazardId: number, attachmentId: number) => `/api/hazards/${hazardId}/attachments/${attachmentId}`
export const schoolFilePdfUrl = (schoolId: number) => `/api/schools/${schoolId}/file.pdf`
export const reportUrl = (name: ReportName, format: ReportFormat, filters: { countyCode?: string; from?: string; to?: string }) =>
  withQuery(
    `/api/reports/${name}.${format}`,
    Object.fromEntries(Object.entries(filters).filter(([key]) => (REPORT_FILTERS[name] as readonly string[]).includes(key))),
  )
