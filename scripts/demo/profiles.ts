/**
 * What the demo generator makes of each school type, premises category and licence status: shares,
 * campus sizes, where they stand, enrolment, staffing, licence validity. Plausible, not statistics.
 *
 * The generator draws types and categories by their index in SCHOOL_TYPES and PREMISES_CATEGORIES
 * (server/schemas/common.ts): reordering those lists changes the generated set, data/demo/ included.
 */
import type { LicenceStatus, PremisesCategory, SchoolType } from '../../server/schemas/common.ts'

/** How schools of one type are drawn. */
export interface TypeProfile {
  share: number
  /** placement priority: larger campuses first */
  priority: number
  areaM2: [number, number]
  label: string
  countySeat: number
  village: number
  gates: [number, number]
  students: { urban: [number, number]; rural: [number, number] }
  perStaff: [number, number]
  boarding: { urban: number; rural: number }
  opened: [number, number]
}

/** The profile of each school type. */
export const TYPE_PROFILES: Record<SchoolType, TypeProfile> = {
  kindergarten: {
    share: 0.36,
    priority: 1,
    areaM2: [2000, 8000],
    label: '幼儿园',
    countySeat: 0.55,
    village: 0.3,
    gates: [1, 2],
    students: { urban: [180, 600], rural: [30, 180] },
    perStaff: [7, 10],
    boarding: { urban: 0, rural: 0 },
    opened: [1978, 2025],
  },
  primary: {
    share: 0.4,
    priority: 2,
    areaM2: [8000, 30000],
    label: '小学',
    countySeat: 0.35,
    village: 0.55,
    gates: [1, 2],
    students: { urban: [900, 3200], rural: [40, 600] },
    perStaff: [14, 19],
    boarding: { urban: 0, rural: 0.08 },
    opened: [1950, 2022],
  },
  junior_middle: {
    share: 0.09,
    priority: 4,
    areaM2: [20000, 80000],
    label: '初级中学',
    countySeat: 0.45,
    village: 0.15,
    gates: [1, 3],
    students: { urban: [900, 2800], rural: [200, 1200] },
    perStaff: [11, 14],
    boarding: { urban: 0.15, rural: 0.65 },
    opened: [1956, 2020],
  },
  senior_high: {
    share: 0.035,
    priority: 6,
    areaM2: [30000, 80000],
    label: '高级中学',
    countySeat: 0.85,
    village: 0,
    gates: [2, 3],
    students: { urban: [1500, 4500], rural: [1000, 3000] },
    perStaff: [11, 13],
    boarding: { urban: 0.75, rural: 0.9 },
    opened: [1950, 2015],
  },
  complete_middle: {
    share: 0.025,
    priority: 5,
    areaM2: [30000, 80000],
    label: '中学',
    countySeat: 0.6,
    village: 0,
    gates: [1, 3],
    students: { urban: [1200, 3200], rural: [600, 2000] },
    perStaff: [11, 14],
    boarding: { urban: 0.4, rural: 0.75 },
    opened: [1950, 2012],
  },
  nine_year: {
    share: 0.07,
    priority: 3,
    areaM2: [20000, 60000],
    label: '九年制学校',
    countySeat: 0.15,
    village: 0.5,
    gates: [1, 3],
    students: { urban: [800, 2600], rural: [150, 1200] },
    perStaff: [12, 16],
    boarding: { urban: 0.1, rural: 0.6 },
    opened: [1995, 2023],
  },
  vocational: {
    share: 0.012,
    priority: 7,
    areaM2: [40000, 150000],
    label: '职业技术学校',
    countySeat: 0.95,
    village: 0,
    gates: [2, 3],
    students: { urban: [800, 4500], rural: [600, 2000] },
    perStaff: [14, 20],
    boarding: { urban: 0.7, rural: 0.8 },
    opened: [1958, 2018],
  },
  special_education: {
    share: 0.008,
    priority: 0,
    areaM2: [5000, 20000],
    label: '特殊教育学校',
    countySeat: 0.95,
    village: 0,
    gates: [1, 2],
    students: { urban: [60, 260], rural: [40, 150] },
    perStaff: [3, 4.5],
    boarding: { urban: 0.5, rural: 0.6 },
    opened: [1988, 2020],
  },
}

/** How premises of one category are drawn. */
export interface CategoryProfile {
  weight: number
  code: string
  labels: readonly string[]
  /** probability of being placed at a town's edge instead of on a street */
  edge: number
  validityYears: readonly number[]
}

/** The profile of each premises category. */
export const CATEGORY_PROFILES: Record<PremisesCategory, CategoryProfile> = {
  tobacco_retail: { weight: 30, code: 'TOB', labels: ['烟酒店', '便利店', '烟酒商行', '综合商店', '超市'], edge: 0, validityYears: [5] },
  lottery_outlet: { weight: 16, code: 'LOT', labels: ['福利彩票投注站', '体育彩票投注站'], edge: 0, validityYears: [2, 3] },
  food_stall_zone: { weight: 10, code: 'FSZ', labels: ['小吃摊点区', '夜市摊区', '早餐摊点'], edge: 0, validityYears: [1, 2, 3] },
  internet_cafe: { weight: 9, code: 'NET', labels: ['网吧', '网咖', '上网服务中心'], edge: 0, validityYears: [3] },
  entertainment_venue: { weight: 8, code: 'ENT', labels: ['KTV', '歌舞厅', '量贩式KTV'], edge: 0.05, validityYears: [2, 3] },
  video_game_venue: { weight: 6, code: 'VGM', labels: ['电子游戏厅', '电玩城'], edge: 0, validityYears: [2, 3] },
  polluting_enterprise: {
    weight: 8,
    code: 'POL',
    labels: ['砖厂', '建材厂', '石料加工厂', '混凝土搅拌站', '皮革加工厂', '养殖场'],
    edge: 0.75,
    validityYears: [3, 5],
  },
  hazardous_chemicals: { weight: 6, code: 'HAZ', labels: ['危险化学品经营部', '化工产品经销部', '加油站'], edge: 0.6, validityYears: [3] },
  fireworks: { weight: 4, code: 'FWK', labels: ['烟花爆竹销售点', '烟花爆竹专营店'], edge: 0.4, validityYears: [1, 2, 3] },
}

/** Licence statuses and their relative weights. */
export const STATUS_WEIGHTS: readonly [LicenceStatus, number][] = [
  ['active', 78],
  ['expired', 12],
  ['suspended', 6],
  ['revoked', 4],
]
