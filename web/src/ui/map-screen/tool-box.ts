import { h } from '../dom.ts'

/** The one map tool at work (measuring or campus editing) and the box under the toolbar that explains it. */
export interface ToolBox {
  element: HTMLElement
  /** Whether a tool holds the map's clicks. */
  busy(): boolean
  start(tool: { stop(): void }): void
  stop(): void
}

export function createToolBox(panel: HTMLElement): ToolBox {
  let tool: { stop(): void } | null = null
  const element = h('div', { class: 'tool-box', role: 'status' })
  return {
    element,
    busy: () => tool !== null,
    start: (next) => {
      tool = next
    },
    stop: () => {
      tool?.stop()
      tool = null
      element.replaceChildren()
      for (const button of panel.querySelectorAll('.tools button')) button.setAttribute('aria-pressed', 'false')
    },
  }
}
