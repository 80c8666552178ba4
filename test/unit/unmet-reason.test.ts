import { afterEach, describe, expect, it } from 'vitest'
import { UNMET_VISIT_REASONS, type PatrolUnmet } from '../../server/schemas/patrol-plans.ts'
import { setLanguage } from '../../web/src/i18n.ts'
import { unmetReason } from '../../web/src/ui/patrol/unmet-reason.ts'

const values = { hours: '07:10–08:15', visits: 2, minutes: 120, visit: 1, span: '07:10–07:20' }
const visit = (reasonCode: PatrolUnmet['reasonCode'], reason = 'the plan’s English words'): PatrolUnmet => ({
  schoolId: 1,
  kind: 'visit',
  reason,
  ...(reasonCode ? { reasonCode, reasonValues: values } : {}),
})

// setLanguage marks the page's language on <html>; outside a browser there is only this much of a page.
;(globalThis as { document?: unknown }).document ??= { documentElement: {} }
afterEach(() => setLanguage('zh'))

describe('the reason of an unmet visit', () => {
  it.each(UNMET_VISIT_REASONS)('%s is said in Chinese on the Chinese screen, every figure filled in', (code) => {
    const text = unmetReason(visit(code))
    expect(text).toMatch(/[\u4e00-\u9fff]/)
    expect(text).not.toMatch(/[A-Za-z{}]/)
  })

  it('names the figures of the plan', () => {
    expect(unmetReason(visit('no_room_in_hours'))).toBe('巡逻组的值班时间（07:10–08:15）排不下 2 次相隔 120 分钟的巡查')
    expect(unmetReason({ ...visit('no_off_peak_time'), reasonValues: { visit: 3 } })).toBe(
      '当天已无非高峰时段安排第 3 次巡查（其他巡查与学校高峰时段已占满）',
    )
  })

  it('is the planner’s own English on the English screen', () => {
    setLanguage('en')
    expect(unmetReason(visit('no_room_in_hours'))).toBe("the units' hours (07:10–08:15) leave no room for 2 visits 120 min apart")
    expect(unmetReason(visit('no_unit_can_reach'))).toBe(
      'no unit on shift can get to the school in 07:10–07:20 and back to its base within its shift',
    )
  })

  it('falls back to the plan’s words where it gives no code (a post, or a plan made before codes)', () => {
    expect(unmetReason(visit(undefined, 'no unit is on shift through 16:30–17:50'))).toBe('no unit is on shift through 16:30–17:50')
  })
})
