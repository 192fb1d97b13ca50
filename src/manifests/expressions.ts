/**
 * What a manifest string becomes in a definition. Each is compiled once, here, at load:
 *   - no `{{ }}`, or only `parameters` (fixed at load) → a literal;
 *   - `{{ config['x'] }}` (also `config.x`, `config.get('x')`, `| default(v)`, `or v`) → a field reference;
 *     text with such parts → a `{ template }`;
 *   - anything else that reads only the config, `parameters` and macros → an `{ expression }` reference,
 *     evaluated once per request against the config;
 *   - an expression that reads the response, the page token, the partition or the interval → the
 *     caller's business (paginators, partitions, cursors) or a problem.
 */
import { compileTemplate, InterpolationError, MACROS, type CompiledTemplate, type ExpressionNode as Node } from '../engine/index.js'

type Json = Record<string, unknown>

export type Literal = string | number | boolean | null
export type ConfigRef = { field: string, default?: Literal }
export type ValueRef = Literal | ConfigRef | { template: string } | { expression: string, variables?: Json }

export type Classified =
  | { kind: 'literal', value: unknown }
  | { kind: 'ref', ref: ValueRef }
  | { kind: 'runtime', template: CompiledTemplate, names: string[] }

const STATIC_NAMES = new Set(['config', 'parameters'])

/** `config['a']['b']` / `config.a.b` → `a.b`; anything else → undefined. */
export function configPath (node: Node): string | undefined {
  return pathFrom(node, ['config'])
}

/** `root['a']['b']` / `root.a.b` / `root.get('a')` for one of `roots` → `a.b`; anything else → undefined. */
export function pathFrom (node: Node, roots: readonly string[]): string | undefined {
  const keys: string[] = []
  let current = node
  for (;;) {
    if (current.kind === 'name') return roots.includes(current.name) && keys.length > 0 ? keys.reverse().join('.') : undefined
    if (current.kind === 'attr') { keys.push(current.name); current = current.object; continue }
    if (current.kind === 'index' && current.index.kind === 'literal' && typeof current.index.value === 'string') {
      keys.push(current.index.value)
      current = current.object
      continue
    }
    if (current.kind === 'call' && current.callee.kind === 'attr' && current.callee.name === 'get' && current.args.length === 1 &&
      current.args[0]?.kind === 'literal' && typeof current.args[0].value === 'string' && current.kwargs.length === 0) {
      keys.push(current.args[0].value)
      current = current.callee.object
      continue
    }
    return undefined
  }
}

function literalOf (node: Node | undefined): Literal | undefined {
  if (node?.kind !== 'literal') return undefined
  const v = node.value
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null ? v : undefined
}

/** A config reference with an optional literal default, if the expression is only that. */
export function configRef (node: Node): ConfigRef | undefined {
  const plain = configPath(node)
  if (plain !== undefined) return { field: plain }
  if (node.kind === 'filter' && (node.name === 'default' || node.name === 'd') && node.args.length === 1) {
    const path = configPath(node.value)
    const fallback = literalOf(node.args[0])
    if (path !== undefined && fallback !== undefined) return { field: path, default: fallback }
  }
  if (node.kind === 'or') {
    const path = configPath(node.left)
    const fallback = literalOf(node.right)
    if (path !== undefined && fallback !== undefined) return { field: path, default: fallback }
  }
  if (node.kind === 'call' && node.callee.kind === 'attr' && node.callee.name === 'get' && node.args.length === 2) {
    const path = configPath({ ...node, args: [node.args[0] as Node] })
    const fallback = literalOf(node.args[1])
    if (path !== undefined && fallback !== undefined) return { field: path, default: fallback }
  }
  return undefined
}

export class ManifestProblems {
  readonly list: string[] = []
  add (pointer: string, message: string): void { this.list.push(`${pointer}: ${message}`) }
}

/** Compile a manifest string; a syntax error is a problem at `pointer`. */
export function compileAt (source: string, pointer: string, problems: ManifestProblems): CompiledTemplate | undefined {
  try {
    return compileTemplate(source)
  } catch (error) {
    if (!(error instanceof InterpolationError)) throw error
    problems.add(pointer, `cannot interpolate: ${error.message}`)
    return undefined
  }
}

/** Classify a manifest value (a string, or a literal of another type) for a request part. */
export function classify (value: unknown, parameters: Json, pointer: string, problems: ManifestProblems): Classified | undefined {
  if (typeof value !== 'string') return { kind: 'literal', value }
  const template = compileAt(value, pointer, problems)
  if (template === undefined) return undefined
  if (template.constant) return { kind: 'literal', value }
  const names = [...template.names]
  if (names.every((n) => n === 'parameters')) return { kind: 'literal', value: template.evaluate({ parameters }) }
  if (!names.every((n) => STATIC_NAMES.has(n) || MACROS.has(n))) return { kind: 'runtime', template, names }
  const only = template.expression
  const ref = only === null ? undefined : configRef(only)
  if (ref !== undefined) return { kind: 'ref', ref }
  const parts = template.parts
  const simple = parts.every((p) => p.kind === 'text' ? !/[{}]/.test(p.text) : configPath(p.node) !== undefined)
  if (simple && !names.includes('parameters')) {
    return { kind: 'ref', ref: { template: parts.map((p) => p.kind === 'text' ? p.text : `{${configPath(p.node) as string}}`).join('') } }
  }
  return { kind: 'ref', ref: names.includes('parameters') ? { expression: value, variables: { parameters } } : { expression: value } }
}

/** The config field names a value reference reads (to check them against the form). */
export function fieldsRead (ref: ValueRef): string[] {
  if (ref === null || typeof ref !== 'object') return []
  if ('field' in ref) return [ref.field]
  if ('template' in ref) return [...ref.template.matchAll(/\{([A-Za-z0-9_.]+)\}/g)].map((m) => m[1] as string)
  return []
}

/** A manifest value that must be fixed at load (a page size, a JSON body value): a literal or a problem. */
export function literalAt (value: unknown, parameters: Json, pointer: string, problems: ManifestProblems): unknown {
  const classified = classify(value, parameters, pointer, problems)
  if (classified === undefined) return undefined
  if (classified.kind === 'literal') return classified.value
  problems.add(pointer, 'must be fixed when the manifest loads (only parameters may be interpolated here)')
  return undefined
}

export function isObject (value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
