/** CQL2 (OGC API – Features Part 3 filtering): parse either encoding to one tree, compile it to SQL. */
import type { RawBuilder } from 'kysely'
import { Cql2Error, type Cql2Expression } from './ast.ts'
import { compileCql2, type Queryables } from './compile.ts'
import type { FilterLanguage } from './conformance.ts'
import { parseCql2JsonText } from './json-parser.ts'
import { parseCql2Text } from './text-parser.ts'

export * from './ast.ts'
export * from './compile.ts'
export * from './conformance.ts'
export { parseCql2Json, parseCql2JsonText } from './json-parser.ts'
export { parseCql2Text, type TextParseOptions } from './text-parser.ts'

/**
 * The items query's `filter`, `filter-lang` (cql2-text by default) and `filter-crs` → one SQL condition, or a
 * Cql2Error whose `field` names the parameter at fault.
 */
export function filterCondition(
  filter: string,
  language: string | undefined,
  filterCrs: string | undefined,
  queryables: Queryables,
): RawBuilder<boolean> {
  const lang = (language ?? 'cql2-text') as FilterLanguage
  let expression: Cql2Expression
  if (lang === 'cql2-text') expression = parseCql2Text(filter)
  else if (lang === 'cql-text') expression = parseCql2Text(filter, { legacy: true })
  else if (lang === 'cql2-json') expression = parseCql2JsonText(filter)
  else throw new Cql2Error(`"${String(language).slice(0, 40)}" is not supported; use cql2-text, cql2-json or cql-text`, undefined, 'filter')
  return compileCql2(expression, queryables, { filterCrs, temporalStrings: lang === 'cql-text' })
}
