import type { PatrolPlan } from '../../api/client.ts'
import { t, type TextKey } from '../../i18n.ts'

type Unmet = PatrolPlan['unmet'][number]

const VISIT_REASONS: Record<NonNullable<Unmet['reasonCode']>, TextKey> = {
  no_active_unit: 'unmetVisitNoActiveUnit',
  no_unit_base_on_road: 'unmetVisitNoUnitBaseOnRoad',
  school_off_road: 'unmetVisitSchoolOffRoad',
  no_room_in_hours: 'unmetVisitNoRoomInHours',
  no_off_peak_time: 'unmetVisitNoOffPeakTime',
  no_unit_on_shift: 'unmetVisitNoUnitOnShift',
  no_unit_can_reach: 'unmetVisitNoUnitCanReach',
  units_fully_booked: 'unmetVisitUnitsFullyBooked',
}

/** Why a task was not planned, in the screen's language where the plan gives the reason's code; else the plan's own words. */
export function unmetReason(unmet: Unmet): string {
  if (!unmet.reasonCode) return unmet.reason
  const values = unmet.reasonValues ?? {}
  if (unmet.reasonCode === 'no_off_peak_time' && values.span === undefined) return t('unmetVisitNoOffPeakTimeDay', values)
  return t(VISIT_REASONS[unmet.reasonCode], values)
}
