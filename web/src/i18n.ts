/**
 * Chinese first, English on request. Every string the desk shows lives here, as [中文, English], so a
 * missing translation is a type error rather than a blank label.
 */
import { CATEGORY_NAMES, PERMIT_KIND_NAMES, PERMIT_STATUS_NAMES, SCHOOL_TYPE_NAMES } from '../../server/schemas/labels.ts'
import {
  PREMISES_CATEGORIES,
  type CrsName,
  type Department,
  type LicenceStatus,
  type PermitKind,
  type PermitStatus,
  type PremisesCategory,
  type Role,
  type SchoolType,
} from '../../server/schemas/vocabulary.ts'

export type Language = 'zh' | 'en'
const STORAGE_KEY = 'zones.language'

const text = {
  appTitle: ['固原市中小学幼儿园安全区域管理', 'Guyuan school safety zones'],
  appShort: ['校园安全区域', 'School zones'],
  navCheck: ['选址核查', 'Check a place'],
  navPermits: ['许可审批', 'Permits'],
  navMap: ['区域图', 'Perimeter map'],
  navBatch: ['批量核查', 'Check in bulk'],
  navGovernance: ['综治台账', 'Governance'],
  switchLanguage: ['English', '中文'],
  signIn: ['登录', 'Sign in'],
  signOut: ['退出', 'Sign out'],
  username: ['用户名', 'Username'],
  password: ['密码', 'Password'],
  signingIn: ['正在登录…', 'Signing in…'],
  signInFailed: ['用户名或密码不正确。', 'Wrong username or password.'],
  demoHint: [
    '演示账号（密码 guyuan-demo）：tobacco（烟草经办）、tobacco_supervisor（烟草审核）、education（教育局）、police（公安）、governance（综治办）、viewer（只读）。',
    'Demo accounts (password guyuan-demo): tobacco (tobacco clerk), tobacco_supervisor, education, police, governance, viewer (read only).',
  ],
  loading: ['加载中…', 'Loading…'],
  retry: ['重试', 'Retry'],
  close: ['关闭', 'Close'],
  cancel: ['取消', 'Cancel'],
  empty: ['没有记录。', 'Nothing here.'],
  networkError: ['无法连接服务器，请检查网络后重试。', 'The server cannot be reached. Check the network and try again.'],
  forbidden: [
    '您的账号没有此项权限（按部门和县区划分）。',
    'Your account is not allowed to do this (rights follow department and county).',
  ],
  notFound: ['记录不存在，或不在您的管辖范围内。', 'Not found, or outside your department’s scope.'],
  sessionExpired: ['登录已过期，请重新登录。', 'Your session has ended. Please sign in again.'],
  // Check
  checkTitle: ['选址核查', 'Check a place'],
  checkIntro: ['输入地址或名称、粘贴坐标，或在地图上点击。', 'Type an address or a name, paste coordinates, or click the map.'],
  searchLabel: ['地址或名称', 'Address or name'],
  searchPlaceholder: ['如：原州区第三小学、文化街', 'e.g. 原州区第三小学, 文化街'],
  searchNoResult: ['没有找到匹配的地点。', 'No matching place.'],
  searchNoPoint: ['（无坐标）', '(no position)'],
  coordinatesLabel: ['坐标（经度,纬度）', 'Coordinates (lon, lat)'],
  coordinatesPlaceholder: ['106.2410, 36.0150', '106.2410, 36.0150'],
  crsLabel: ['坐标系', 'Coordinate system'],
  crsWgs84: ['WGS84 / GPS', 'WGS84 / GPS'],
  crsCgcs2000: ['CGCS2000 / 天地图', 'CGCS2000 / Tianditu'],
  crsGcj02: ['GCJ-02 / 高德、腾讯', 'GCJ-02 / Amap, Tencent'],
  crsBd09: ['BD-09 / 百度', 'BD-09 / Baidu'],
  categoryLabel: ['经营类别', 'Category'],
  checkButton: ['核查', 'Check'],
  checking: ['正在核查…', 'Checking…'],
  coordinatesInvalid: [
    '请输入两个数字：经度, 纬度（例如 106.2410, 36.0150）。',
    'Enter two numbers: longitude, latitude (e.g. 106.2410, 36.0150).',
  ],
  coordinatesSwapped: ['已按经度在前理解（经度大于纬度）。', 'Read with longitude first (it is the larger number).'],
  clickMapHint: ['提示：在地图上单击任意位置即可核查该点。', 'Tip: click anywhere on the map to check that point.'],
  verdictProhibited: ['禁止', 'Prohibited'],
  verdictAllowed: ['允许', 'Allowed'],
  verdictProhibitedLong: [
    '该位置处于学校安全区域内，不得设立此类经营场所。',
    'This place lies inside a school safety zone: this category may not be licensed here.',
  ],
  verdictAllowedLong: ['该位置不在任何学校的此类安全区域内。', 'This place lies outside every school zone for this category.'],
  schoolsInReach: ['范围内的学校', 'Schools within reach'],
  nearestOutside: ['最近的学校（区域外）', 'Nearest schools (outside their zones)'],
  distance: ['距离', 'Distance'],
  band: ['区域', 'Band'],
  rule: ['规则', 'Rule'],
  legalBasis: ['依据', 'Legal basis'],
  measuredFrom: ['量自', 'Measured from'],
  originCampus: ['校园边界', 'campus boundary'],
  originGates: ['校门', 'school gate'],
  enteredAs: ['输入', 'Entered'],
  wgs84Position: ['WGS84 位置', 'WGS84 position'],
  certificate: ['下载核查证明（PDF）', 'Download certificate (PDF)'],
  checkedAt: ['核查时间', 'Checked at'],
  limit: ['限距', 'limit'],
  onFoot: ['步行 {walk} 米（直线 {straight} 米）', '{walk} m on foot ({straight} m straight)'],
  onFootShort: ['步行 {walk} 米', '{walk} m on foot'],
  straightShort: ['直线 {straight} 米', '{straight} m straight'],
  straightFallback: ['未能按路网测量，按直线距离', 'Not measured on the road network: straight distance'],
  // Checks in bulk
  batchTitle: ['批量核查', 'Check in bulk'],
  batchIntro: [
    '上传 CSV 文件（首行为表头：id, lon, lat，可选 category），逐点按与单点核查相同的规则判定。',
    'Upload a CSV file (header line: id, lon, lat, optionally category); every point is decided by the same rules as a single check.',
  ],
  batchFile: ['CSV 文件', 'CSV file'],
  batchCategory: ['经营类别（未填写类别的行）', 'Category (rows without one)'],
  batchStart: ['开始核查', 'Check the file'],
  batchNoFile: ['请先选择 CSV 文件。', 'Choose a CSV file first.'],
  batchRunning: ['已核查 {done} / {total} 个点…', 'Checked {done} of {total} points…'],
  batchDone: ['核查完成：共 {total} 个点。', 'Done: {total} points checked.'],
  batchSummary: [
    '共 {total} 个点：禁止 {prohibited}，允许 {allowed}，无法核查 {errors}。',
    '{total} points: {prohibited} prohibited, {allowed} allowed, {errors} could not be checked.',
  ],
  batchVerdict: ['结论', 'Verdict'],
  batchSchool: ['最近冲突学校', 'Nearest school in conflict'],
  batchDistance: ['距离', 'Distance'],
  batchBand: ['区域', 'Band'],
  batchBadRow: ['无法核查', 'Not checked'],
  batchTableCut: [
    '表中显示前 {shown} 行（禁止在前），共 {total} 行；下载文件含全部结果。',
    'The table shows the first {shown} of {total} rows (prohibited first); the downloads hold them all.',
  ],
  batchCsv: ['下载 CSV', 'Download CSV'],
  batchXlsx: ['下载 Excel（XLSX）', 'Download Excel (XLSX)'],
  // Patrol screen (police desk)
  navPatrol: ['巡逻勤务', 'Patrols'],
  patrolTitle: ['巡逻勤务与护学岗', 'Patrols and school posts'],
  patrolReadOnly: ['只读：可查看计划与巡查覆盖情况。', 'Read only: plans and coverage.'],
  patrolNotOffered: [
    '巡逻勤务仅向公安、综治办和教育部门开放。',
    'The patrol screen is for the police, the governance office and education.',
  ],
  patrolDate: ['日期', 'Date'],
  patrolCounty: ['县区', 'County'],
  patrolStation: ['派出所', 'Police station'],
  patrolAllStations: ['全部派出所', 'All stations'],
  patrolMakePlan: ['制定当日计划', "Make the day's plan"],
  patrolMaking: ['正在按路网编排计划…', 'Planning along the roads…'],
  patrolNoPlan: ['该日尚无巡逻计划。', 'No plan for this day yet.'],
  patrolPlanSummary: [
    '计划 #{id}：{units} 个巡逻组，{stops} 个站点，总里程 {km} km（下界 {lower} km），未满足 {unmet} 项。',
    'Plan #{id}: {units} units, {stops} stops, {km} km in all (lower bound {lower} km), {unmet} unmet.',
  ],
  patrolUnmet: ['未满足的岗位与巡查', 'Unmet posts and visits'],
  patrolUnmetCounts: ['未满足：护学岗 {posts} 项，巡查 {visits} 项。原因：', 'Unmet: {posts} posts, {visits} visits. Why:'],
  patrolUnmetBySchool: ['逐校列出（{count}）', 'School by school ({count})'],
  unmetVisitNoActiveUnit: ['辖区内没有在用的巡逻组', 'the scope has no active patrol unit'],
  unmetVisitNoUnitBaseOnRoad: [
    '辖区内没有驻地靠近其可用道路的巡逻组',
    'no unit of the scope has its base within reach of a road its mode may use',
  ],
  unmetVisitSchoolOffRoad: [
    '学校离巡逻组可用的道路太远，无法到达',
    'the school lies too far from any road the units may use to be reached',
  ],
  unmetVisitNoRoomInHours: [
    '巡逻组的值班时间（{hours}）排不下 {visits} 次相隔 {minutes} 分钟的巡查',
    "the units' hours ({hours}) leave no room for {visits} visits {minutes} min apart",
  ],
  unmetVisitNoOffPeakTime: [
    '{span}内已无非高峰时段安排第 {visit} 次巡查（其他巡查与学校高峰时段已占满）',
    "no off-peak time is left for visit {visit} in {span}, between the other visits and the school's peak windows",
  ],
  unmetVisitNoOffPeakTimeDay: [
    '当天已无非高峰时段安排第 {visit} 次巡查（其他巡查与学校高峰时段已占满）',
    "no off-peak time is left for visit {visit} in the day, between the other visits and the school's peak windows",
  ],
  unmetVisitNoUnitOnShift: [
    '第 {visit} 次巡查可用的时段（{span}）内没有巡逻组在岗',
    'no unit is on shift in {span}, the time left for visit {visit}',
  ],
  unmetVisitNoUnitCanReach: [
    '在岗的巡逻组都无法在 {span} 内到达学校并在班内返回驻地',
    'no unit on shift can get to the school in {span} and back to its base within its shift',
  ],
  unmetVisitUnitsFullyBooked: [
    '能完成第 {visit} 次巡查（{span}）的巡逻组届时都已排满护学岗和其他巡查',
    'every unit that could make visit {visit} ({span}) is fully booked then with posts and other visits',
  ],
  patrolStopPost: ['护学岗', 'Post'],
  patrolStopVisit: ['巡查', 'Visit'],
  patrolGate: ['{gate}号门', 'gate {gate}'],
  patrolGpx: ['GPX', 'GPX'],
  patrolPdf: ['路线单 PDF', 'Route sheet PDF'],
  patrolModeCar: ['车巡', 'car'],
  patrolModeFoot: ['步巡', 'on foot'],
  patrolNoStops: ['当日无站点。', 'No stops this day.'],
  patrolLayers: ['图层', 'Layers'],
  patrolLayerPlan: ['巡逻路线与站点', 'Routes and stops'],
  patrolLayerCoverage: ['学校巡查覆盖', 'School coverage'],
  patrolLayerGrids: ['巡逻网格', 'Patrol grids'],
  patrolLayerSigns: ['警示标牌', 'Warning signs'],
  patrolLayerCameras: ['视频监控', 'Cameras'],
  patrolCoverage: ['巡查覆盖', 'Coverage'],
  patrolCovDone: ['已达标', 'Done'],
  patrolCovPlanned: ['已安排', 'Planned'],
  patrolCovMissing: ['缺巡', 'Missing'],
  patrolCoverageSummary: [
    '城市学校 {urban} 所：达标 {met}，已安排 {planned}，缺巡 {missing}。',
    '{urban} urban schools: {met} done, {planned} planned, {missing} missing.',
  ],
  patrolBelow: ['低于要求巡查次数的学校', 'Schools below the required visits'],
  patrolVisits: ['已巡 {done}/{required} 次，计划 {planned} 次', '{done}/{required} visits, {planned} planned'],
  patrolLastVisit: ['最近一次：{at}', 'Last visit: {at}'],
  patrolCompliance: ['达标率', 'Compliance'],
  patrolWeek: ['近七日', 'The last seven days'],
  patrolWeekSchool: ['学校', 'School'],
  patrolWeekBelowDays: ['不足天数', 'Days below'],
  patrolGaps: ['设施缺口', 'Equipment gaps'],
  patrolGapsSigns: ['无已安装警示标牌的区域（{n}）', 'Zones without an installed sign ({n})'],
  patrolGapsCameras: ['无正常监控的校门（{n}）', 'Gates without a working camera ({n})'],
  patrolUnits: ['巡逻组', 'Patrol units'],
  patrolNewUnit: ['新建巡逻组', 'New unit'],
  patrolUnitName: ['名称', 'Name'],
  patrolUnitMode: ['方式', 'Mode'],
  patrolShiftStart: ['上班', 'Shift starts'],
  patrolShiftEnd: ['下班', 'Shift ends'],
  patrolOfficers: ['警力（人）', 'Officers'],
  patrolActive: ['在岗', 'Active'],
  patrolBase: ['驻点', 'Base'],
  patrolPickBase: ['在地图上点选驻点', 'Click the base on the map'],
  patrolPickBaseHint: ['请在地图上单击驻点位置。', 'Click the base on the map.'],
  patrolUnitSaved: ['巡逻组已保存。', 'Unit saved.'],
  patrolGrids: ['巡逻网格', 'Patrol grids'],
  patrolNewGrid: ['新建网格', 'New grid'],
  patrolEditGrid: ['编辑边界', 'Edit outline'],
  patrolGridHint: [
    '单击地图添加顶点，拖动顶点调整，退格键删除最后一个。',
    'Click to add corners, drag them to move, Backspace removes the last.',
  ],
  patrolGridSaved: ['网格已保存。', 'Grid saved.'],
  patrolCheckIn: ['到岗签到', 'Check in'],
  patrolCheckInUnit: ['巡逻组', 'Unit'],
  patrolCheckInButton: ['签到（定位）', 'Check in here'],
  patrolLocating: ['正在定位…', 'Finding your position…'],
  patrolGeoUnavailable: ['无法获取位置：{reason}', 'No position: {reason}'],
  patrolCheckedIn: [
    '已签到：{school}，距校园 {distance}（定位精度 {accuracy}）',
    'Checked in: {school}, {distance} from the campus (accuracy {accuracy})',
  ],
  patrolCheckedInNone: ['已记录位置，但 100 米内没有学校。', 'Position recorded, but no school lies within 100 m.'],
  patrolDuplicate: ['（此次签到此前已记录）', '(this check-in was recorded before)'],
  // Permits
  permitsTitle: ['许可申请', 'Permit applications'],
  filterStatus: ['状态', 'Status'],
  filterAll: ['全部', 'All'],
  filterText: ['申请人、名称或地址', 'Applicant, name or address'],
  filterOverride: ['仅越权批准', 'Overrides only'],
  newApplication: ['登记新申请', 'New application'],
  applicantName: ['申请人姓名', 'Applicant name'],
  idNumber: ['身份证号', 'ID number'],
  businessName: ['经营场所名称', 'Business name'],
  address: ['地址', 'Address'],
  kind: ['申请类型', 'Kind'],
  location: ['位置', 'Location'],
  pickOnMap: ['在地图上选点', 'Pick on the map'],
  pickOnMapHint: ['请在地图上单击场所位置。', 'Click the premises’ position on the map.'],
  submit: ['提交', 'Submit'],
  submitted: ['申请已登记并完成筛查。', 'Application registered and screened.'],
  screening: ['区域筛查', 'Zone screening'],
  screenedAt: ['筛查时间', 'Screened at'],
  decision: ['审批决定', 'Decision'],
  approve: ['批准', 'Approve'],
  reject: ['驳回', 'Reject'],
  reason: ['理由', 'Reason'],
  reasonRequired: ['请填写理由。', 'A reason is required.'],
  overrideJustification: ['越权批准说明（将报综治办）', 'Override justification (reported to the governance office)'],
  overrideNeeded: [
    '筛查发现冲突：只有审核负责人可以批准，并须说明理由；该批准将报综治办。',
    'The screening found a conflict: only a supervisor may approve, with a justification; the approval is reported to the governance office.',
  ],
  overrideNotAllowed: [
    '筛查发现冲突：经办人不能批准，请驳回或提交负责人。',
    'The screening found a conflict: a clerk cannot approve it. Reject it or pass it to a supervisor.',
  ],
  decide: ['确认', 'Confirm'],
  decided: ['已记录审批决定。', 'Decision recorded.'],
  staleVersion: [
    '该申请已被他人修改，已重新载入最新内容，请核对后再决定。',
    'Someone else changed this application. It has been reloaded: check it and decide again.',
  ],
  screeningChanged: [
    '区域或规则已变化，重新筛查的结果与原结果不同。请查看新结果后再决定。',
    'Zones or rules changed: the new screening differs from the stored one. Review it, then decide again.',
  ],
  decidedBy: ['审批人', 'Decided by'],
  readOnly: ['只读账号：可以查看，不能审批。', 'Read-only account: you can look, not decide.'],
  history: ['记录', 'History'],
  licenceNo: ['许可证号', 'Licence no.'],
  premisesNo: ['场所编号', 'Premises no.'],
  rectification: ['整改要求', 'Rectification'],
  flaggedOverride: ['越权批准', 'Override'],
  schoolSince: ['学校设立', 'school since'],
  premisesSince: ['场所持证', 'premises licensed'],
  rectificationGranted: ['已给予整改期限，截止', 'A rectification period was already granted, ending'],
  deadlineAtMost: ['整改期限最迟', 'Rectification deadline at the latest'],
  rectificationMeasure: ['整改方式', 'Rectification'],
  measureRelocate: ['限期迁出安全区域', 'Relocate out of the zone'],
  measureClose: ['限期关闭', 'Close'],
  rectificationDeadline: ['整改期限', 'Deadline'],
  earlierPremises: ['原登记场所编号', 'Registered premises no.'],
  earlierPremisesHint: [
    '延续、迁址、变更须填写原登记场所编号（见区域图场所详情）。',
    'Renewals, relocations and changes name the registered premises (its number is in the map’s premises details).',
  ],
  resultsCount: ['共 {n} 条', '{n} in all'],
  previous: ['上一页', 'Previous'],
  next: ['下一页', 'Next'],
  openOnMap: ['在地图上查看', 'Show on the map'],
  // Perimeter map
  layers: ['图层', 'Layers'],
  legend: ['图例', 'Legend'],
  layerCounties: ['县区界', 'County outlines'],
  layerTownships: ['乡镇驻地', 'Township seats'],
  layerSchools: ['学校', 'Schools'],
  layerZoneCore: ['核心区', 'Core band'],
  layerZoneControl: ['管控区', 'Control band'],
  layerPremises: ['经营场所', 'Premises'],
  onlyConflicts: ['仅显示区域内场所', 'Only premises in a zone'],
  statusFilter: ['许可状态', 'Licence status'],
  download: ['导出数据', 'Download'],
  downloadRegister: ['登记簿', 'Register'],
  downloadSchools: ['学校', 'Schools'],
  downloadPremises: ['经营场所', 'Premises'],
  downloadExtent: ['范围', 'Extent'],
  downloadView: ['当前地图范围', 'The map as shown'],
  downloadAll: ['全部（本人权限内）', 'Everything I may see'],
  downloadFormat: ['格式', 'Format'],
  downloadCategory: ['场所类别', 'Category'],
  downloadSchoolType: ['学校类型', 'School type'],
  downloadAny: ['全部', 'Any'],
  downloadFile: ['下载文件', 'Download the file'],
  downloadHint: [
    'GeoPackage、FlatGeobuf 可直接在 QGIS、ArcGIS 中打开；CSV 可用 Excel 打开。坐标为经纬度（EPSG:4326）。',
    'GeoPackage and FlatGeobuf open in QGIS or ArcGIS; CSV opens in Excel. Coordinates are longitude and latitude (EPSG:4326).',
  ],
  conflictMarked: ['红圈：处于安全区域内', 'Red ring: inside a safety zone'],
  measure: ['量距', 'Measure'],
  measureHint: ['单击添加测量点，双击或按 Enter 结束，Esc 清除。', 'Click to add points; double-click or Enter to finish; Esc clears.'],
  drawCampus: ['绘制校园', 'Draw campus'],
  drawHint: [
    '单击添加顶点，双击或按 Enter 闭合，Backspace 撤销，Esc 取消。',
    'Click to add corners; double-click or Enter closes; Backspace undoes; Esc cancels.',
  ],
  drawPickSchool: ['先在地图上单击要编辑的学校。', 'First click the school to edit on the map.'],
  drawInvalid: ['校园轮廓不合格', 'The campus outline is not valid'],
  drawSaved: ['校园轮廓已保存，安全区域和冲突已重新计算。', 'Campus saved; its zones and conflicts were recomputed.'],
  save: ['保存', 'Save'],
  totalDistance: ['总长', 'Total'],
  area: ['面积', 'Area'],
  details: ['详情', 'Details'],
  conflictsOf: ['区域内场所', 'Premises in its zones'],
  inZoneOf: ['处于以下学校安全区域内', 'Inside the zones of'],
  noConflicts: ['无冲突。', 'No conflicts.'],
  students: ['在校生', 'Students'],
  opened: ['建校日期', 'Opened'],
  licensedOn: ['发证日期', 'Licensed on'],
  expiresOn: ['有效期至', 'Expires on'],
  county: ['县区', 'County'],
  offlineBasemap: ['离线底图：县区界与乡镇驻地（本系统数据）', 'Offline basemap: county outlines and township seats (own data)'],
  approvalNumber: ['审图号', 'Map approval no.'],
  // Settings: API tokens
  navSettings: ['设置', 'Settings'],
  tokensTitle: ['API 令牌', 'API tokens'],
  tokensIntro: [
    '脚本、QGIS 和 GDAL 用令牌代替登录：在请求头中发送 Authorization: Bearer <令牌>。令牌拥有您的部门、角色和县区范围；只读令牌不能修改任何数据；写入令牌的每次修改都记入审计日志。',
    'Scripts, QGIS and GDAL use a token instead of signing in: send the header Authorization: Bearer <token>. A token has your department, role and county; a read token never changes anything; every change made with a write token is in the audit log.',
  ],
  tokenName: ['名称（用途）', 'Name (what it is for)'],
  tokenNameColumn: ['名称', 'Name'],
  tokenNamePlaceholder: ['如：GIS 科 QGIS', 'e.g. QGIS in the GIS office'],
  tokenAccess: ['权限', 'Access'],
  tokenAccessRead: ['只读', 'read'],
  tokenAccessWrite: ['读写', 'read and write'],
  tokenExpiresOn: ['有效期至（最长一年）', 'Expires on (at most a year)'],
  createToken: ['创建令牌', 'Create a token'],
  tokenCreated: ['令牌“{name}”已创建', 'Token “{name}” created'],
  tokenShownOnce: [
    '这是唯一一次显示该令牌：请立即复制并妥善保存，不要发给他人或写入共享文件。服务器只保存其摘要，丢失后只能撤销并重新创建。',
    'This is the only time the token is shown: copy it now and keep it safe; do not send it to anyone or put it in a shared file. The server keeps only its hash; a lost token can only be revoked and made anew.',
  ],
  copyToken: ['复制', 'Copy'],
  tokenCopied: ['已复制到剪贴板。', 'Copied to the clipboard.'],
  tokenCopyByHand: ['无法访问剪贴板：令牌已选中，请按 Ctrl+C 复制。', 'No clipboard access: the token is selected; press Ctrl+C.'],
  tokenDone: ['我已保存', 'I have saved it'],
  tokenPrefix: ['令牌开头', 'Starts with'],
  tokenCreatedAt: ['创建于', 'Created'],
  tokenLastUsed: ['最近使用', 'Last used'],
  tokenNeverUsed: ['从未使用', 'never'],
  tokenState: ['状态', 'State'],
  tokenStateActive: ['有效', 'active'],
  tokenStateExpired: ['已过期', 'expired'],
  tokenStateRevoked: ['已撤销', 'revoked'],
  tokenOwner: ['用户', 'User'],
  tokensAll: ['显示所有用户的令牌', 'Show every user’s tokens'],
  noTokens: ['还没有令牌。', 'No tokens yet.'],
  revokeToken: ['撤销', 'Revoke'],
  revokeTokenConfirm: ['撤销“{name}”？使用它的脚本将立即失效。', 'Revoke “{name}”? Scripts using it stop working at once.'],
  revokeTokenYes: ['确认撤销', 'Revoke it'],
  tokenRevoked: ['令牌“{name}”已撤销。', 'Token “{name}” revoked.'],
  // Rules and the what-if
  navRules: ['规则设置', 'Rules'],
  rulesTitle: ['区域规则与影响预估', 'Zone rules and what-if'],
  rulesIntro: [
    '每条规则：场所类别 × 学校类型 → 限距、起算位置、测量路径和分区。修改前先预估影响，保存后冲突和区域随即重新计算。',
    'Each rule: premises category × school type → limit, where it is measured from, the path and the bands. Preview a change before saving it; saving recomputes the conflicts and zones at once.',
  ],
  allCategories: ['全部类别', 'All categories'],
  ruleCategory: ['场所类别', 'Category'],
  ruleSchoolType: ['学校类型', 'School type'],
  ruleLimit: ['限距', 'Limit'],
  ruleOrigin: ['起算', 'From'],
  rulePath: ['路径', 'Path'],
  ruleBands: ['分区', 'Bands'],
  ruleLegalBasis: ['法律依据', 'Legal basis'],
  ruleEffective: ['施行', 'In force'],
  ruleVersion: ['版本', 'Version'],
  pathStraight: ['直线', 'straight line'],
  pathWalking: ['步行', 'on foot'],
  inForceFrom: ['{date} 起', 'from {date}'],
  inForceUntil: ['至 {date}', 'until {date}'],
  notYetInForce: ['尚未生效：{date} 起施行', 'Not yet in force: from {date}'],
  noLongerInForce: ['已失效', 'No longer in force'],
  backToRules: ['← 规则列表', '← All rules'],
  ruleHistory: ['修改记录', 'Version history'],
  versionNumber: ['第 {version} 版', 'Version {version}'],
  initialVersion: ['初始版本', 'Initial version'],
  systemUser: ['系统', 'system'],
  editRule: ['修改规则', 'Change the rule'],
  rulesReadOnly: [
    '只有综治办审核负责人和系统管理员可以保存规则修改；您可以预估修改的影响。',
    'Only governance supervisors and administrators can save rule changes; you can preview a change.',
  ],
  limitMetres: ['限距（米）', 'Limit (m)'],
  bandOuterEdge: ['{band}外缘（米）', '{band} outer edge (m)'],
  bandLastEdge: ['{band}：至限距', '{band}: up to the limit'],
  effectiveFrom: ['施行日期', 'In force from'],
  effectiveTo: ['失效日期（可空）', 'In force until (optional)'],
  ruleScope: ['适用范围', 'Applies to'],
  ruleScopeOne: ['仅本条（{schoolType}）', 'This rule only ({schoolType})'],
  ruleScopeCategory: ['本类别全部 {count} 种学校类型（一并保存）', 'All {count} school types of this category (saved together)'],
  rulesSaved: ['{count} 条规则已保存，冲突和区域已重新计算。', '{count} rules saved; conflicts and zones recomputed.'],
  ruleReason: ['修改理由（必填，记入修改记录）', 'Reason (required, kept in the history)'],
  previewChange: ['预估影响', 'Preview the change'],
  saveRule: ['保存修改', 'Save the change'],
  previewFirst: ['请先预估影响，再保存。', 'Preview the change before saving it.'],
  previewStale: ['表单已修改，请重新预估影响。', 'The form changed: preview again.'],
  futureWarning: [
    '施行日期晚于今天：保存后至该日前，此类别×学校类型没有生效的规则，其冲突不再计算。',
    'The date is after today: once saved, this category × school type has no rule in force until then, and its conflicts are not computed.',
  ],
  ruleSaved: ['规则已保存（第 {version} 版），冲突和区域已重新计算。', 'Rule saved (version {version}); conflicts and zones recomputed.'],
  ruleSavedFuture: ['规则已保存（第 {version} 版），{date} 起施行。', 'Rule saved (version {version}); in force from {date}.'],
  ruleStale: [
    '规则已被他人修改，已重新加载最新版本，请核对后再保存。',
    'Someone else changed the rule: the latest version is loaded; check it and save again.',
  ],
  whatIfTitle: ['影响预估（尚未保存）', 'What-if (not saved)'],
  whatIfSummary: [
    '新增冲突场所 {added} 处 · 解除 {cleared} 处 · 分区变化 {bands} 对',
    'Newly conflicting {added} · cleared {cleared} · band changed {bands} pairs',
  ],
  whatIfDates: [
    '预估按拟议的限距、起算、路径和分区计算，视同现在生效。',
    'The what-if applies the proposed limit, origin, path and bands as if in force now.',
  ],
  byCategory: ['按类别（场所数）', 'By category (premises)'],
  byCounty: ['按县区（场所数）', 'By county (premises)'],
  byBand: ['按分区（场所—学校对）', 'By band (premises–school pairs)'],
  todayColumn: ['现行', 'Today'],
  proposedColumn: ['拟议', 'Proposed'],
  differenceColumn: ['差额', 'Difference'],
  totalRow: ['合计', 'Total'],
  zonesCompare: ['区域对比', 'Zones'],
  zonesToday: ['现行', 'Today'],
  zonesProposed: ['拟议', 'Proposed'],
  zonesBoth: ['叠加', 'Both'],
  zonesZoomIn: ['放大地图，即显示视图内学校的现行与拟议区域。', 'Zoom in to draw today’s and the proposed zones of the schools in view.'],
  zonesDrawn: ['已绘制视图内 {count} 所学校的区域。', 'Zones of {count} schools in view drawn.'],
  legendNewlyConflicting: ['新增冲突', 'Newly conflicting'],
  legendCleared: ['解除冲突', 'Cleared'],
  changedPremises: ['变化的场所（{count}）', 'Premises that change ({count})'],
  changedTruncated: ['只列出前 {count} 处。', 'Only the first {count} are listed.'],
  premisesDetails: ['场所详情', 'Premises details'],
} as const satisfies Record<string, readonly [string, string]>

