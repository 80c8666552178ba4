import type { PremisesCategory, User } from '../api/client.ts'
import { LICENSING_DEPARTMENTS } from '../../../server/schemas/licensing.ts'
import { CATEGORY_VALUES, categoryName } from '../i18n.ts'
import { h } from './dom.ts'

/** The category a user most likely checks: the one their department licenses. */
export function defaultCategory(user: User): PremisesCategory {
  return CATEGORY_VALUES.find((category) => LICENSING_DEPARTMENTS[category].includes(user.department)) ?? 'internet_cafe'
}

/** A select of every premises category, named in the current language. */
export function categorySelect(id: string, selected: PremisesCategory): HTMLSelectElement {
  return h(
    'select',
    { id, name: id },
    CATEGORY_VALUES.map((category) => h('option', { value: category, selected: category === selected }, categoryName(category))),
  )
}
