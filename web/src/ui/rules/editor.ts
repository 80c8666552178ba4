import type { FieldProblem, Rule, UpdateRule } from '../../api/client.ts'
import type { ProposedRule } from '../../../../server/schemas/zones.ts'
import { ORIGINS, PATHS } from '../../../../server/schemas/rule-vocabulary.ts'
import { bandName, schoolTypeName, t } from '../../i18n.ts'
import { h } from '../dom.ts'
import { originName, pathName, todayInChina } from './format.ts'

/** The form of a rule change: what it would save (PUT) and what it would preview, with the API's problems beside their fields. */
export interface RuleEditor {
  element: HTMLFormElement
  /** The change as PUT /api/rules/{id} takes it: only the fields that differ, the reason and the version edited. */
  change(): UpdateRule
  /** The same change as POST /api/rules/preview takes it, for this rule or every school type of its category. */
  proposal(): ProposedRule
  /** Whether the change is for this rule only or for every school type of the category. */
  scope(): 'rule' | 'category'
  /** Shows each problem beside its field (`body/limitM`, `body/rules/0/bands/1/toM` …); returns those no field took. */
  showProblems(problems: readonly FieldProblem[]): FieldProblem[]
  clearProblems(): void
}

type Field = 'limitM' | 'origin' | 'path' | 'bands' | 'legalBasis' | 'effectiveFrom' | 'effectiveTo' | 'reason'

