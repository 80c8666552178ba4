import { readRoute, updateParams } from '../../router.ts'
import './governance.css'
import { fill, h } from '../dom.ts'
import type { ScreenContext } from '../screen.ts'
import { showDashboard } from './dashboard.ts'
import type { GovernanceDesk, Notice } from './desk.ts'
import { showHazard } from './hazard.ts'
import { showHazardMap } from './hazard-map.ts'
import { showInbox } from './inbox.ts'
import { showLedger } from './ledger.ts'
import { showReports } from './reports.ts'
import { tabsFor, type Tab } from './rights.ts'
import { showSchoolFile } from './school-file.ts'
import { g, type GovernanceTextKey } from './text.ts'

const TAB_TEXT: Record<Tab, GovernanceTextKey> = {
  dashboard: 'tabDashboard',
  map: 'tabMap',
  inbox: 'tabInbox',
  ledger: 'tabLedger',
  school: 'tabSchool',
  reports: 'tabReports',
}

/**
 * The governance desk (综治台账): figures per county, open hazards on the map, the inbox, the ledger with its
 * transition forms, one file per school and the reports. The URL keeps the tab, the open hazard or school and the
 * filters (`#/governance?tab=ledger&hazard=12`).
 */
export function mountGovernance({ user, view, panel, config }: ScreenContext): () => void {
  const tabs = tabsFor(user)
  let disposed = false
  let generation = 0
  const cleanups: (() => void)[] = []
  panel.classList.add('wide')
  view.map.resize()
  const nav = h('nav', { class: 'tabs', role: 'tablist', 'aria-label': g('navGovernance') })
  const content = h('section', { class: 'governance', id: 'governance' })
  fill(panel, nav, content)

  const leave = () => {
    generation += 1
    for (const cleanup of cleanups.splice(0)) cleanup()
    view.clearOverlays()
  }
  const drawTabs = (current: Tab) =>
    fill(
      nav,
      tabs.map((tab) =>
        h(
          'button',
          {
            type: 'button',
            role: 'tab',
            id: `tab-${tab}`,
            'aria-selected': String(tab === current),
            class: tab === current ? 'active' : '',
            onclick: () => desk.showTab(tab),
          },
          g(TAB_TEXT[tab]),
        ),
      ),
    )

  const desk: GovernanceDesk = {
    user,
    view,
    config,
    content,
    part: () => {
      const mine = generation
      return () => disposed || mine !== generation
    },
    onLeave: (cleanup) => void cleanups.push(cleanup),
    showTab: (tab) => {
      updateParams({ tab, hazard: null, school: tab === 'school' ? readRoute().params.get('school') : null }, true)
      draw()
    },
    openHazard: (id, notice) => {
      updateParams({ hazard: id }, true)
      draw(notice)
    },
    openSchool: (id) => {
      updateParams({ tab: 'school', school: id, hazard: null }, true)
      draw()
    },
  }

  function draw(notice?: Notice) {
    leave()
    const params = readRoute().params
    const asked = params.get('tab') as Tab | null
    const tab = asked && tabs.includes(asked) ? asked : tabs[0]!
    drawTabs(tab)
    const hazard = Number(params.get('hazard'))
    if (hazard > 0) return void showHazard(desk, hazard, notice)
    switch (tab) {
      case 'dashboard':
        return void showDashboard(desk)
      case 'map':
        return void showHazardMap(desk)
      case 'inbox':
        return void showInbox(desk)
      case 'ledger':
        return void showLedger(desk)
      case 'school':
        return void showSchoolFile(desk, Number(params.get('school')) || null)
      case 'reports':
        return showReports(desk)
    }
  }

  const onPop = () => {
    if (readRoute().screen === 'governance') draw()
  }
  window.addEventListener('popstate', onPop)
  draw()
  return () => {
    disposed = true
    leave()
    window.removeEventListener('popstate', onPop)
    panel.classList.remove('wide')
    view.map.resize()
  }
}
