/**
 * The governance desk's words, Chinese first, in the same [中文, English] pairs as web/src/i18n.ts (kept beside the
 * screen so that the desks' tables do not grow into one another). Codes of the ledger use the labels the reports print.
 */
import {
  ESCALATION_LABELS,
  HAZARD_STATE_LABELS,
  type EscalationStep,
  type HazardGrade,
  type HazardKind,
  type HazardState,
} from '../../../../server/schemas/hazard-vocabulary.ts'
import { currentLanguage } from '../../i18n.ts'

const text = {
  navGovernance: ['综治台账', 'Governance'],
  tabDashboard: ['概况', 'Dashboard'],
  tabMap: ['隐患地图', 'Hazard map'],
  tabInbox: ['待办', 'Inbox'],
  tabLedger: ['隐患台账', 'Ledger'],
  tabSchool: ['一校一档', 'School file'],
  tabReports: ['报表', 'Reports'],
  allCounties: ['全市', 'All counties'],
  figuresAsOf: ['数据截至 {time}', 'Figures as of {time}'],
  schools: ['学校', 'Schools'],
  urbanSchools: ['城市学校', 'Urban schools'],
  zones: ['已划定安全区域', 'With a drawn zone'],
  conflicts: ['区域内场所（冲突）', 'Conflicts'],
  preexisting: ['先于学校设立', 'Predating the school'],
  conflictsByCategory: ['冲突：按经营类别', 'Conflicts by category'],
  conflictsByBand: ['冲突：按区域', 'Conflicts by band'],
  hazards: ['隐患', 'Hazards'],
  hazardsOpen: ['未销号隐患', 'Open hazards'],
  hazardsOverdue: ['逾期隐患', 'Overdue hazards'],
  hazardsByState: ['隐患：按环节', 'Hazards by state'],
  hazardsByGrade: ['未销号隐患：按等级', 'Open hazards by grade'],
  compliance: ['人员配备达标（§7）', 'Staffing compliance (§7)'],
  compliant: ['达标', 'Compliant'],
  notCompliant: ['不达标', 'Not compliant'],
  incomplete: ['信息不全', 'Incomplete'],
  patrolToday: ['今日巡逻覆盖（城市学校）', 'Patrol coverage today (urban schools)'],
  patrolMet: ['{met} / {of} 所达到巡逻要求', '{met} of {of} met the policy'],
  permitsThisMonth: ['本月审批', 'Permit decisions this month'],
  approved: ['批准', 'Approved'],
  rejected: ['驳回', 'Rejected'],
  overrides: ['越权批准', 'Overrides'],
  perCounty: ['各县区', 'Per county'],
  share: ['{n}%', '{n}%'],
  // Map
  mapIntro: [
    '地图显示未销号隐患：颜色表示是否逾期及督办等级。点击查看隐患。',
    'Open hazards on the map, coloured by overdue and escalation step. Click one to open it.',
  ],
  mapShown: ['地图上显示 {shown} 条（共 {total} 条未销号隐患）', '{shown} shown on the map ({total} open hazards)'],
  mapNoPosition: ['{n} 条无位置，按学校位置显示', '{n} without a position are shown at their school'],
  notOverdue: ['未逾期', 'Not overdue'],
  overdueNoStep: ['逾期', 'Overdue'],
  // Inbox
  inboxTitle: ['待办事项', 'Inbox'],
  inboxFor: ['{department}的待办', 'Waiting for {department}'],
  inboxEmpty: ['没有待办事项。', 'Nothing waits for you.'],
  reason_assigned: ['本部门负责', 'Assigned'],
  reason_overdue: ['已逾期', 'Overdue'],
  reason_awaiting_acceptance: ['待验收', 'Awaiting acceptance'],
  reason_extension_request: ['延期申请待审', 'Extension request'],
  reason_reported_up: ['重大隐患已上报', 'Major, reported up'],
  reason_inspection_overdue: ['检查逾期', 'Inspection missed'],
  inspectionDue: ['{level}检查（{every}）应于 {due} 前完成', '{level} inspection ({every}) due by {due}'],
  // Ledger
  ledgerTitle: ['隐患台账', 'Hazard ledger'],
  filterState: ['环节', 'State'],
  filterGrade: ['等级', 'Grade'],
  filterKind: ['类型', 'Kind'],
  filterOverdue: ['仅逾期', 'Overdue only'],
  filterOpen: ['仅未销号', 'Open only'],
  daysOverdue: ['逾期 {n} 天', '{n} days overdue'],
  deadlineOn: ['期限 {date}', 'due {date}'],
  // Hazard
  backToLedger: ['隐患台账', 'Ledger'],
  school: ['学校', 'School'],
  premises: ['场所', 'Premises'],
  department: ['责任部门', 'Responsible department'],
  source: ['来源', 'Source'],
  foundAt: ['发现时间', 'Found'],
  state: ['当前环节', 'State'],
  grade: ['等级', 'Grade'],
  kind: ['类型', 'Kind'],
  escalation: ['督办', 'Escalation'],
  fiveFixed: ['五落实', 'The five fixed items'],
  responsibleParty: ['责任落实（责任人/单位）', 'Responsible party'],
  measures: ['措施落实', 'Measures'],
  funds: ['资金落实', 'Funds'],
  deadline: ['时限落实（整改期限）', 'Deadline'],
  contingencyPlan: ['预案落实', 'Contingency plan'],
  extensionPending: ['延期申请：至 {date}（{reason}）', 'Extension requested to {date} ({reason})'],
  awaitingAcceptance: ['整改已报完成，待验收', 'Rectification reported done, awaiting acceptance'],
  reportedUp: ['重大隐患已于 {time} 上报', 'Major hazard reported up at {time}'],
  conflictCleared: ['冲突已于 {time} 消除', 'Conflict cleared at {time}'],
  historyTitle: ['处理记录', 'History'],
  escalationsTitle: ['督办记录', 'Escalation steps taken'],
  attachmentsTitle: ['附件', 'Attachments'],
  noAttachments: ['暂无附件。', 'No attachments yet.'],
  phase_before: ['整改前', 'Before'],
  phase_after: ['整改后', 'After'],
  phase_evidence: ['验收材料', 'Evidence'],
  upload: ['上传附件', 'Upload'],
  uploadFile: ['文件（JPEG、PNG 或 PDF，不超过 10 MB）', 'File (JPEG, PNG or PDF, at most 10 MB)'],
  uploadPhase: ['附件类别', 'Kind of attachment'],
  uploaded: ['附件已上传。', 'Attachment stored.'],
  chooseFile: ['请先选择文件。', 'Choose a file first.'],
  openSchoolFile: ['一校一档', 'School file'],
  // Transition form
  moveTitle: ['办理', 'Next step'],
  moveTo: ['下一步', 'Move to'],
  actionReportRectified: ['报告整改完成', 'Report the rectification done'],
  actionRequestExtension: ['申请延期', 'Request an extension'],
  actionApproveExtension: ['批准延期', 'Approve the extension'],
  actionRefuseExtension: ['不予延期', 'Refuse the extension'],
  acceptanceFailed: ['验收不通过，退回整改', 'Acceptance failed: back to rectification'],
  closeReason: ['销号理由', 'Reason'],
  close_duplicate: ['重复登记', 'Duplicate'],
  close_not_responsible: ['非本部门职责', 'Not responsible'],
  close_transferred: ['已移交', 'Transferred'],
  note: ['说明', 'Note'],
  newDeadline: ['申请延至', 'New deadline'],
  confirm: ['确认办理', 'Confirm'],
  required: ['请填写{field}。', '{field} is required.'],
  moved: ['已办理：{state}', 'Done: {state}'],
  fiveFixedHint: [
    '进入“治理”前须填写五落实（已填写的可修改）。',
    'Before rectifying, the five fixed items are required (those on file may be changed).',
  ],
  evidenceHint: [
    '验收前须上传整改后照片或验收材料（见下方附件）。',
    'Before acceptance, upload an after photo or evidence (attachments below).',
  ],
  fourEyesHint: [
    '验收须由报告整改完成者以外的人员办理（双人复核）。',
    'Acceptance must be made by another user than the one who reported the rectification done (four eyes).',
  ],
  noMove: ['您的账号不能办理此隐患的下一步。', 'Your account cannot take this hazard’s next step.'],
  readOnlyHazard: ['只读：可以查看，不能办理。', 'Read only: you can look, not act.'],
  noNext: ['此隐患已销号，流程结束。', 'This hazard is closed; the loop has ended.'],
  staleHazard: [
    '该隐患已被他人办理，已重新载入，请核对后再办理。',
    'Someone else moved this hazard. It has been reloaded: check it and act again.',
  ],
  // School file
  schoolFileTitle: ['一校一档', 'School file'],
  schoolSearch: ['查找学校', 'Find a school'],
  schoolPdf: ['打印档案（PDF）', 'Print the file (PDF)'],
  registryFacts: ['基本信息', 'Registry facts'],
  schoolType: ['类型', 'Type'],
  students: ['在校生', 'Students'],
  staff: ['教职工', 'Staff'],
  boarding: ['寄宿', 'Boarding'],
  urban: ['城市学校', 'Urban school'],
  yes: ['是', 'yes'],
  no: ['否', 'no'],
  fileConflicts: ['区域内场所（{n}）', 'Premises in its zones ({n})'],
  fileHazardsOpen: ['未销号隐患（{n}）', 'Open hazards ({n})'],
  fileHazardsClosed: ['已销号隐患（{n}）', 'Closed hazards ({n})'],
  fileInspections: ['检查记录（{n}）', 'Inspections ({n})'],
  filePatrol: ['近 7 日巡逻（{met}/7 日达标）', 'Patrols, last 7 days ({met} of 7 met)'],
  fileSigns: ['警示标志（{n}）', 'Warning signs ({n})'],
  fileCameras: ['视频监控（{n}）', 'Cameras ({n})'],
  fileStaffing: ['人员配备（§7）', 'Staffing (§7)'],
  linkedToPolice: ['已接入公安', 'linked to the police'],
  none: ['无。', 'None.'],
  level_school: ['学校', 'School'],
  level_township: ['乡镇', 'Township'],
  level_county: ['县区', 'County'],
  every_daily: ['每日', 'daily'],
  every_weekly: ['每周', 'weekly'],
  every_monthly: ['每月', 'monthly'],
  status_compliant: ['达标', 'compliant'],
  status_not_compliant: ['不达标', 'not compliant'],
  status_incomplete: ['信息不全', 'incomplete'],
  finding_met: ['达标', 'met'],
  finding_not_met: ['不达标', 'not met'],
  finding_unknown: ['未登记', 'not recorded'],
  // Reports
  reportsTitle: ['报表下载', 'Reports'],
  reportsIntro: [
    '按月份和县区导出报表：Excel 含汇总表和明细表，CSV 为明细，PDF 为带图表的汇总。',
    'Export a month’s reports by county: Excel holds the summaries and the items, CSV the items, PDF the summary with charts.',
  ],
  reportMonth: ['月份', 'Month'],
  report_conflicts: ['安全区域冲突', 'Zone conflicts'],
  report_hazards: ['隐患台账', 'Hazard ledger'],
  report_compliance: ['人员配备达标', 'Staffing compliance'],
  report_permits: ['许可审批', 'Permit decisions'],
  report_patrols: ['巡逻覆盖', 'Patrol coverage'],
} as const satisfies Record<string, readonly [string, string]>

