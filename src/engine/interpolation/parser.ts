/**
 * Expression → AST, with Jinja's precedence (lowest first): `a if c else b`, `or`, `and`, `not`,
 * comparisons (`== != < <= > >= in`, `not in`, `is [not] test`), `~`, `+ -`, `* / // %`, `**`,
 * unary `-`, then postfix: `.name`, `[index]`, `(args)`, `| filter(args)`. Nesting is bounded.
 */
import { InterpolationError } from './errors.js'
import { tokenize, type Token } from './lexer.js'

/** Deepest nesting of an expression (parentheses, calls, subscripts…). */
export const MAX_DEPTH = 32

export type Node =
  | { kind: 'literal', value: unknown }
  | { kind: 'name', name: string }
  | { kind: 'list', items: Node[] }
  | { kind: 'dict', entries: Array<[Node, Node]> }
  | { kind: 'attr', object: Node, name: string }
  | { kind: 'index', object: Node, index: Node }
  | { kind: 'slice', object: Node, start: Node | null, stop: Node | null }
  | { kind: 'call', callee: Node, args: Node[], kwargs: Array<[string, Node]> }
  | { kind: 'filter', value: Node, name: string, args: Node[], kwargs: Array<[string, Node]> }
  | { kind: 'test', value: Node, name: string, negated: boolean, args: Node[] }
  | { kind: 'unary', op: 'not' | '-' | '+', operand: Node }
  | { kind: 'binary', op: string, left: Node, right: Node }
  | { kind: 'and' | 'or', left: Node, right: Node }
  | { kind: 'conditional', test: Node, then: Node, otherwise: Node | null }

const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>='])
const CONSTANTS: Record<string, unknown> = { true: true, True: true, false: false, False: false, none: null, None: null }

class Parser {
  private pos = 0
  private depth = 0
  constructor (private readonly tokens: Token[], private readonly source: string) {}

