/**
 * AST evaluation with Jinja's semantics for missing values: a missing name, key or index is Undefined
 * (falsy, renders as ''), and anything done to Undefined gives Undefined — never an exception. Names
 * resolve to the context's own properties, then to the macros; attributes to own data properties or
 * to the closed list of methods in builtins.ts. Nothing else is reachable.
 */
import { filterNamed, MACROS, MAX_STRING_LENGTH, methodOf } from './builtins.js'
import { InterpolationError } from './errors.js'
import type { Node } from './parser.js'
import { Callable, DateTime, Duration, equal, isPlainObject, order, ownValue, text, truthy } from './values.js'

export type Context = Readonly<Record<string, unknown>>

function attribute (object: unknown, name: string): unknown {
  const own = ownValue(object, name)
  return own !== undefined ? own : methodOf(object, name)
}

function index (object: unknown, key: unknown): unknown {
  if (typeof key === 'number') return ownValue(object, isPlainObject(object) ? String(key) : key)
  if (typeof key === 'string') return isPlainObject(object) ? ownValue(object, key) : undefined
  return undefined
}

function slice (object: unknown, start: unknown, stop: unknown): unknown {
  if (!Array.isArray(object) && typeof object !== 'string') return undefined
  const from = typeof start === 'number' ? start : undefined
  const to = typeof stop === 'number' ? stop : undefined
  return object.slice(from, to)
}

function contains (container: unknown, item: unknown): boolean {
  if (typeof container === 'string') return typeof item === 'string' && container.includes(item)
  if (Array.isArray(container)) return container.some((v) => equal(v, item))
  if (isPlainObject(container)) return typeof item === 'string' && Object.hasOwn(container, item)
  return false
}

function bounded (value: string): string | undefined {
  return value.length > MAX_STRING_LENGTH ? undefined : value
}

function arithmetic (op: string, a: unknown, b: unknown): unknown {
  if (op === '~') return bounded(text(a) + text(b))
  if (a === undefined || b === undefined) return undefined
  if (typeof a === 'number' && typeof b === 'number') {
    switch (op) {
      case '+': return a + b
      case '-': return a - b
      case '*': return a * b
      case '/': return b === 0 ? undefined : a / b
      case '//': return b === 0 ? undefined : Math.floor(a / b)
      case '%': return b === 0 ? undefined : ((a % b) + b) % b
      case '**': return a ** b
    }
  }
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return bounded(a + b)
  if (op === '+' && Array.isArray(a) && Array.isArray(b)) return [...a, ...b]
  if (a instanceof DateTime && b instanceof Duration) {
    if (op === '+') return new DateTime(a.ms + b.ms, a.dateOnly, a.micros)
    if (op === '-') return new DateTime(a.ms - b.ms, a.dateOnly, a.micros)
  }
  if (op === '-' && a instanceof DateTime && b instanceof DateTime) return new Duration(a.ms - b.ms)
  if (a instanceof Duration && b instanceof Duration) {
    if (op === '+') return new Duration(a.ms + b.ms)
    if (op === '-') return new Duration(a.ms - b.ms)
  }
  return undefined
}

function compare (op: string, a: unknown, b: unknown): boolean {
  if (op === '==') return equal(a, b)
  if (op === '!=') return !equal(a, b)
  const o = order(a, b)
  if (o === null) return false
  switch (op) {
    case '<': return o < 0
    case '<=': return o <= 0
    case '>': return o > 0
    default: return o >= 0
  }
}

function test (name: string, value: unknown, args: unknown[]): boolean {
  switch (name) {
    case 'defined': return value !== undefined
    case 'undefined': return value === undefined
    case 'none': return value === null
    case 'number': return typeof value === 'number'
    case 'string': return typeof value === 'string'
    case 'mapping': return isPlainObject(value)
    case 'sequence': case 'iterable': return Array.isArray(value) || typeof value === 'string' || isPlainObject(value)
    case 'true': return value === true
    case 'false': return value === false
    case 'even': return typeof value === 'number' && value % 2 === 0
    case 'odd': return typeof value === 'number' && Math.abs(value % 2) === 1
    case 'sameas': return value === args[0]
    case 'eq': case 'equalto': return equal(value, args[0])
    default: return false
  }
}

/** The tests `is` accepts, checked when the expression is compiled. */
export const TESTS = new Set(['defined', 'undefined', 'none', 'number', 'string', 'mapping', 'sequence', 'iterable', 'true', 'false', 'even', 'odd', 'sameas', 'eq', 'equalto'])

function kwargsOf (pairs: Array<[string, Node]>, context: Context): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>
  for (const [name, node] of pairs) out[name] = evaluate(node, context)
  return out
}

export function evaluate (node: Node, context: Context): unknown {
  switch (node.kind) {
    case 'literal': return node.value
    case 'name': {
      const own = ownValue(context, node.name)
      return own !== undefined ? own : MACROS.get(node.name)
    }
    case 'list': return node.items.map((item) => evaluate(item, context))
    case 'dict': {
      const out: Record<string, unknown> = {}
      for (const [k, v] of node.entries) {
        const key = evaluate(k, context)
        if (typeof key !== 'string' && typeof key !== 'number') continue
        Object.defineProperty(out, String(key), { value: evaluate(v, context), enumerable: true, writable: true, configurable: true })
      }
      return out
    }
    case 'attr': return attribute(evaluate(node.object, context), node.name)
    case 'index': return index(evaluate(node.object, context), evaluate(node.index, context))
    case 'slice': return slice(evaluate(node.object, context), node.start === null ? undefined : evaluate(node.start, context),
      node.stop === null ? undefined : evaluate(node.stop, context))
    case 'call': {
      const callee = evaluate(node.callee, context)
      if (!(callee instanceof Callable)) return undefined
      return callee.invoke(node.args.map((a) => evaluate(a, context)), kwargsOf(node.kwargs, context))
    }
    case 'filter': {
      const filter = filterNamed(node.name)
      if (filter === undefined) throw new InterpolationError(`unknown filter "${node.name}"`)
      return filter(evaluate(node.value, context), node.args.map((a) => evaluate(a, context)), kwargsOf(node.kwargs, context))
    }
    case 'test': {
      const result = test(node.name, evaluate(node.value, context), node.args.map((a) => evaluate(a, context)))
      return node.negated ? !result : result
    }
    case 'unary': {
      const value = evaluate(node.operand, context)
      if (node.op === 'not') return !truthy(value)
      if (typeof value !== 'number') return undefined
      return node.op === '-' ? -value : value
    }
    case 'binary': {
      const left = evaluate(node.left, context)
      const right = evaluate(node.right, context)
      if (node.op === 'in') return contains(right, left)
      if (node.op === '==' || node.op === '!=' || node.op === '<' || node.op === '<=' || node.op === '>' || node.op === '>=') return compare(node.op, left, right)
      return arithmetic(node.op, left, right)
    }
    case 'and': {
      const left = evaluate(node.left, context)
      return truthy(left) ? evaluate(node.right, context) : left
    }
    case 'or': {
      const left = evaluate(node.left, context)
      return truthy(left) ? left : evaluate(node.right, context)
    }
    case 'conditional':
      if (truthy(evaluate(node.test, context))) return evaluate(node.then, context)
      return node.otherwise === null ? undefined : evaluate(node.otherwise, context)
  }
}
