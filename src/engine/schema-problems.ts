/**
 * Readable problems from a TypeBox check: one line per real problem, each starting with the JSON
 * pointer of the value (`/endpoints/3/pagecap: unknown property`). In a union of objects told apart by
 * their `type` (paginators, auth), only the branch whose `type` the value has is reported, or
 * `unsupported "Foo"` when no branch has it, instead of every branch's complaints.
 */
import type { TSchema } from 'typebox'
import type { Validator } from 'typebox/compile'
import { Settings } from 'typebox/system'

/** Enough to report every problem of a hand-written definition; TypeBox buffers 8 by default. */
const MAX_PROBLEMS = 500

interface CheckError { keyword: string, schemaPath: string, instancePath: string, message: string }

type Json = Record<string, unknown>

function unescape (segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~')
}

function at (root: unknown, segments: readonly string[]): unknown {
  let current = root
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Json)[unescape(segment)]
  }
  return current
}

/** The `type` constant a union branch requires, if it is an object schema with one. */
function branchType (branch: unknown): unknown {
  const type = at(branch, ['properties', 'type'])
  return type !== null && typeof type === 'object' && 'const' in type ? (type as Json).const : undefined
}

/**
 * Whether an error comes from a union branch the value was never meant for: the branch requires a
 * `type` the value does not have. `unions` collects, per union, whether any branch has the value's type.
 */
function inForeignBranch (error: CheckError, schema: TSchema, value: unknown, unions: Map<string, string | null>): boolean {
  const segments = error.schemaPath.replace(/^#\/?/, '').split('/').filter((s) => s !== '')
  for (let i = 0; i < segments.length - 1; i++) {
    if (segments[i] !== 'anyOf') continue
    const unionPath = segments.slice(0, i + 1)
    const branches = at(schema, unionPath)
    if (!Array.isArray(branches)) continue
    const types = branches.map(branchType)
    if (types.some((t) => t === undefined)) continue // not a discriminated union
    // The value this union checks: the instance path of the error, up to the union's depth.
    const pointer = unionPointer(error.instancePath, segments.slice(0, i))
    const actual = at(value, [...pointer, 'type'])
    const key = '/' + pointer.join('/')
    if (!types.includes(actual)) unions.set(key, JSON.stringify(actual) ?? 'undefined')
    if (at(branches, [segments[i + 1] as string, 'properties', 'type', 'const']) !== actual) return true
  }
  return false
}

/** Instance segments a schema path prefix addresses: one per `properties/<key>`, `items`, or record value. */
function unionPointer (instancePath: string, schemaSegments: readonly string[]): string[] {
  const instance = instancePath.split('/').slice(1)
  let depth = 0
  for (let i = 0; i < schemaSegments.length; i++) {
    const segment = schemaSegments[i]
    if (segment === 'properties' || segment === 'patternProperties') { depth++; i++ } else if (segment === 'items' || segment === 'additionalProperties') depth++
  }
  return instance.slice(0, depth)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function schemaProblems (check: Validator<any, any>, value: unknown): string[] {
  const schema = check.Type() as TSchema
  const unions = new Map<string, string | null>()
  const problems = new Set<string>()
  const previous = Settings.Get().maxErrors
  Settings.Set({ maxErrors: MAX_PROBLEMS })
  let errors: CheckError[]
  try { errors = [...check.Errors(value)] as unknown as CheckError[] } finally { Settings.Set({ maxErrors: previous }) }
  const kept = errors.filter((error) => !inForeignBranch(error, schema, value, unions))
  for (const [pointer, type] of unions) problems.add(`${pointer === '/' ? '' : pointer}/type: unsupported ${type ?? ''}`)
  // Unions without a `type` discriminator (e.g. a string or an object): branch-level complaints at the
  // union's own pointer say little; keep what lies deeper, else one line.
  const branchesAt = new Map<string, Set<string>>()
  for (const error of kept) {
    const match = /^(.*\/anyOf)\/(\d+)/.exec(error.schemaPath)
    if (match === null) continue
    const key = `${match[1] as string}|${error.instancePath}`
    branchesAt.set(key, (branchesAt.get(key) ?? new Set()).add(match[2] as string))
  }
  const vague = new Set([...branchesAt].filter(([, branches]) => branches.size > 1).map(([key]) => key.split('|')[1] as string))
  for (const error of kept) {
    if (error.keyword === 'additionalProperties') continue // each extra key has its own error
    if ([...unions.keys()].some((pointer) => error.instancePath === (pointer === '/' ? '' : pointer))) continue
    if (error.keyword === 'boolean' && error.schemaPath.endsWith('/additionalProperties')) problems.add(`${error.instancePath}: unknown property`)
    else if (vague.has(error.instancePath) || error.keyword === 'anyOf') problems.add(`${error.instancePath}: matches none of the allowed forms`)
    else problems.add(`${error.instancePath}: ${error.message}`)
  }
  // A vague line is dropped where a more precise one names the same value or a part of it.
  for (const line of [...problems]) {
    if (!line.endsWith(': matches none of the allowed forms')) continue
    const pointer = line.slice(0, -': matches none of the allowed forms'.length)
    if ([...problems].some((other) => other !== line && (other.startsWith(pointer + '/') || other.startsWith(pointer + ': ')))) problems.delete(line)
  }
  return [...problems]
}