  private peek (offset = 0): Token { return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)] as Token }
  private next (): Token { const t = this.peek(); if (t.kind !== 'end') this.pos++; return t }
  private isOp (text: string): boolean { const t = this.peek(); return t.kind === 'op' && t.text === text }
  private isName (text: string): boolean { const t = this.peek(); return t.kind === 'name' && t.text === text }
  private fail (message: string): never {
    const t = this.peek()
    throw new InterpolationError(`${message} at ${t.kind === 'end' ? 'the end' : `${JSON.stringify(t.text)} (offset ${t.at})`} of "${this.source}"`)
  }

  private expect (text: string): void {
    if (!this.isOp(text)) this.fail(`expected "${text}"`)
    this.pos++
  }

  private nested<T> (parse: () => T): T {
    if (++this.depth > MAX_DEPTH) throw new InterpolationError(`expression nests deeper than ${MAX_DEPTH} levels`)
    try { return parse() } finally { this.depth-- }
  }

  parseAll (): Node {
    const node = this.expression()
    if (this.peek().kind !== 'end') this.fail('unexpected token')
    return node
  }

  expression (): Node {
    return this.nested(() => {
      const value = this.or()
      if (!this.isName('if')) return value
      this.pos++
      const test = this.or()
      let otherwise: Node | null = null
      if (this.isName('else')) { this.pos++; otherwise = this.expression() }
      return { kind: 'conditional', test, then: value, otherwise }
    })
  }

  private or (): Node {
    let left = this.and()
    while (this.isName('or')) { this.pos++; left = { kind: 'or', left, right: this.and() } }
    return left
  }

  private and (): Node {
    let left = this.not()
    while (this.isName('and')) { this.pos++; left = { kind: 'and', left, right: this.not() } }
    return left
  }

  private not (): Node {
    if (this.isName('not')) { this.pos++; return this.nested(() => ({ kind: 'unary', op: 'not', operand: this.not() })) }
    return this.compare()
  }

  private compare (): Node {
    let left = this.concat()
    for (;;) {
      const t = this.peek()
      if (t.kind === 'op' && COMPARISONS.has(t.text)) { this.pos++; left = { kind: 'binary', op: t.text, left, right: this.concat() }; continue }
      if (this.isName('in')) { this.pos++; left = { kind: 'binary', op: 'in', left, right: this.concat() }; continue }
      if (this.isName('not') && this.peek(1).kind === 'name' && this.peek(1).text === 'in') {
        this.pos += 2
        left = { kind: 'unary', op: 'not', operand: { kind: 'binary', op: 'in', left, right: this.concat() } }
        continue
      }
      if (this.isName('is')) {
        this.pos++
        let negated = false
        if (this.isName('not')) { this.pos++; negated = true }
        const name = this.next()
        if (name.kind !== 'name') this.fail('expected a test name')
        const args: Node[] = []
        if (this.isOp('(')) args.push(...this.callArgs().args)
        else if (['number', 'string'].includes(this.peek().kind)) args.push(this.concat())
        left = { kind: 'test', value: left, name: name.text, negated, args }
        continue
      }
      return left
    }
  }

  private concat (): Node {
    let left = this.additive()
    while (this.isOp('~')) { this.pos++; left = { kind: 'binary', op: '~', left, right: this.additive() } }
    return left
  }

  private additive (): Node {
    let left = this.multiplicative()
    while (this.isOp('+') || this.isOp('-')) { const op = this.next().text; left = { kind: 'binary', op, left, right: this.multiplicative() } }
    return left
  }

  private multiplicative (): Node {
    let left = this.power()
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const op = this.next().text
      left = { kind: 'binary', op, left, right: this.power() }
    }
    return left
  }

  private power (): Node {
    const left = this.unary()
    if (this.isOp('**')) { this.pos++; return { kind: 'binary', op: '**', left, right: this.nested(() => this.power()) } }
    return left
  }

  private unary (): Node {
    if (this.isOp('-') || this.isOp('+')) {
      const op = this.next().text as '-' | '+'
      return this.nested(() => ({ kind: 'unary', op, operand: this.unary() }))
    }
    return this.postfix(this.primary())
  }

  private callArgs (): { args: Node[], kwargs: Array<[string, Node]> } {
    return this.nested(() => {
      this.expect('(')
      const args: Node[] = []
      const kwargs: Array<[string, Node]> = []
      while (!this.isOp(')')) {
        const t = this.peek()
        if (t.kind === 'name' && this.peek(1).kind === 'op' && this.peek(1).text === '=') {
          this.pos += 2
          kwargs.push([t.text, this.expression()])
        } else {
          if (kwargs.length > 0) this.fail('positional argument after a keyword argument')
          args.push(this.expression())
        }
        if (!this.isOp(',')) break
        this.pos++
      }
      this.expect(')')
      return { args, kwargs }
    })
  }

  private postfix (node: Node): Node {
    let current = node
    for (;;) {
      if (this.isOp('.')) {
        this.pos++
        const name = this.next()
        if (name.kind !== 'name' && name.kind !== 'number') this.fail('expected an attribute name')
        current = name.kind === 'number'
          ? { kind: 'index', object: current, index: { kind: 'literal', value: Number(name.text) } }
          : { kind: 'attr', object: current, name: name.text }
      } else if (this.isOp('[')) {
        current = this.nested(() => this.subscript(current))
      } else if (this.isOp('(')) {
        const { args, kwargs } = this.callArgs()
        current = { kind: 'call', callee: current, args, kwargs }
      } else if (this.isOp('|')) {
        this.pos++
        const name = this.next()
        if (name.kind !== 'name') this.fail('expected a filter name')
        const { args, kwargs } = this.isOp('(') ? this.callArgs() : { args: [], kwargs: [] }
        current = { kind: 'filter', value: current, name: name.text, args, kwargs }
      } else {
        return current
      }
      if (++this.depth > MAX_DEPTH * 4) throw new InterpolationError(`expression chains more than ${MAX_DEPTH * 4} accessors`)
    }
  }

  private subscript (object: Node): Node {
    this.expect('[')
    let start: Node | null = null
    if (!this.isOp(':')) start = this.expression()
    if (this.isOp(':')) {
      this.pos++
      const stop = this.isOp(']') ? null : this.expression()
      this.expect(']')
      return { kind: 'slice', object, start, stop }
    }
    this.expect(']')
    return { kind: 'index', object, index: start as Node }
  }

  private primary (): Node {
    const t = this.next()
    switch (t.kind) {
      case 'number': return { kind: 'literal', value: Number(t.text) }
      case 'string': {
        // Adjacent string literals concatenate, as in Jinja.
        let text = t.text
        while (this.peek().kind === 'string') text += this.next().text
        return { kind: 'literal', value: text }
      }
      case 'name':
        if (Object.hasOwn(CONSTANTS, t.text)) return { kind: 'literal', value: CONSTANTS[t.text] }
        if (['and', 'or', 'not', 'in', 'is', 'if', 'else'].includes(t.text)) { this.pos--; this.fail('unexpected keyword') }
        return { kind: 'name', name: t.text }
      case 'op':
        if (t.text === '(') return this.nested(() => { const inner = this.expression(); this.expect(')'); return inner })
        if (t.text === '[') return this.nested(() => this.listLiteral())
        if (t.text === '{') return this.nested(() => this.dictLiteral())
        this.pos--
        return this.fail('unexpected operator')
      case 'end':
        return this.fail('unexpected end')
    }
  }

  private listLiteral (): Node {
    const items: Node[] = []
    while (!this.isOp(']')) {
      items.push(this.expression())
      if (!this.isOp(',')) break
      this.pos++
    }
    this.expect(']')
    return { kind: 'list', items }
  }

  private dictLiteral (): Node {
    const entries: Array<[Node, Node]> = []
    while (!this.isOp('}')) {
      const key = this.expression()
      this.expect(':')
      entries.push([key, this.expression()])
      if (!this.isOp(',')) break
      this.pos++
    }
    this.expect('}')
    return { kind: 'dict', entries }
  }
}

export function parseExpression (source: string): Node {
  return new Parser(tokenize(source), source).parseAll()
}
