import type { Rule } from '../../api/client.ts'
import { SCHOOL_TYPES } from '../../../../server/schemas/vocabulary.ts'
import { CATEGORY_VALUES, categoryName, schoolTypeName, t } from '../../i18n.ts'
import { h } from '../dom.ts'
import { bandsText, effectiveText, originName, pathName } from './format.ts'

/** The category filter above the table. */
export function categoryFilter(value: string, onChange: (category: string) => void): HTMLElement {
  const select = h(
    'select',
    { id: 'rules-category', onchange: () => onChange(select.value) },
    h('option', { value: '' }, t('allCategories')),
    CATEGORY_VALUES.map((c) => h('option', { value: c, selected: c === value }, categoryName(c))),
  )
  return h('label', { class: 'field' }, h('span', {}, t('ruleCategory')), select)
}

/** The rules as a table, one row per category × school type; a row opens the rule. */
export function rulesTable(rules: readonly Rule[], open: (id: number) => void): HTMLElement {
  const header = [
    'ruleCategory',
    'ruleSchoolType',
    'ruleLimit',
    'ruleOrigin',
    'rulePath',
    'ruleBands',
    'ruleLegalBasis',
    'ruleEffective',
    'ruleVersion',
  ] as const
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'rules-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          header.map((key) => h('th', { scope: 'col' }, t(key))),
        ),
      ),
      h(
        'tbody',
        {},
        // In the order the policy lists categories and school types, not alphabetically by code.
        [...rules]
          .sort(
            (a, b) =>
              CATEGORY_VALUES.indexOf(a.category) - CATEGORY_VALUES.indexOf(b.category) ||
              SCHOOL_TYPES.indexOf(a.schoolType) - SCHOOL_TYPES.indexOf(b.schoolType),
          )
          .map((rule) =>
            h(
              'tr',
              { 'data-rule-id': rule.id, class: rule.inForce ? '' : 'not-in-force' },
              h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => open(rule.id) }, categoryName(rule.category))),
              h('td', {}, schoolTypeName(rule.schoolType)),
              h('td', { class: 'number', 'data-column': 'limit' }, `${rule.limitM} m`),
              h('td', {}, originName(rule.origin)),
              h('td', {}, pathName(rule.path)),
              h('td', { class: 'bands' }, bandsText(rule.bands)),
              h('td', { class: 'basis', title: rule.legalBasis }, rule.legalBasis),
              h('td', { 'data-column': 'effective' }, effectiveText(rule)),
              h('td', { class: 'number', 'data-column': 'version' }, String(rule.version)),
            ),
          ),
      ),
    ),
  )
}
