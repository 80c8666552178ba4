import type { RuleVersion } from '../../api/client.ts'
import { bandName, dateTime, t } from '../../i18n.ts'
import { h } from '../dom.ts'
import { originName, pathName } from './format.ts'

/** A version's snapshot as rule_versions keeps it (the rules row, snake_case). */
interface Snapshot {
  limit_m?: number
  origin?: string
  path?: string
  band_names?: string[]
  band_edges?: number[]
  legal_basis?: string
  effective_from?: string
  effective_to?: string | null
}

const FIELDS: { key: keyof Snapshot; label: Parameters<typeof t>[0]; show: (s: Snapshot) => string }[] = [
  { key: 'limit_m', label: 'ruleLimit', show: (s) => `${s.limit_m} m` },
  { key: 'origin', label: 'ruleOrigin', show: (s) => originName(s.origin ?? '') },
  { key: 'path', label: 'rulePath', show: (s) => pathName(s.path ?? '') },
  {
    key: 'band_edges',
    label: 'ruleBands',
    show: (s) =>
      (s.band_names ?? [])
        .map((name, i) => `${bandName(name)}${i < (s.band_edges ?? []).length ? ` ≤${s.band_edges![i]} m` : ''}`)
        .join('，'),
  },
  { key: 'legal_basis', label: 'ruleLegalBasis', show: (s) => s.legal_basis ?? '' },
  { key: 'effective_from', label: 'effectiveFrom', show: (s) => s.effective_from ?? '' },
  { key: 'effective_to', label: 'effectiveTo', show: (s) => s.effective_to ?? '—' },
]

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null)

/** The versions of a rule, newest first: who, when, why, and what changed from the version before. */
export function ruleHistory(versions: readonly RuleVersion[]): HTMLElement {
  const ordered = [...versions].sort((a, b) => a.version - b.version)
  const items = ordered.map((version, i) => {
    const snapshot = (version.snapshot ?? {}) as Snapshot
    const before = i > 0 ? ((ordered[i - 1]!.snapshot ?? {}) as Snapshot) : null
    const changes = before
      ? FIELDS.filter(
          (f) => !same(before[f.key], snapshot[f.key]) || (f.key === 'band_edges' && !same(before.band_names, snapshot.band_names)),
        )
      : []
    return h(
      'li',
      { 'data-version': version.version },
      h(
        'div',
        { class: 'version-head' },
        h('strong', {}, t('versionNumber', { version: version.version })),
        ` · ${dateTime(version.changedAt)} · ${version.changedBy ?? t('systemUser')}`,
      ),
      h('div', { class: 'version-reason' }, version.reason),
      before === null
        ? h('div', { class: 'muted' }, t('initialVersion'))
        : h(
            'ul',
            { class: 'version-changes' },
            changes.map((f) => h('li', {}, `${t(f.label)}：${f.show(before)} → ${f.show(snapshot)}`)),
          ),
    )
  })
  return h('section', { class: 'rule-history' }, h('h3', {}, t('ruleHistory')), h('ol', { reversed: true }, items.reverse()))
}
