/**
 * The codes the registry and the permit desk use, as plain lists. Kept free of schema code so the web desk can
 * import them without bundling the validator; the TypeBox enums in common.ts and permits.ts are built from them.
 */
export const SCHOOL_TYPES = [
  'kindergarten',
  'primary',
  'junior_middle',
  'senior_high',
  'complete_middle',
  'nine_year',
  'vocational',
  'special_education',
] as const
export const PREMISES_CATEGORIES = [
  'internet_cafe',
  'lottery_outlet',
  'tobacco_retail',
  'entertainment_venue',
  'video_game_venue',
  'hazardous_chemicals',
  'fireworks',
  'polluting_enterprise',
  'food_stall_zone',
] as const
export const LICENCE_STATUSES = ['active', 'suspended', 'expired', 'revoked'] as const
export const DEPARTMENTS = [
  'education',
  'tobacco',
  'lottery_welfare',
  'lottery_sports',
  'culture',
  'emergency',
  'environment',
  'market',
  'police',
  'governance',
  'admin',
] as const
export const ROLES = ['clerk', 'supervisor', 'viewer', 'admin'] as const
export const CRS_NAMES = ['wgs84', 'cgcs2000', 'gcj02', 'bd09'] as const
export const PERMIT_KINDS = ['new', 'renewal', 'relocation', 'change'] as const
export const PERMIT_STATUSES = ['pending', 'approved', 'rejected'] as const

export type SchoolType = (typeof SCHOOL_TYPES)[number]
export type PremisesCategory = (typeof PREMISES_CATEGORIES)[number]
export type LicenceStatus = (typeof LICENCE_STATUSES)[number]
export type Department = (typeof DEPARTMENTS)[number]
export type Role = (typeof ROLES)[number]
export type CrsName = (typeof CRS_NAMES)[number]
export type PermitKind = (typeof PERMIT_KINDS)[number]
export type PermitStatus = (typeof PERMIT_STATUSES)[number]
