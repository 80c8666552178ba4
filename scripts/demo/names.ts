/** The words the demo generator builds fictional names and addresses from. */

/** shop-name words */
export const BRANDS = [
  '星光',
  '鑫源',
  '好运',
  '顺达',
  '金城',
  '宏发',
  '平安',
  '如意',
  '福满',
  '兴盛',
  '天天',
  '万家',
  '阳光',
  '新世纪',
  '六盘',
  '清水',
  '永安',
  '康乐',
  '东方',
  '恒通',
]
/** the first part of a street name */
export const STREET_WORDS = [
  '一',
  '二',
  '三',
  '四',
  '五',
  '六',
  '七',
  '八',
  '东',
  '西',
  '南',
  '北',
  '中',
  '新',
  '文化',
  '建设',
  '育才',
  '团结',
  '和平',
  '兴业',
]
/** the last part of a street name */
export const STREET_KINDS = ['路', '街', '巷', '大道']
/** characters of the two-character names of synthetic towns (bbox mode) */
export const SYNTHETIC_CHARS = [
  '东',
  '西',
  '南',
  '北',
  '新',
  '安',
  '平',
  '和',
  '兴',
  '宁',
  '河',
  '山',
  '川',
  '塬',
  '沟',
  '湾',
  '庄',
  '堡',
  '寨',
  '营',
  '泉',
  '岭',
  '台',
  '坪',
  '丰',
  '乐',
  '石',
  '柳',
  '杨',
  '马',
]

const CN_DIGITS = '零一二三四五六七八九'
/** Chinese numerals for 1..9999 (第三, 第十二, 第一百零一); Arabic beyond */
export function chineseNumber(n: number): string {
  if (!Number.isInteger(n) || n <= 0 || n >= 10000) return String(n)
  const digits = [Math.floor(n / 1000) % 10, Math.floor(n / 100) % 10, Math.floor(n / 10) % 10, n % 10]
  const units = ['千', '百', '十', '']
  let s = ''
  let zero = false
  let started = false
  digits.forEach((d, i) => {
    if (d === 0) {
      if (started) zero = true
      return
    }
    if (zero) s += '零'
    zero = false
    started = true
    s += CN_DIGITS[d]! + units[i]!
  })
  return n >= 10 && n < 20 ? s.replace(/^一十/, '十') : s
}

/** short county names used in school and shop names */
export const COUNTY_SHORT: Readonly<Record<string, string>> = {
  '640402': '原州',
  '640422': '西吉',
  '640423': '隆德',
  '640424': '泾源',
  '640425': '彭阳',
}

/** The village part of a village committee's name (张家村委会 → 张家), undefined when the name is not a village committee's. */
export function villageStem(name: string): string | undefined {
  const m = /^(.+?)(村民委员会|村委会)$/.exec(name)
  if (!m) return undefined
  return m[1]!.replace(/村$/, '')
}
