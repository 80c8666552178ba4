import type { User } from '../../api/client.ts'

/** The rules screen is the governance office's and the administrators' (the rules are theirs to keep). */
export const rulesOffered = (user: User) => user.role === 'admin' || user.department === 'governance'

/** Who may save a rule change: what PUT /api/rules/{id} allows (governance supervisors; admins pass every rule). */
export const editsRules = (user: User) => user.role === 'admin' || (user.department === 'governance' && user.role === 'supervisor')
