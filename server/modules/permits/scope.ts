import type { User } from '../../schemas/auth.ts'
import type { PremisesCategory } from '../../schemas/common.ts'
import { LICENSING_DEPARTMENTS } from '../../schemas/licensing.ts'
import type { Scope } from './repository.ts'

const categoriesOf = (department: string) =>
  (Object.keys(LICENSING_DEPARTMENTS) as PremisesCategory[]).filter((c) => LICENSING_DEPARTMENTS[c].includes(department as never))

/**
 * What a user may read: admins and the governance office everything; a licensing department its
 * own categories within its county scope; anyone else nothing.
 */
export function readScope(user: User): Scope {
  if (user.role === 'admin' || user.department === 'governance') return {}
  return { categories: categoriesOf(user.department), countyCode: user.countyCode ?? undefined }
}

/** What a user may decide: admins everything; otherwise their department's categories within their county scope. */
export function decideScope(user: User): Scope {
  if (user.role === 'admin') return {}
  return { categories: categoriesOf(user.department), countyCode: user.countyCode ?? undefined }
}
