import { pinyin } from 'pinyin-pro'

/**
 * Pinyin of a name for the two search columns the database cannot compute itself: the full syllables run
 * together ("yuanzhouqudisanxiaoxue") and their initials ("yzqdsxx"), lower-case letters and digits only,
 * so that "yzq", "yuanzhou" and "YuanZhou" all find 原州区. Latin words and digits are kept whole.
 */
export function pinyinColumns(name: string): { search_pinyin: string; search_initials: string } {
  const text = name.normalize('NFKC')
  const clean = (parts: string[]) =>
    parts
      .join('')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
  return {
    search_pinyin: clean(pinyin(text, { toneType: 'none', type: 'array', nonZh: 'consecutive', v: true })),
    search_initials: clean(pinyin(text, { pattern: 'first', toneType: 'none', type: 'array', nonZh: 'consecutive' })),
  }
}

/** A query typed in Latin letters (and digits), which is then also tried against the pinyin columns. */
export function pinyinQuery(q: string): string | undefined {
  const text = q.normalize('NFKC').toLowerCase().replace(/\s+/g, '')
  return /^[a-z][a-z0-9]*$/.test(text) ? text : undefined
}
