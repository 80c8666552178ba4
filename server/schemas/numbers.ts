/**
 * How a number is written wherever one arrives as text (query strings, path parameters, CSV cells, GPX attributes):
 * plain decimal, an optional sign, an optional fraction and exponent. JavaScript's Number() also takes hex (0x10),
 * binary, octal, Infinity, blanks and surrounding spaces; none of those is a coordinate or a count someone meant.
 */
export const DECIMAL = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/

/** The number a text writes in plain decimal, or undefined for anything else (blank, hex, Infinity, "1,5"). */
export function parseDecimal(text: string): number | undefined {
  const trimmed = text.trim()
  if (!DECIMAL.test(trimmed)) return undefined
  const value = Number(trimmed)
  return Number.isFinite(value) ? value : undefined
}

/** A whole number in plain decimal (a count, an id, a zoom level). */
export const INTEGER = /^[-+]?\d+$/
