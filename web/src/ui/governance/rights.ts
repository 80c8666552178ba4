/**
 * What the governance desk offers whom. The server decides (server/modules/hazards/states.ts, the reports' scope);
 * the desk mirrors those rules so that it does not offer what would only be refused.
 */
import type { User } from '../../api/client.ts'
import type { Hazard, ReportName } from '../../api/governance.ts'
import { LICENSING_DEPARTMENTS } from '../../../../server/schemas/licensing.ts'

export type Tab = 'dashboard' | 'map' | 'inbox' | 'ledger' | 'school' | 'reports'

/** The governance office, the education bureau and admins read every hazard and the figures of every county. */
export const overseer = (user: User) => user.role === 'admin' || user.department === 'governance' || user.department === 'education'

const licensingDepartments = new Set(Object.values(LICENSING_DEPARTMENTS).flat())

/** The tabs a user is offered: the dashboard to those who oversee; the inbox, ledger, map and school file to all. */
export function tabsFor(user: User): Tab[] {
  const tabs: Tab[] = overseer(user) ? ['dashboard', 'map', 'inbox', 'ledger', 'school'] : ['inbox', 'ledger', 'map', 'school']
  if (REPORT_NAMES.some((name) => mayReadReport(user, name))) tabs.push('reports')
  return tabs
}

const REPORT_NAMES: readonly ReportName[] = ['conflicts', 'hazards', 'compliance', 'permits', 'patrols']

/** Whether the reports service would answer this user the report (its scope rules). */
export function mayReadReport(user: User, name: ReportName): boolean {
  if (user.role === 'admin') return true
  const d = user.department
  const licenses = licensingDepartments.has(d)
  switch (name) {
    case 'conflicts':
      return d === 'governance' || d === 'education' || d === 'police' || licenses
    case 'permits':
      return d === 'governance' || licenses
    case 'patrols':
      return d === 'police' || d === 'governance' || d === 'education'
    default:
      return true
  }
}

export type Party = 'department' | 'governance' | 'department_supervisor' | 'governance_supervisor'

/** Who the user is to a hazard (as states.ts partiesOf; a zone conflict's other licensing departments included). */
export function partiesOf(user: User, hazard: Pick<Hazard, 'department' | 'kind' | 'countyCode'>): Set<Party> {
  if (user.role === 'admin') return new Set(['department', 'governance', 'department_supervisor', 'governance_supervisor'])
  const parties = new Set<Party>()
  if (user.role === 'viewer' || (user.countyCode && user.countyCode !== hazard.countyCode)) return parties
  const supervisor = user.role === 'supervisor'
  if (user.department === 'governance') {
    parties.add('governance')
    if (supervisor) parties.add('governance_supervisor')
  }
  const responsible =
    hazard.department === user.department || (hazard.kind === 'zone_conflict' && licensingDepartments.has(user.department))
  if (responsible) {
    parties.add('department')
    if (supervisor) parties.add('department_supervisor')
  }
  return parties
}

/** The parties each move needs (any one of them), as the loop's rules say. */
export const MOVE_PARTIES = {
  step: ['department', 'governance'],
  accepted: ['governance', 'department_supervisor'],
  closed: ['governance'],
  acceptance_failed: ['governance', 'department_supervisor'],
  close_without_rectification: ['governance_supervisor', 'department_supervisor'],
  report_rectified: ['department', 'governance'],
  request_extension: ['department'],
  approve_extension: ['governance_supervisor'],
  refuse_extension: ['governance_supervisor'],
} as const satisfies Record<string, readonly Party[]>

export const canMake = (parties: Set<Party>, move: keyof typeof MOVE_PARTIES) =>
  (MOVE_PARTIES[move] as readonly Party[]).some((p) => parties.has(p))
