import type { User } from '../../api/client.ts'

/** Departments the patrol screen is offered to (the server's police readers): others do not see it. */
const READERS: readonly string[] = ['police', 'governance', 'education']

export const canSeePatrol = (user: User) => user.role === 'admin' || READERS.includes(user.department)
/** Who makes plans, edits units and grids and checks in: police clerks and supervisors (within their county, as the server decides). */
export const canWritePatrol = (user: User) =>
  user.role === 'admin' || (user.department === 'police' && (user.role === 'clerk' || user.role === 'supervisor'))
