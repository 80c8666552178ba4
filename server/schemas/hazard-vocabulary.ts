/**
 * The codes of the hazard ledger (隐患台账) as plain lists, free of schema code so that the web desk and the
 * reports can import them without bundling the validator. The database checks the same lists (migrations/0010_hazards.ts).
 */
export const HAZARD_KINDS = [
  'zone_conflict',
  'traffic',
  'fire',
  'public_security',
  'food_safety',
  'building',
  'environment',
  'other',
] as const
export const HAZARD_GRADES = ['general', 'major'] as const
export const HAZARD_SOURCES = ['audit', 'inspection', 'patrol', 'report'] as const
/** The closed loop of §4 in its order (预警 排查 登记 评估 报告 监控 治理 验收 销号), then the side exit. */
export const HAZARD_STATES = [
  'warning',
  'inspected',
  'registered',
  'assessed',
  'reported',
  'monitored',
  'rectifying',
  'accepted',
  'closed',
  'closed_without_rectification',
] as const
/** States in which a hazard is still open (its deadline can be overdue). */
export const OPEN_HAZARD_STATES = ['warning', 'inspected', 'registered', 'assessed', 'reported', 'monitored', 'rectifying'] as const
export const CLOSE_REASONS = ['duplicate', 'not_responsible', 'transferred'] as const
/** Actions that change no state, sent as `action` instead of `to`. */
export const HAZARD_ACTIONS = ['report_rectified', 'request_extension', 'approve_extension', 'refuse_extension'] as const
export const ATTACHMENT_PHASES = ['before', 'after', 'evidence'] as const
export const ATTACHMENT_TYPES = ['image/jpeg', 'image/png', 'application/pdf'] as const
export const ESCALATION_STEPS = ['notice', 'ordered', 'listed'] as const
export const INSPECTION_LEVELS = ['school', 'township', 'county'] as const
export const INSPECTION_EVERY = ['daily', 'weekly', 'monthly'] as const
/** The five fixed items (五落实) a hazard needs before rectification starts, as the API names them. */
export const FIVE_FIXED = ['responsibleParty', 'measures', 'funds', 'deadline', 'contingencyPlan'] as const

export type HazardKind = (typeof HAZARD_KINDS)[number]
export type HazardGrade = (typeof HAZARD_GRADES)[number]
export type HazardSource = (typeof HAZARD_SOURCES)[number]
export type HazardState = (typeof HAZARD_STATES)[number]
export type CloseReason = (typeof CLOSE_REASONS)[number]
export type HazardAction = (typeof HAZARD_ACTIONS)[number]
export type AttachmentPhase = (typeof ATTACHMENT_PHASES)[number]
export type AttachmentType = (typeof ATTACHMENT_TYPES)[number]
export type EscalationStep = (typeof ESCALATION_STEPS)[number]
export type InspectionLevel = (typeof INSPECTION_LEVELS)[number]
export type InspectionEvery = (typeof INSPECTION_EVERY)[number]
export type FiveFixedItem = (typeof FIVE_FIXED)[number]

/** Chinese labels, as the desks and the reports print them. */
export const HAZARD_STATE_LABELS: Record<HazardState, string> = {
  warning: '预警',
  inspected: '排查',
  registered: '登记',
  assessed: '评估',
  reported: '报告',
  monitored: '监控',
  rectifying: '治理',
  accepted: '验收',
  closed: '销号',
  closed_without_rectification: '未整改销号',
}
export const ESCALATION_LABELS: Record<EscalationStep, string> = { notice: '通报', ordered: '限期整改', listed: '挂牌督办' }

/** The items of an inspection checklist (日周月检查), each answered ok, problem or not applicable. */
export const INSPECTION_ITEMS = [
  'gate_guard',
  'surveillance',
  'alarm_link',
  'fire_equipment',
  'evacuation_routes',
  'buildings',
  'canteen_hygiene',
  'dormitory',
  'traffic',
  'surroundings',
] as const
export const INSPECTION_RESULTS = ['ok', 'problem', 'not_applicable'] as const
export type InspectionItem = (typeof INSPECTION_ITEMS)[number]
export type InspectionResult = (typeof INSPECTION_RESULTS)[number]
export const INSPECTION_ITEM_LABELS: Record<InspectionItem, string> = {
  gate_guard: '门卫值守',
  surveillance: '视频监控',
  alarm_link: '一键报警与公安联网',
  fire_equipment: '消防器材',
  evacuation_routes: '疏散通道',
  buildings: '校舍安全',
  canteen_hygiene: '食堂卫生',
  dormitory: '学生宿舍',
  traffic: '上下学交通',
  surroundings: '校园周边环境',
}
