/** Record shapes for sync tests: `{ field: String | Number | Boolean | Array | Object | { nested } }`. */

/** `value` has every field of `shape`: constructors stand for a type, plain objects recurse. */
export function matchesShape (value: unknown, shape: Record<string, unknown>): boolean {
  if (typeof value !== 'object' || value === null) return false
  const record = value as Record<string, unknown>
  return Object.entries(shape).every(([key, expected]) => {
    const actual = record[key]
    if (expected === String) return typeof actual === 'string'
    if (expected === Number) return typeof actual === 'number'
    if (expected === Boolean) return typeof actual === 'boolean'
    if (expected === Array) return Array.isArray(actual)
    if (expected === Object) return typeof actual === 'object' && actual !== null && !Array.isArray(actual)
    return matchesShape(actual, expected as Record<string, unknown>)
  })
}
