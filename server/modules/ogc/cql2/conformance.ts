/**
 * The conformance classes of OGC API – Features Part 3 and CQL2 1.0 this implementation meets, for
 * /conformance. Not declared: accent-insensitive comparison (ACCENTI), array functions, custom functions
 * (S_DWITHIN is an extension beyond CQL2 1.0 and is not listed as one).
 */
export const CQL2_CONFORMANCE = [
  'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter',
  'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter',
  'http://www.opengis.net/spec/cql2/1.0/conf/cql2-text',
  'http://www.opengis.net/spec/cql2/1.0/conf/cql2-json',
  'http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2',
  'http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators',
  'http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison',
  'http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions',
  'http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus',
  'http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions',
  'http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions',
  'http://www.opengis.net/spec/cql2/1.0/conf/property-property',
  'http://www.opengis.net/spec/cql2/1.0/conf/arithmetic',
] as const

/** The filter-lang values accepted: CQL2's two encodings and the `cql-text` GDAL ≤ 3.6 sends. */
export const FILTER_LANGUAGES = ['cql2-text', 'cql2-json', 'cql-text'] as const
export type FilterLanguage = (typeof FILTER_LANGUAGES)[number]
