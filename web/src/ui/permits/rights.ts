import type { PremisesCategory, User } from '../../api/client.ts'
import { LICENSING_DEPARTMENTS } from '../../../../server/schemas/licensing.ts'
import { CATEGORY_VALUES } from '../../i18n.ts'

/** Whether this user's department licenses the category (what the server enforces; the desk hides what would fail). */
export function licenses(user: User, category: string): boolean {
  if (user.role === 'viewer') return false
  if (user.role === 'admin') return true
  return LICENSING_DEPARTMENTS[category as PremisesCategory]?.includes(user.department) ?? false
}

/** Whether this user may register applications at all. */
export const licensesAnything = (user: User) =>
  user.role !== 'viewer' && (user.role === 'admin' || CATEGORY_VALUES.some((c) => licenses(user, c)))