export type TextKey = keyof typeof text

// Chinese names come from the one table the certificates use (server/schemas/labels.ts); English is the desk's own.
const bilingual = <K extends string>(chinese: Readonly<Record<string, string>>, english: Record<K, string>) =>
  Object.fromEntries(Object.entries<string>(english).map(([code, name]) => [code, [chinese[code] ?? code, name] as const])) as Record<
    K,
    readonly [string, string]
  >

const categories = bilingual<PremisesCategory>(CATEGORY_NAMES, {
  internet_cafe: 'Internet café',
  lottery_outlet: 'Lottery outlet',
  tobacco_retail: 'Tobacco retailer',
  entertainment_venue: 'Karaoke / dance venue',
  video_game_venue: 'Video-game venue',
  hazardous_chemicals: 'Hazardous chemicals',
  fireworks: 'Fireworks seller',
  polluting_enterprise: 'Polluting business',
  food_stall_zone: 'Food-stall zone',
})
const schoolTypes = bilingual<SchoolType>(SCHOOL_TYPE_NAMES, {
  kindergarten: 'Kindergarten',
  primary: 'Primary school',
  junior_middle: 'Junior middle school',
  senior_high: 'Senior high school',
  complete_middle: 'Complete middle school',
  nine_year: 'Nine-year school',
  vocational: 'Vocational school',
  special_education: 'Special-education school',
})
const kinds = bilingual<PermitKind>(PERMIT_KIND_NAMES, { new: 'New', renewal: 'Renewal', relocation: 'Relocation', change: 'Change' })
const statuses: Record<LicenceStatus, readonly [string, string]> = {
  active: ['有效', 'Active'],
  suspended: ['暂停', 'Suspended'],
  expired: ['过期', 'Expired'],
  revoked: ['吊销', 'Revoked'],
}
const departments: Record<Department, readonly [string, string]> = {
  education: ['教育局', 'Education'],
  tobacco: ['烟草专卖局', 'Tobacco monopoly'],
  lottery_welfare: ['福利彩票中心', 'Welfare lottery'],
  lottery_sports: ['体育彩票中心', 'Sports lottery'],
  culture: ['文化旅游广电局', 'Culture and tourism'],
  emergency: ['应急管理局', 'Emergency management'],
  environment: ['生态环境局', 'Ecology and environment'],
  market: ['市场监督管理局', 'Market regulation'],
  police: ['公安局', 'Police'],
  governance: ['综治办', 'Governance office'],
  admin: ['系统管理', 'Administration'],
}
const roles: Record<Role, readonly [string, string]> = {
  clerk: ['经办人', 'Clerk'],
  supervisor: ['审核负责人', 'Supervisor'],
  viewer: ['只读', 'Viewer'],
  admin: ['管理员', 'Administrator'],
}
const bands: Record<string, readonly [string, string]> = { core: ['核心区', 'core'], control: ['管控区', 'control'] }
export const COUNTIES: Record<string, readonly [string, string]> = {
  '640402': ['原州区', 'Yuanzhou'],
  '640422': ['西吉县', 'Xiji'],
  '640423': ['隆德县', 'Longde'],
  '640424': ['泾源县', 'Jingyuan'],
  '640425': ['彭阳县', 'Pengyang'],
}

