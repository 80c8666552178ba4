import { api, onUnauthorised, type DeskBoot, type MapConfig, type User } from './api/client.ts'
import { currentLanguage, departmentName, onLanguageChange, roleName, setLanguage, t, countyName } from './i18n.ts'
import { createMapView, prewarm, type MapView } from './map/map-view.ts'
import { parseMapPosition, readRoute, routeHref, SCREENS, updateParams, type Screen } from './router.ts'
import { mountCheck } from './ui/check.ts'
import { mountBatch } from './ui/batch.ts'
import { mountGovernance } from './ui/governance/lazy.ts'
import { h, fill, toast } from './ui/dom.ts'
import { mountLogin } from './ui/login.ts'
import { mountMapScreen } from './ui/map-screen/index.ts'
import { mountPermits } from './ui/permits/index.ts'
import { mountRules } from './ui/rules/index.ts'
import { mountSettings } from './ui/settings/lazy.ts'
import { rulesOffered } from './ui/rules/rights.ts'
import { mountPatrol } from './ui/patrol/lazy.ts'
import { canSeePatrol } from './ui/patrol/rights.ts'
import type { ScreenMount } from './ui/screen.ts'
import './style.css'

declare global {
  interface Window {
    zonesDesk?: { map: import('maplibre-gl').Map }
  }
}

const MOUNTS: Record<Screen, ScreenMount> = {
  check: mountCheck,
  permits: mountPermits,
  map: mountMapScreen,
  batch: mountBatch,
  rules: mountRules,
  patrol: mountPatrol,
  governance: mountGovernance,
  settings: mountSettings,
}
/** Screens a user is not offered are left out of the navigation and open the check screen instead. */
const offered = (screen: Screen, user: User) => (screen === 'rules' ? rulesOffered(user) : screen === 'patrol' ? canSeePatrol(user) : true)
const SCREEN_TITLES = {
  check: 'navCheck',
  permits: 'navPermits',
  batch: 'navBatch',
  map: 'navMap',
  rules: 'navRules',
  patrol: 'navPatrol',
  governance: 'navGovernance',
  settings: 'navSettings',
} as const satisfies Record<Screen, string>
const screenTitle = (screen: Screen) => t(SCREEN_TITLES[screen])
const root = document.querySelector<HTMLDivElement>('#app')!

let session: { user: User; view: MapView; config: MapConfig; unmount: () => void; screen: Screen | null } | null = null

async function start() {
  document.documentElement.lang = currentLanguage() === 'zh' ? 'zh-CN' : 'en'
  onUnauthorised(() => {
    if (!session) return
    toast(t('sessionExpired'), 'error')
    signedOut()
  })
  // The page served by the service carries the user and the map settings (server/modules/map/page.ts): the map is drawn at once.
  const boot = readBootData()
  if (boot?.user) {
    void signedIn(boot.user, boot.mapConfig)
    return
  }
  fill(root, h('p', { class: 'boot', role: 'status' }, t('loading')))
  if (boot) {
    signedOut()
    return
  }
  // Without them (the Vite dev server's page): the map's settings are public, so ask for them while the session is
  // checked, and start MapLibre's workers meanwhile.
  prewarm()
  const config = api.mapConfig()
  config.catch(() => undefined)
  let user: User
  try {
    user = await api.me()
  } catch {
    signedOut()
    return
  }
  await signedIn(user, await config)
}

/** The data the service wrote into the page, or null when the page has none (or it does not parse). */
function readBootData(): DeskBoot | null {
  const text = document.getElementById('desk-boot')?.textContent
  if (!text) return null
  try {
    return JSON.parse(text) as DeskBoot
  } catch {
    return null
  }
}

function signedOut() {
  session?.unmount()
  session?.view.map.remove()
  session = null
  document.title = t('appTitle')
  mountLogin(root, (user) => void api.mapConfig().then((config) => signedIn(user, config)))
}

async function signedIn(user: User, config: MapConfig) {
  const header = h('header', { class: 'bar' })
  const panel = h('aside', { class: 'panel', id: 'panel', 'aria-live': 'polite' })
  const mapHost = h('div', { class: 'map', id: 'map' })
  fill(root, header, h('div', { class: 'body' }, panel, mapHost), h('div', { id: 'toasts', class: 'toasts' }))
  const position = parseMapPosition(readRoute().params.get('at'))
  const [w, s, e, n] = config.bounds as [number, number, number, number]
  const view = createMapView(mapHost, config, position ?? { center: [(w + e) / 2, (s + n) / 2], zoom: 8.6 })
  view.map.on('moveend', () => {
    const c = view.map.getCenter()
    updateParams({ at: `${view.map.getZoom().toFixed(2)}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}` })
  })
  // A handle for browser tests and for support staff at the console: the live map, nothing more.
  window.zonesDesk = { map: view.map }
  session = { user, view, config, unmount: () => {}, screen: null }
  drawHeader(header)
  onLanguageChange(() => {
    drawHeader(header)
    if (session) showScreen(true)
  })
  showScreen()
}

function drawHeader(header: HTMLElement) {
  if (!session) return
  const { user } = session
  const current = session.screen ?? readRoute().screen
  fill(
    header,
    h('h1', {}, t('appTitle')),
    h(
      'nav',
      { 'aria-label': 'screens' },
      SCREENS.filter((screen) => offered(screen, user)).map((screen) =>
        h(
          'a',
          { href: routeHref(screen), class: screen === current ? 'active' : '', 'aria-current': screen === current ? 'page' : null },
          screenTitle(screen),
        ),
      ),
    ),
    h(
      'div',
      { class: 'who' },
      h(
        'span',
        { class: 'user', title: user.username },
        `${user.username} · ${departmentName(user.department)} · ${roleName(user.role)}${user.countyCode ? ` · ${countyName(user.countyCode)}` : ''}`,
      ),
      h(
        'button',
        { type: 'button', class: 'link', onclick: () => setLanguage(currentLanguage() === 'zh' ? 'en' : 'zh') },
        t('switchLanguage'),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          onclick: async () => {
            await api.logout().catch(() => undefined)
            signedOut()
          },
        },
        t('signOut'),
      ),
    ),
  )
}

function showScreen(force = false) {
  if (!session) return
  let route = readRoute()
  if (!offered(route.screen, session.user)) {
    history.replaceState(null, '', routeHref('check'))
    route = readRoute()
  }
  if (!force && session.screen === route.screen) return
  session.unmount()
  session.view.clearOverlays()
  session.screen = route.screen
  const panel = document.querySelector<HTMLElement>('#panel')!
  panel.replaceChildren()
  document.title = `${screenTitle(route.screen)} · ${t('appShort')}`
  session.unmount = MOUNTS[route.screen]({ user: session.user, view: session.view, panel, config: session.config })
  drawHeader(document.querySelector('header.bar')!)
}

// The desk itself changes the URL with history.replaceState/pushState, which fire no hashchange: a hashchange is a
// link, the address bar or a bookmark, so the screen is drawn afresh from the URL.
window.addEventListener('hashchange', () => {
  const position = parseMapPosition(readRoute().params.get('at'))
  if (session && position) session.view.map.jumpTo(position)
  showScreen(true)
})
void start()
