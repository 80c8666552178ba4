import type { Rule } from '../../api/client.ts'
import { bandName, t } from '../../i18n.ts'
import { h } from '../dom.ts'

export const originName = (origin: string) => t(origin === 'gates' ? 'originGates' : 'originCampus')
export const pathName = (path: string) => t(path === 'walking' ? 'pathWalking' : 'pathStraight')
export const bandsText = (bands: Rule['bands']) => bands.map((b) => `${bandName(b.name)} ${b.fromM}–${b.toM} m`).join('，')

/** Today's date in China Standard Time, as the server's current_date on a Chinese deployment compares it. */
export function todayInChina(): string {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)
}

/** When a rule is in force, and a badge when it is not (yet). */
export function effectiveText(rule: Pick<Rule, 'effectiveFrom' | 'effectiveTo' | 'inForce'>): (HTMLElement | string)[] {
  const span = [t('inForceFrom', { date: rule.effectiveFrom }), rule.effectiveTo ? t('inForceUntil', { date: rule.effectiveTo }) : '']
    .filter(Boolean)
    .join(' ')
  if (rule.inForce) return [span]
  const future = rule.effectiveFrom > todayInChina()
  return [
    span,
    ' ',
    h(
      'span',
      { class: `badge ${future ? 'future' : 'expired'}`, 'data-in-force': 'false' },
      future ? t('notYetInForce', { date: rule.effectiveFrom }) : t('noLongerInForce'),
    ),
  ]
}