let language: Language = readLanguage()
const listeners = new Set<() => void>()

function readLanguage(): Language {
  try {
    const stored = localStorage.getItem(STORAGE_KEY)
    if (stored === 'zh' || stored === 'en') return stored
  } catch {
    // Storage may be disabled; Chinese is the default.
  }
  return 'zh'
}

export function currentLanguage(): Language {
  return language
}

/** Switches the language, remembers it, and tells every screen to redraw its words. */
export function setLanguage(next: Language): void {
  language = next
  try {
    localStorage.setItem(STORAGE_KEY, next)
  } catch {
    // Not remembered; still switched.
  }
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en'
  for (const listener of listeners) listener()
}

export function onLanguageChange(listener: () => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

const pick = (pair: readonly [string, string] | undefined, fallback: string) => (pair ? pair[language === 'zh' ? 0 : 1] : fallback)

/** The text for a key, with {name} placeholders filled. */
export function t(key: TextKey, values: Record<string, string | number> = {}): string {
  return pick(text[key], key).replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ''))
}
export const categoryName = (value: string) => pick(categories[value as PremisesCategory], value)
export const schoolTypeName = (value: string) => pick(schoolTypes[value as SchoolType], value)
export const kindName = (value: string) => pick(kinds[value as PermitKind], value)
const permitStatuses = bilingual<PermitStatus>(PERMIT_STATUS_NAMES, { pending: 'Pending', approved: 'Approved', rejected: 'Rejected' })
export const permitStatusName = (value: PermitStatus) => pick(permitStatuses[value], value)
const CRS_TEXT: Record<CrsName, TextKey> = { wgs84: 'crsWgs84', cgcs2000: 'crsCgcs2000', gcj02: 'crsGcj02', bd09: 'crsBd09' }
export const crsName = (value: CrsName) => t(CRS_TEXT[value])
export const statusName = (value: string) => pick(statuses[value as LicenceStatus], value)
export const departmentName = (value: string) => pick(departments[value as Department], value)
export const roleName = (value: string) => pick(roles[value as Role], value)
export const bandName = (value: string) => pick(bands[value], value)
export const countyName = (code: string) => pick(COUNTIES[code], code)
export const CATEGORY_VALUES: readonly PremisesCategory[] = PREMISES_CATEGORIES

/** A distance in metres as a number with one decimal, the precision the service measures to. */
export function metresNumber(value: number): string {
  return value.toLocaleString(language === 'zh' ? 'zh-CN' : 'en', { minimumFractionDigits: 1, maximumFractionDigits: 1 })
}

/** Metres with one decimal and the unit. */
export function metres(value: number): string {
  return `${metresNumber(value)} m`
}

export function dateTime(iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(language === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false })
}
