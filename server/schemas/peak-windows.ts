import { Type, type Static } from 'typebox'

/** Peak windows of a school or of the patrol policy (China Standard Time wall clock), shared by the school register and the police desk. */
export const TimeOfDaySchema = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'HH:MM, China Standard Time' })

/** A peak window: 07:20–08:10, named so that the policy's posts can refer to it. */
export const PeakWindowSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 40, pattern: '^[^\\u0000]*$' }),
    start: TimeOfDaySchema,
    end: TimeOfDaySchema,
  },
  { additionalProperties: false },
)
export type PeakWindow = Static<typeof PeakWindowSchema>
/** At most this many peak windows a school (or the policy) has. */
export const MAX_PEAK_WINDOWS = 6
export const PeakWindowsSchema = Type.Array(PeakWindowSchema, { maxItems: MAX_PEAK_WINDOWS })
