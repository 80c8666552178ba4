/**
 * Small bar charts drawn as SVG by hand: the dashboard needs bars and labels, not a chart library's hundred
 * kilobytes. Each bar carries its value in data-value, and the chart has a text alternative (a table), so the
 * figures can be read without the picture.
 */
const SVG = 'http://www.w3.org/2000/svg'

export interface Bar {
  key: string
  label: string
  value: number
  colour?: string
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, text?: string) {
  const element = document.createElementNS(SVG, tag)
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value))
  if (text !== undefined) element.textContent = text
  return element
}

/** Horizontal bars, one per item, longest first as given; the value printed at the end of each bar. */
export function barChart(title: string, bars: readonly Bar[], options: { id?: string; colour?: string } = {}): HTMLElement {
  const figure = document.createElement('figure')
  figure.className = 'chart'
  if (options.id) figure.id = options.id
  const caption = document.createElement('figcaption')
  caption.textContent = title
  figure.appendChild(caption)
  const rowHeight = 22
  // Wide enough that the longest category name (互联网上网服务营业场所) fits at the panel's width.
  const labelWidth = 200
  const width = 560
  const barSpace = width - labelWidth - 56
  const max = Math.max(1, ...bars.map((b) => b.value))
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${Math.max(1, bars.length) * rowHeight + 4}`,
    width: '100%',
    role: 'img',
    'aria-label': `${title}: ${bars.map((b) => `${b.label} ${b.value}`).join('，')}`,
  })
  bars.forEach((bar, index) => {
    const y = index * rowHeight + 2
    const length = bar.value === 0 ? 0 : Math.max(2, (bar.value / max) * barSpace)
    const group = svg('g', { class: 'bar', 'data-key': bar.key, 'data-value': bar.value })
    group.appendChild(svg('text', { x: labelWidth - 6, y: y + 15, 'text-anchor': 'end', class: 'bar-label' }, bar.label))
    group.appendChild(
      svg('rect', {
        x: labelWidth,
        y: y + 3,
        width: length.toFixed(1),
        height: rowHeight - 6,
        rx: 2,
        fill: bar.colour ?? options.colour ?? '#2b6cb0',
      }),
    )
    group.appendChild(svg('text', { x: labelWidth + length + 4, y: y + 15, class: 'bar-value' }, bar.value.toLocaleString()))
    chart.appendChild(group)
  })
  if (bars.length === 0) chart.appendChild(svg('text', { x: 4, y: 16, class: 'bar-label' }, '—'))
  figure.appendChild(chart)
  return figure
}
