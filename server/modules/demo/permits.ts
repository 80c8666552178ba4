import type { Kysely } from 'kysely'
import type { Database } from '../../db/types.ts'
import { AppError } from '../../errors.ts'
import type { PremisesCategory } from '../../schemas/common.ts'
import { submit } from '../permits/service.ts'
import { findUser } from '../users/service.ts'
import * as repository from './repository.ts'

/** Which demo clerk takes applications of which category. */
const DESKS: readonly [PremisesCategory, string][] = [
  ['tobacco_retail', 'tobacco'],
  ['lottery_outlet', 'lottery_welfare'],
  ['internet_cafe', 'culture'],
  ['food_stall_zone', 'market'],
  ['fireworks', 'emergency'],
]
const APPLICANTS = ['马建国', '李秀兰', '王海军', '张玉梅', '杨志强', '海小燕', '丁文斌', '苏梅', '金振华', '田桂芳']
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]

/** A well-formed resident identity number (GB 11643) for a made-up person born in the county. */
function demoIdNumber(county: string, index: number): string {
  const body = `${county}${1960 + index * 3}0${1 + (index % 9)}1${index % 9}${String(100 + index * 7).slice(-3)}`
  const sum = WEIGHTS.reduce((total, weight, i) => total + weight * Number(body[i]), 0)
  return body + '10X98765432'[sum % 11]
}

/**
 * A day's queue for the demo desks: for each licensing desk, two pending applications beside demo premises,
 * one inside a school zone and one outside, screened as any application is. Loaded once.
 */
export async function loadDemoPermits(db: Kysely<Database>, log: (message: string) => void = () => {}): Promise<number> {
  if (await repository.isMarked(db, 'demo_permits')) return 0
  let count = 0
  for (const [index, [category, username]] of DESKS.entries()) {
    const user = await findUser(db, username)
    if (!user) continue
    for (const inside of [true, false]) {
      // The first demo premises of the category that is (or is not) in a zone, by id: the same on every machine.
      const place = await repository.firstDemoPremises(db, category, inside)
      if (!place) continue
      const n = index * 2 + (inside ? 0 : 1)
      // About 20 m east of the existing premises: a neighbour applying for the same trade.
      await submit(
        db,
        {
          applicant: { name: APPLICANTS[n % APPLICANTS.length]!, idNumber: demoIdNumber('640402', n) },
          businessName: place.name.replace('（演示）', `·${n + 1}号申请（演示）`),
          category,
          address: place.address ?? '固原市（演示地址）',
          location: { lon: place.lon + 0.00022, lat: place.lat },
          kind: 'new',
        },
        { user, requestId: 'demo-loader' },
      ).then(
        () => (count += 1),
        (error: unknown) => {
          // A refused application (say, a point just outside the county outlines) is skipped; anything else is a fault.
          if (error instanceof AppError && error.statusCode < 500) log(`demo application skipped: ${error.message}`)
          else throw error
        },
      )
    }
  }
  await repository.mark(db, 'demo_permits', { permits: count, loadedAt: new Date().toISOString() }, 'keep')
  log(`loaded demo permit applications: ${count} pending (generated, not real)`)
  return count
}
