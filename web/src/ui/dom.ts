/** A small element builder: the desk is plain DOM, which keeps the bundle small and the behaviour visible. */
type Child = Node | string | number | null | undefined | false
type Attributes = Record<string, string | number | boolean | null | undefined | EventListener>

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value)
    else if (name === 'class') element.className = String(value)
    else if (name in element && typeof value !== 'string' && name !== 'style') Reflect.set(element, name, value)
    else element.setAttribute(name, value === true ? '' : String(value))
  }
  append(element, children)
  return element
}

function append(parent: Node, children: (Child | Child[])[]) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child)
  }
}

/** Replaces an element's children. */
export function fill(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren()
  append(parent, children)
}

/** A live region for short messages (saved, failed…) that screen readers announce. */
export function toast(message: string, tone: 'ok' | 'error' | 'info' = 'info'): void {
  const host = document.querySelector('#toasts')
  if (!host) return
  const item = h('div', { class: `toast ${tone}`, role: tone === 'error' ? 'alert' : 'status' }, message)
  host.appendChild(item)
  setTimeout(() => item.remove(), tone === 'error' ? 8000 : 4000)
}

/** Makes a list navigable with the arrow keys, Home and End; Enter or Space activates an item. */
export function keyboardList(list: HTMLElement, itemSelector: string, activate: (item: HTMLElement) => void): void {
  list.addEventListener('keydown', (event) => {
    const items = [...list.querySelectorAll<HTMLElement>(itemSelector)]
    const index = items.indexOf(document.activeElement as HTMLElement)
    let next = -1
    if (event.key === 'ArrowDown') next = Math.min(items.length - 1, index + 1)
    else if (event.key === 'ArrowUp') next = Math.max(0, index - 1)
    else if (event.key === 'Home') next = 0
    else if (event.key === 'End') next = items.length - 1
    else if ((event.key === 'Enter' || event.key === ' ') && index >= 0) {
      event.preventDefault()
      activate(items[index]!)
      return
    } else return
    event.preventDefault()
    items[next]?.focus()
  })
}