/** `siblings`: the category's rules of every school type (this one among them), for a change to all of them. */
export function ruleEditor(rule: Rule, siblings: readonly Rule[], onChange: () => void): RuleEditor {
  const errors = new Map<Field, HTMLElement>()
  const controls = new Map<Field, HTMLElement[]>()
  const field = (name: Field, label: string, ...inputs: HTMLElement[]) => {
    const error = h('p', { class: 'field-error', id: `rule-${name}-error`, 'data-field': `body/${name}`, role: 'alert', hidden: true })
    errors.set(name, error)
    controls.set(name, inputs)
    for (const input of inputs) input.setAttribute('aria-describedby', error.id)
    return h(
      'div',
      { class: 'field', 'data-field-name': name },
      h('label', { class: 'label', for: inputs[0]?.id || null }, label),
      ...inputs,
      error,
    )
  }
  const limit = h('input', { id: 'rule-limit', type: 'number', step: '0.1', min: '0', value: String(rule.limitM), inputmode: 'decimal' })
  const origin = h(
    'select',
    { id: 'rule-origin' },
    ORIGINS.map((o) => h('option', { value: o, selected: o === rule.origin }, originName(o))),
  )
  const path = h(
    'select',
    { id: 'rule-path' },
    PATHS.map((p) => h('option', { value: p, selected: p === rule.path }, pathName(p))),
  )
  // One input per inner band edge; the last band ends at the limit.
  const edges = rule.bands.slice(0, -1).map((band, i) =>
    h('input', {
      id: `rule-band-${i}`,
      type: 'number',
      step: '0.1',
      min: '0',
      value: String(band.toM),
      'aria-label': t('bandOuterEdge', { band: bandName(band.name) }),
    }),
  )
  const last = rule.bands[rule.bands.length - 1]!
  const legalBasis = h('textarea', { id: 'rule-legal-basis', rows: 3 }, rule.legalBasis)
  const effectiveFrom = h('input', { id: 'rule-effective-from', type: 'date', value: rule.effectiveFrom })
  const effectiveTo = h('input', { id: 'rule-effective-to', type: 'date', value: rule.effectiveTo ?? '' })
  const reason = h('textarea', { id: 'rule-reason', rows: 2, 'aria-required': 'true' })
  const scopeChoice = (value: 'rule' | 'category', label: string) =>
    h(
      'label',
      { class: 'check' },
      h('input', { type: 'radio', name: 'rule-scope', id: `rule-scope-${value}`, value, checked: value === 'rule' }),
      label,
    )
  const scope = h(
    'fieldset',
    { class: 'rule-scope' },
    h('legend', {}, t('ruleScope')),
    scopeChoice('rule', t('ruleScopeOne', { schoolType: schoolTypeName(rule.schoolType) })),
    siblings.length > 1 ? scopeChoice('category', t('ruleScopeCategory', { count: siblings.length })) : null,
  )
  const scopeValue = () => (element.querySelector<HTMLInputElement>('#rule-scope-category')?.checked ? 'category' : 'rule')
  const future = h('p', { class: 'warning', id: 'rule-future-warning', hidden: true }, t('futureWarning'))

  const element = h(
    'form',
    { class: 'rule-editor', novalidate: true, onsubmit: (event: Event) => event.preventDefault() },
    h(
      'div',
      { class: 'field-row' },
      field('limitM', t('limitMetres'), limit),
      field('origin', t('ruleOrigin'), origin),
      field('path', t('rulePath'), path),
    ),
    field(
      'bands',
      t('ruleBands'),
      ...rule.bands
        .slice(0, -1)
        .map((band, i) => h('label', { class: 'inline' }, h('span', {}, t('bandOuterEdge', { band: bandName(band.name) })), edges[i]!)),
      h('span', { class: 'muted small' }, t('bandLastEdge', { band: bandName(last.name) })),
    ),
    field('legalBasis', t('ruleLegalBasis'), legalBasis),
    h(
      'div',
      { class: 'field-row' },
      field('effectiveFrom', t('effectiveFrom'), effectiveFrom),
      field('effectiveTo', t('effectiveTo'), effectiveTo),
    ),
    future,
    scope,
    field('reason', t('ruleReason'), reason),
  )
  element.addEventListener('input', () => {
    future.hidden = !(effectiveFrom.value && effectiveFrom.value > todayInChina())
    onChange()
  })

  const number = (input: HTMLInputElement) => (input.value.trim() === '' ? null : Number(input.value))
  const limitValue = () => number(limit) as number
  const edgesChanged = () => edges.some((input, i) => number(input) !== rule.bands[i]!.toM)
  const bands = () =>
    rule.bands.map((band, i) => {
      const fromM = i === 0 ? 0 : (number(edges[i - 1]!) as number)
      const toM = i < edges.length ? (number(edges[i]!) as number) : limitValue()
      return { name: band.name, fromM, toM }
    })
  const differs = <K extends keyof UpdateRule>(key: K, value: UpdateRule[K], current: unknown) =>
    value === current ? {} : ({ [key]: value } as Pick<UpdateRule, K>)

  return {
    element,
    change: () => ({
      ...differs('limitM', limitValue(), rule.limitM),
      ...differs('origin', origin.value as Rule['origin'], rule.origin),
      ...differs('path', path.value as Rule['path'], rule.path),
      ...(edgesChanged() ? { bands: bands() } : {}),
      ...differs('legalBasis', legalBasis.value, rule.legalBasis),
      ...differs('effectiveFrom', effectiveFrom.value, rule.effectiveFrom),
      ...differs('effectiveTo', effectiveTo.value === '' ? null : effectiveTo.value, rule.effectiveTo),
      reason: reason.value,
      version: rule.version,
    }),
    scope: scopeValue,
    proposal: () => ({
      category: rule.category,
      ...(scopeValue() === 'rule' ? { schoolType: rule.schoolType } : {}),
      ...(limitValue() === rule.limitM ? {} : { limitM: limitValue() }),
      ...(origin.value === rule.origin ? {} : { origin: origin.value as Rule['origin'] }),
      ...(path.value === rule.path ? {} : { path: path.value as Rule['path'] }),
      ...(edgesChanged() ? { bands: bands() } : {}),
    }),
    showProblems(problems) {
      const left: FieldProblem[] = []
      const shown = new Map<Field, string[]>()
      for (const problem of problems) {
        // A preview names the proposal's fields under body/rules/0/, a change of several rules under body/change/, a change under body/.
        const name = problem.field.replace(/^body\/(?:rules\/\d+\/?|change\/)?/, 'body/').split('/')[1] as Field | undefined
        if (name && errors.has(name))
          shown.set(name, [...(shown.get(name) ?? []), `${problem.field.replace(/^body\//, '')}: ${problem.message}`])
        else left.push(problem)
      }
      for (const [name, messages] of shown) {
        const error = errors.get(name)!
        error.textContent = messages.join('；')
        error.hidden = false
        for (const input of controls.get(name) ?? []) input.setAttribute('aria-invalid', 'true')
        for (const input of name === 'bands' ? edges : []) input.setAttribute('aria-invalid', 'true')
      }
      return left
    },
    clearProblems() {
      for (const error of errors.values()) {
        error.hidden = true
        error.textContent = ''
      }
      for (const input of element.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid')
    },
  }
}
