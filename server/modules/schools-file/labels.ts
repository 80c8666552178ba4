/**
 * Chinese names for the governance desk's printed files and reports: zone bands, hazard states, grades and kinds
 * (the §4 closed loop 预警 → … → 销号), and staffing findings.
 */
export const BAND_NAMES: Readonly<Record<string, string>> = { core: '核心区', control: '管控区' }

export const HAZARD_STATE_NAMES: Readonly<Record<string, string>> = {
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
export const HAZARD_GRADE_NAMES: Readonly<Record<string, string>> = { general: '一般', major: '重大' }
export const HAZARD_KIND_NAMES: Readonly<Record<string, string>> = {
  zone_conflict: '安全区域冲突',
  traffic: '交通',
  fire: '消防',
  public_security: '治安',
  food_safety: '食品安全',
  building: '校舍',
  environment: '环境',
  other: '其他',
}
export const FINDING_STATUS_NAMES: Readonly<Record<string, string>> = { met: '达标', not_met: '不达标', unknown: '未登记' }

/** An ISO timestamp as China Standard Time, "YYYY-MM-DD HH:MM:SS (北京时间)". */
export const beijingTime = (iso: string) =>
  new Date(new Date(iso).getTime() + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19) + ' (北京时间)'
