/**
 * The rules' plain lists and the what-if's bounds. Kept free of schema code so the web desk can import them without
 * bundling the validator; the TypeBox schemas in zones.ts are built from them.
 */
export const ORIGINS = ['campus', 'gates'] as const
export const PATHS = ['straight', 'walking'] as const

/** At most this many changed premises are listed (with their position) in a preview; the counts are always complete. */
export const PREVIEW_PREMISES_MAX = 2000
/** Proposed zones are drawn for at most this many schools at once (the schools in view)… */
export const PREVIEW_ZONES_MAX_SCHOOLS = 150
/** …and for a view at most this many degrees wide or high. */
export const PREVIEW_ZONES_MAX_SPAN_DEG = 1
