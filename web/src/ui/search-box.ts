import { api, type SearchItem } from '../api/client.ts'
import { t } from '../i18n.ts'
import { h } from './dom.ts'

const KIND_LABELS: Record<SearchItem['kind'], readonly [string, string]> = {
  school: ['学校', 'School'],
  premises: ['场所', 'Premises'],
  township: ['乡镇', 'Township'],
  village: ['村/社区', 'Village'],
  address: ['地址', 'Address'],
  street: ['道路', 'Street'],
}

/**
 * A combobox over the place search (ARIA 1.2 pattern): typing searches after a pause, arrows move through the
 * results, Enter picks one, Escape closes the list.
 */
export function searchBox(options: {
  near: () => [number, number] | undefined
  onPick: (item: SearchItem) => void
  /** Fits the map to a result's extent (a street's ways), after onPick; results without one are not fitted. */
  fit?: (bbox: readonly number[]) => void
  language: () => 'zh' | 'en'
}): HTMLElement {
  const listId = 'search-results'
  const input = h('input', {
    id: 'search',
    type: 'search',
    role: 'combobox',
    autocomplete: 'off',
    'aria-autocomplete': 'list',
    'aria-expanded': 'false',
    'aria-controls': listId,
    placeholder: t('searchPlaceholder'),
  })
  const list = h('ul', { id: listId, role: 'listbox', class: 'results', hidden: true, 'aria-label': t('searchLabel') })
  const status = h('p', { class: 'muted small', role: 'status' })
  let items: SearchItem[] = []
  let active = -1
  let timer: ReturnType<typeof setTimeout> | undefined
  let controller: AbortController | undefined

  const close = () => {
    list.hidden = true
    input.setAttribute('aria-expanded', 'false')
    input.removeAttribute('aria-activedescendant')
    active = -1
  }
  const highlight = (index: number) => {
    active = index
    for (const [i, element] of [...list.children].entries()) element.setAttribute('aria-selected', String(i === index))
    if (index >= 0) input.setAttribute('aria-activedescendant', `search-option-${index}`)
    list.children[index]?.scrollIntoView({ block: 'nearest' })
  }
  const pick = (index: number) => {
    const item = items[index]
    if (!item) return
    input.value = item.name
    close()
    options.onPick(item)
    if (item.bbox) options.fit?.(item.bbox)
  }
  const render = () => {
    list.replaceChildren(
      ...items.map((item, index) =>
        h(
          'li',
          {
            id: `search-option-${index}`,
            role: 'option',
            'aria-selected': 'false',
            'data-kind': item.kind,
            onmousedown: (event: Event) => (event.preventDefault(), pick(index)),
          },
          h('span', { class: `kind kind-${item.kind}` }, KIND_LABELS[item.kind][options.language() === 'zh' ? 0 : 1]),
          h('span', { class: 'name' }, item.name),
          h('span', { class: 'muted small' }, ` ${item.detail}${item.lon === null ? ` ${t('searchNoPoint')}` : ''}`),
        ),
      ),
    )
    list.hidden = items.length === 0
    input.setAttribute('aria-expanded', String(items.length > 0))
    status.textContent = items.length === 0 && input.value.trim() ? t('searchNoResult') : ''
    active = -1
  }
  const run = async () => {
    const q = input.value.trim()
    controller?.abort()
    if (!q) {
      items = []
      render()
      return
    }
    controller = new AbortController()
    try {
      items = await api.search(q.slice(0, 64), options.near(), controller.signal)
      render()
    } catch (error) {
      if ((error as Error).name !== 'AbortError') status.textContent = (error as Error).message
    }
  }
  input.addEventListener('input', () => {
    clearTimeout(timer)
    timer = setTimeout(run, 180)
  })
  input.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' && items.length > 0) {
      event.preventDefault()
      if (list.hidden) render()
      highlight(Math.min(items.length - 1, active + 1))
    } else if (event.key === 'ArrowUp' && items.length > 0) {
      event.preventDefault()
      highlight(Math.max(0, active - 1))
    } else if (event.key === 'Enter') {
      if (!list.hidden && items.length > 0) {
        event.preventDefault()
        pick(active >= 0 ? active : 0)
      }
    } else if (event.key === 'Escape') close()
  })
  input.addEventListener('blur', () => setTimeout(close, 100))
  return h('div', { class: 'search' }, h('label', { for: 'search' }, t('searchLabel')), input, list, status)
}
