/**
 * `$ref` resolution for Airbyte manifests: `{ "$ref": "#/definitions/x", …overrides }` is the object at
 * that JSON pointer with the overrides merged over it (deeply, as Airbyte's reference resolver does).
 * Cycles and pointers to nothing are problems naming the pointer of the `$ref`. Every resolved node
 * remembers the pointer it came from, so later problems name the place in the file the author wrote.
 */

type Json = Record<string, unknown>

/** Deepest chain of references followed (a guard, not a limit manifests reach). */
const MAX_REF_DEPTH = 64
/**
 * Most values the resolved manifest may hold: references that fan out to references grow
 * exponentially (a "billion laughs" through `$ref`). The largest Airbyte manifests resolve to far fewer.
 */
export const MAX_RESOLVED_NODES = 500_000

export const ORIGIN = Symbol('manifest pointer')

function isObject (value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

export function escapePointer (key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1')
}

/** The JSON pointer a resolved node came from (its `$ref` target or its own place). */
export function originOf (value: unknown, fallback: string): string {
  return isObject(value) && typeof (value as { [ORIGIN]?: unknown })[ORIGIN] === 'string' ? (value as { [ORIGIN]: string })[ORIGIN] : fallback
}

function at (root: unknown, pointer: string): unknown {
  if (!pointer.startsWith('#')) return undefined
  let current = root
  for (const raw of pointer.slice(1).split('/').slice(1)) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    if (!isObject(current) && !Array.isArray(current)) return undefined
    current = Object.hasOwn(current, key) ? (current as Json)[key] : undefined
  }
  return current
}

function merge (base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over
  const out: Json = { ...base }
  for (const [key, value] of Object.entries(over)) out[key] = key in out ? merge(out[key], value) : value
  return out
}

export function resolveReferences (manifest: unknown): { value: unknown, problems: string[] } {
  const problems: string[] = []
  let nodes = 0
  const visit = (node: unknown, pointer: string, chain: readonly string[]): unknown => {
    if (++nodes > MAX_RESOLVED_NODES) {
      if (nodes === MAX_RESOLVED_NODES + 1) problems.push(`${pointer}: the manifest expands to more than ${MAX_RESOLVED_NODES} values through $ref`)
      return undefined
    }
    if (Array.isArray(node)) return node.map((item, i) => visit(item, `${pointer}/${i}`, chain))
    if (!isObject(node)) return node
    let current: Json = node
    let origin = pointer
    const seen = [...chain]
    while (typeof current.$ref === 'string') {
      const target = current.$ref
      if (seen.includes(target) || seen.length >= MAX_REF_DEPTH) {
        problems.push(`${pointer}/$ref: reference cycle through "${target}"`)
        return undefined
      }
      seen.push(target)
      const found = at(manifest, target)
      if (!isObject(found)) {
        problems.push(`${pointer}/$ref: "${target}" points to ${found === undefined ? 'nothing' : 'a value that is not an object'}`)
        return undefined
      }
      const { $ref: _ref, ...overrides } = current
      current = merge(found, overrides) as Json
      origin = `/${target.slice(2)}`
    }
    const out: Json = {}
    for (const [key, value] of Object.entries(current)) out[key] = visit(value, `${origin}/${escapePointer(key)}`, seen)
    Object.defineProperty(out, ORIGIN, { value: origin, enumerable: false })
    return out
  }
  return { value: visit(manifest, '', []), problems }
}
