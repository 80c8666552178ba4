/**
 * The one table of Chinese names for the registry's codes, shared by the certificates, search results and the
 * web desk. Wording is the official one a licensing clerk writes on a file: the venue names of the Guyuan
 * implementing opinions on school safety (§3: 互联网上网服务营业场所, 营业性歌舞娱乐场所, 彩票专营场所 …), the
 * tobacco monopoly's 烟草制品零售, and the school types as the opinions name them (初中, 高中, 中等职业学校 …).
 * Kept free of schema code so the web desk can import it without bundling the validator.
 */
import type { PermitKind, PermitStatus, PremisesCategory, SchoolType } from './vocabulary.ts'

const categoryNames = {
  tobacco_retail: '烟草制品零售',
  lottery_outlet: '彩票专营场所',
  internet_cafe: '互联网上网服务营业场所',
  entertainment_venue: '营业性歌舞娱乐场所',
  video_game_venue: '营业性电子游戏场所',
  hazardous_chemicals: '危险化学品生产、储存、销售',
  fireworks: '烟花爆竹销售点',
  polluting_enterprise: '污染企业或设施',
  food_stall_zone: '食品摊贩经营区域',
} as const satisfies Record<PremisesCategory, string>

const schoolTypeNames = {
  kindergarten: '幼儿园',
  primary: '小学',
  junior_middle: '初中',
  senior_high: '高中',
  complete_middle: '完全中学',
  nine_year: '九年一贯制学校',
  vocational: '中等职业学校',
  special_education: '特殊教育学校',
} as const satisfies Record<SchoolType, string>

const permitKindNames = { new: '新办', renewal: '延续', relocation: '迁址', change: '变更' } as const satisfies Record<PermitKind, string>

const permitStatusNames = { pending: '待审批', approved: '已批准', rejected: '已驳回' } as const satisfies Record<PermitStatus, string>

// Looked up with codes read from rows and requests, so the tables are typed by string; `satisfies` above keeps each complete.
export const CATEGORY_NAMES: Readonly<Record<string, string>> = categoryNames
export const SCHOOL_TYPE_NAMES: Readonly<Record<string, string>> = schoolTypeNames
export const PERMIT_KIND_NAMES: Readonly<Record<string, string>> = permitKindNames
export const PERMIT_STATUS_NAMES: Readonly<Record<string, string>> = permitStatusNames
