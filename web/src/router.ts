/**
 * The URL holds the view: `#/<screen>?<params>` with the map position in `at=<zoom>/<lat>/<lon>`, so a reload or a
 * shared link restores the screen, the open item and the map. Updates replace the history entry: panning the map
 * should not fill the back button.
 */
export type Screen = 'check' | 'permits' | 'map' | 'batch' | 'rules' | 'patrol' | 'governance' | 'settings'
export const SCREENS: readonly Screen[] = ['check', 'permits', 'map', 'batch', 'patrol', 'governance', 'rules', 'settings']

export interface Route {
  screen: Screen
  params: URLSearchParams
}

export function readRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, '')
  const [path = '', query = ''] = hash.split('?')
  const screen = (SCREENS as readonly string[]).includes(path) ? (path as Screen) : 'check'
  return { screen, params: new URLSearchParams(query) }
}

export function routeHref(screen: Screen, params?: URLSearchParams): string {
  const query = params?.toString()
  return `#/${screen}${query ? `?${query}` : ''}`
}

/** Sets or removes some parameters of the current route without a new history entry. */
export function updateParams(changes: Record<string, string | number | null | undefined>, push = false): void {
  const route = readRoute()
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === '') route.params.delete(key)
    else route.params.set(key, String(value))
  }
  const href = routeHref(route.screen, route.params)
  if (href === location.hash) return
  if (push) history.pushState(null, '', href)
  else history.replaceState(null, '', href)
}

export function parseMapPosition(value: string | null): { center: [number, number]; zoom: number } | undefined {
  const match = value?.match(/^(\d{1,2}(?:\.\d+)?)\/(-?\d{1,2}(?:\.\d+)?)\/(-?\d{1,3}(?:\.\d+)?)$/)
  if (!match) return undefined
  const zoom = Number(match[1])
  const lat = Number(match[2])
  const lon = Number(match[3])
  if (zoom > 22 || Math.abs(lat) > 85 || Math.abs(lon) > 180) return undefined
  return { center: [lon, lat], zoom }
}
