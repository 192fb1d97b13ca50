/**
 * Templates: text with `{{ expression }}` parts, compiled once (at load) and evaluated per request or
 * page — never per row. A template that is one expression and nothing else evaluates to the
 * expression's value (a number stays a number, as Airbyte's literal evaluation does); otherwise the
 * parts render as text. Compilation refuses statements (`{% %}`), comments (`{# #}`), unknown filters
 * and tests, and sources over MAX_TEMPLATE_LENGTH characters.
 */
import { InterpolationError } from './errors.js'
import { evaluate, TESTS, type Context } from './evaluate.js'
import { filterNamed } from './builtins.js'
import { parseExpression, type Node } from './parser.js'
import { Callable, DateTime, Duration, text } from './values.js'

export const MAX_TEMPLATE_LENGTH = 10_000

export type TemplatePart = { kind: 'text', text: string } | { kind: 'expression', node: Node, source: string }
type Part = TemplatePart

export interface CompiledTemplate {
  readonly source: string
  /** Top-level names the expressions read (`config`, `response`, `stream_partition`, …). */
  readonly names: ReadonlySet<string>
  /** True when the source holds no `{{ }}` at all. */
  readonly constant: boolean
  /** The value (one bare expression; datetimes as text) or the rendered text. */
  evaluate: (context: Context) => unknown
  /** Always text: Undefined renders as ''. */
  render: (context: Context) => string
  /** The AST of a template that is one bare expression (for translators that look at its shape). */
  readonly expression: Node | null
  /** Text and expressions in order. */
  readonly parts: readonly TemplatePart[]
}

/** The index after the `}}` closing an expression opened at `from`, skipping quoted strings. */
function closing (source: string, from: number): number {
  let quote: string | null = null
  for (let i = from; i < source.length; i++) {
    const c = source[i]
    if (quote !== null) {
      if (c === '\\') i++
      else if (c === quote) quote = null
      continue
    }
    if (c === "'" || c === '"') quote = c
    else if (c === '}' && source[i + 1] === '}') return i
  }
  throw new InterpolationError(`"{{" at offset ${from - 2} has no closing "}}"`)
}

function walk (node: Node, visit: (node: Node) => void): void {
  visit(node)
  switch (node.kind) {
    case 'list': node.items.forEach((n) => { walk(n, visit) }); break
    case 'dict': node.entries.forEach(([k, v]) => { walk(k, visit); walk(v, visit) }); break
    case 'attr': walk(node.object, visit); break
    case 'index': walk(node.object, visit); walk(node.index, visit); break
    case 'slice': walk(node.object, visit); if (node.start !== null) walk(node.start, visit); if (node.stop !== null) walk(node.stop, visit); break
    case 'call': walk(node.callee, visit); node.args.forEach((n) => { walk(n, visit) }); node.kwargs.forEach(([, n]) => { walk(n, visit) }); break
    case 'filter': walk(node.value, visit); node.args.forEach((n) => { walk(n, visit) }); node.kwargs.forEach(([, n]) => { walk(n, visit) }); break
    case 'test': walk(node.value, visit); node.args.forEach((n) => { walk(n, visit) }); break
    case 'unary': walk(node.operand, visit); break
    case 'binary': case 'and': case 'or': walk(node.left, visit); walk(node.right, visit); break
    case 'conditional': walk(node.test, visit); walk(node.then, visit); if (node.otherwise !== null) walk(node.otherwise, visit); break
    default: break
  }
}

function split (source: string): Part[] {
  const parts: Part[] = []
  let i = 0
  while (i < source.length) {
    const open = source.indexOf('{', i)
    const next = open < 0 ? -1 : ['{{', '{%', '{#'].includes(source.slice(open, open + 2)) ? open : -2
    if (next === -1) { parts.push({ kind: 'text', text: source.slice(i) }); break }
    if (next === -2) { parts.push({ kind: 'text', text: source.slice(i, open + 1) }); i = open + 1; continue }
    if (open > i) parts.push({ kind: 'text', text: source.slice(i, open) })
    const marker = source.slice(open, open + 2)
    if (marker !== '{{') throw new InterpolationError(`"${marker}" statements and comments are not supported (only {{ expressions }})`)
    const end = closing(source, open + 2)
    const inner = source.slice(open + 2, end).trim()
    if (inner === '') throw new InterpolationError(`empty expression at offset ${open}`)
    parts.push({ kind: 'expression', node: parseExpression(inner), source: inner })
    i = end + 2
  }
  return parts
}

/** What a template hands out is data: datetimes and durations as their text, functions as Undefined. */
function asData (value: unknown): unknown {
  if (value instanceof DateTime || value instanceof Duration) return text(value)
  return value instanceof Callable ? undefined : value
}

/** Compile a template; throws InterpolationError naming the problem. */
export function compileTemplate (source: string): CompiledTemplate {
  if (source.length > MAX_TEMPLATE_LENGTH) throw new InterpolationError(`template is longer than ${MAX_TEMPLATE_LENGTH} characters`)
  const parts = split(source)
  const names = new Set<string>()
  for (const part of parts) {
    if (part.kind !== 'expression') continue
    walk(part.node, (node) => {
      if (node.kind === 'name') names.add(node.name)
      if (node.kind === 'filter' && filterNamed(node.name) === undefined) throw new InterpolationError(`unknown filter "${node.name}" in "${part.source}"`)
      if (node.kind === 'test' && !TESTS.has(node.name)) throw new InterpolationError(`unknown test "${node.name}" in "${part.source}"`)
    })
  }
  const only = parts.length === 1 && parts[0]?.kind === 'expression' ? parts[0].node : null
  const render = (context: Context): string => {
    let out = ''
    for (const part of parts) out += part.kind === 'text' ? part.text : text(evaluate(part.node, context))
    return out
  }
  return {
    source,
    names,
    constant: parts.every((p) => p.kind === 'text'),
    expression: only,
    parts,
    evaluate: only === null ? render : (context) => asData(evaluate(only, context)),
    render: only === null ? render : (context) => text(evaluate(only, context))
  }
}

const cache = new Map<string, CompiledTemplate>()
const CACHE_LIMIT = 5_000

/** compileTemplate with a bounded cache by source text (declarations are compiled once, not per page). */
export function compiledTemplate (source: string): CompiledTemplate {
  let compiled = cache.get(source)
  if (compiled === undefined) {
    compiled = compileTemplate(source)
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string)
    cache.set(source, compiled)
  }
  return compiled
}
