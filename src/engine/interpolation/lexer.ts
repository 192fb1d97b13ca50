/**
 * Tokens of the `{{ … }}` expression subset (Jinja's expression grammar, as Airbyte manifests use it).
 * No statements (`{% … %}`), no comments: a template holding them is refused by the template splitter.
 */
import { InterpolationError } from './errors.js'

export type TokenKind = 'number' | 'string' | 'name' | 'op' | 'end'

export interface Token {
  kind: TokenKind
  /** The operator or name text; the decoded value of a string; the digits of a number. */
  text: string
  /** Offset in the expression (for messages). */
  at: number
}

/** Longest first: `//` before `/`, `**` before `*`, `==` before `=`. */
const OPERATORS = ['**', '//', '==', '!=', '<=', '>=', '(', ')', '[', ']', '{', '}', '.', ',', ':', '|', '~', '+', '-', '*', '/', '%', '<', '>', '=']

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' }

function isDigit (c: string | undefined): boolean { return c !== undefined && c >= '0' && c <= '9' }
function isNameStart (c: string | undefined): boolean { return c !== undefined && /[A-Za-z_]/.test(c) }
function isNamePart (c: string | undefined): boolean { return c !== undefined && /[A-Za-z0-9_]/.test(c) }

export function tokenize (source: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < source.length) {
    const c = source[i] as string
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue }
    const at = i
    if (isDigit(c)) {
      let j = i
      while (isDigit(source[j]) || source[j] === '_') j++
      if (source[j] === '.' && isDigit(source[j + 1])) { j++; while (isDigit(source[j])) j++ }
      if ((source[j] === 'e' || source[j] === 'E') && (isDigit(source[j + 1]) || ((source[j + 1] === '-' || source[j + 1] === '+') && isDigit(source[j + 2])))) {
        j += 2
        while (isDigit(source[j])) j++
      }
      tokens.push({ kind: 'number', text: source.slice(i, j).replaceAll('_', ''), at })
      i = j
      continue
    }
    if (c === "'" || c === '"') {
      let j = i + 1
      let text = ''
      for (;;) {
        const d = source[j]
        if (d === undefined) throw new InterpolationError(`unterminated string at ${at}`)
        if (d === c) break
        if (d === '\\') {
          const e = source[j + 1]
          if (e === undefined) throw new InterpolationError(`unterminated string at ${at}`)
          text += ESCAPES[e] ?? `\\${e}`
          j += 2
          continue
        }
        text += d
        j++
      }
      tokens.push({ kind: 'string', text, at })
      i = j + 1
      continue
    }
    if (isNameStart(c)) {
      let j = i + 1
      while (isNamePart(source[j])) j++
      tokens.push({ kind: 'name', text: source.slice(i, j), at })
      i = j
      continue
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i))
    if (op === undefined) throw new InterpolationError(`unexpected character ${JSON.stringify(c)} at ${at}`)
    tokens.push({ kind: 'op', text: op, at })
    i += op.length
  }
  tokens.push({ kind: 'end', text: '', at: source.length })
  return tokens
}
