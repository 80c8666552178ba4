import { Type, type Static } from 'typebox'
import { CountyCodeSchema } from './common.ts'

/**
 * The figures behind the governance dashboard, per county and in total. Conflicts are counted by the premises'
 * county (as GET /api/conflicts filters them), hazards by the hazard's county, schools, compliance and patrols by
 * the school's county, permits by the application's county. Days are China Standard Time.
 */
const Counts = Type.Record(Type.String(), Type.Integer())

export const CountyFiguresSchema = Type.Object({
  schools: Type.Integer(),
  urbanSchools: Type.Integer({ description: 'schools marked urban (城市学校, §8)' }),
  zones: Type.Integer({ description: 'schools with a drawn safety zone' }),
  conflicts: Type.Object({
    total: Type.Integer(),
    byCategory: Counts,
    byBand: Counts,
    preexisting: Type.Integer({ description: 'premises licensed before the school opened (rectification at expiry)' }),
  }),
  hazards: Type.Object({
    total: Type.Integer(),
    open: Type.Integer({ description: 'not yet accepted or closed' }),
    overdue: Type.Integer({ description: 'open and past the deadline' }),
    byState: Counts,
    byGrade: Counts,
    openByGrade: Counts,
  }),
  permitsThisMonth: Type.Object(
    { decided: Type.Integer(), approved: Type.Integer(), rejected: Type.Integer(), overrides: Type.Integer() },
    { description: 'decisions taken since the first of this month' },
  ),
  compliance: Type.Object({
    schools: Type.Integer(),
    compliant: Type.Integer(),
    notCompliant: Type.Integer(),
    incomplete: Type.Integer(),
    share: Type.Number({ description: 'compliant / schools, 0–1 (0 without schools)' }),
  }),
  patrolToday: Type.Object({
    urbanSchools: Type.Integer(),
    met: Type.Integer({ description: 'urban schools visited today at least as often as the policy in force asks (§8: twice)' }),
    visits: Type.Integer(),
    share: Type.Number({ description: 'met / urbanSchools, 0–1' }),
  }),
})
export type CountyFigures = Static<typeof CountyFiguresSchema>

export const StatsSchema = Type.Object({
  today: Type.String({ description: 'YYYY-MM-DD, China Standard Time' }),
  month: Type.String({ description: 'YYYY-MM, the month of permitsThisMonth' }),
  counties: Type.Array(Type.Object({ code: Type.String(), name: Type.String(), ...CountyFiguresSchema.properties })),
  totals: CountyFiguresSchema,
  generatedAt: Type.String({ format: 'date-time' }),
})
export type Stats = Static<typeof StatsSchema>

export const StatsQuerySchema = Type.Object({ countyCode: Type.Optional(CountyCodeSchema) }, { additionalProperties: false })
export type StatsQuery = Static<typeof StatsQuerySchema>
