import { ApiError } from '../api/client.ts'
import { t } from '../i18n.ts'

/** An API error in words a clerk can act on; field problems are listed as the server named them. */
export function explain(error: unknown): string {
  if (!(error instanceof ApiError)) return (error as Error)?.message ?? String(error)
  if (error.status === 0) return t('networkError')
  if (error.status === 401) return t('sessionExpired')
  if (error.status === 403) return `${t('forbidden')} (${error.message})`
  if (error.status === 404) return t('notFound')
  const problems = error.problems.map((p) => `${p.field}: ${p.message}`).filter(Boolean)
  return problems.length > 0 ? `${error.message}\n${problems.join('\n')}` : error.message
}