export type GovernanceTextKey = keyof typeof text

/** The governance desk's text for a key, with {name} placeholders filled. */
export function g(key: GovernanceTextKey, values: Record<string, string | number> = {}): string {
  return text[key][currentLanguage() === 'zh' ? 0 : 1].replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ''))
}

const en = currentLanguage
const STATES_EN: Record<HazardState, string> = {
  warning: 'Warning',
  inspected: 'Inspected',
  registered: 'Registered',
  assessed: 'Assessed',
  reported: 'Reported',
  monitored: 'Monitored',
  rectifying: 'Rectifying',
  accepted: 'Accepted',
  closed: 'Closed',
  closed_without_rectification: 'Closed without rectification',
}
const KINDS: Record<HazardKind, readonly [string, string]> = {
  zone_conflict: ['安全区域冲突', 'Zone conflict'],
  traffic: ['交通', 'Traffic'],
  fire: ['消防', 'Fire'],
  public_security: ['治安', 'Public security'],
  food_safety: ['食品安全', 'Food safety'],
  building: ['校舍', 'Buildings'],
  environment: ['环境', 'Environment'],
  other: ['其他', 'Other'],
}
const GRADES: Record<HazardGrade, readonly [string, string]> = { general: ['一般', 'General'], major: ['重大', 'Major'] }
const STEPS_EN: Record<EscalationStep, string> = { notice: 'Notice', ordered: 'Ordered rectification', listed: 'Listed supervision' }
const SOURCES: Record<string, readonly [string, string]> = {
  audit: ['审计', 'Audit'],
  inspection: ['检查', 'Inspection'],
  patrol: ['巡逻', 'Patrol'],
  report: ['举报', 'Report'],
}
const ACTIONS: Record<string, readonly [string, string]> = {
  create: ['登记', 'Opened'],
  transition: ['流转', 'Moved'],
  report_rectified: ['报告整改完成', 'Rectification reported done'],
  acceptance_failed: ['验收不通过', 'Acceptance failed'],
  request_extension: ['申请延期', 'Extension requested'],
  approve_extension: ['批准延期', 'Extension approved'],
  refuse_extension: ['不予延期', 'Extension refused'],
  close_without_rectification: ['未整改销号', 'Closed without rectification'],
  escalated: ['升级督办', 'Escalated'],
  reported_up: ['上报', 'Reported up'],
  conflict_cleared: ['冲突消除', 'Conflict cleared'],
  conflict_returned: ['冲突再现', 'Conflict returned'],
  attachment: ['上传附件', 'Attachment'],
}
const zh = () => en() === 'zh'
export const stateName = (state: string) =>
  zh() ? (HAZARD_STATE_LABELS[state as HazardState] ?? state) : (STATES_EN[state as HazardState] ?? state)
export const kindLabel = (kind: string) => KINDS[kind as HazardKind]?.[zh() ? 0 : 1] ?? kind
export const gradeName = (grade: string) => GRADES[grade as HazardGrade]?.[zh() ? 0 : 1] ?? grade
export const stepName = (step: string) =>
  zh() ? (ESCALATION_LABELS[step as EscalationStep] ?? step) : (STEPS_EN[step as EscalationStep] ?? step)
export const sourceName = (source: string) => SOURCES[source]?.[zh() ? 0 : 1] ?? source
export const actionName = (action: string) => ACTIONS[action]?.[zh() ? 0 : 1] ?? action
