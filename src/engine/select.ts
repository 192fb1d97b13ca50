/** Reading values out of JSON bodies and rows by dotted path, and selecting the rows of a page. */
import { UpstreamResponseError } from '../errors.js'
import { redactUrl } from './redact.js'
import type { Row } from './types.js'

/** Whether a path names the value itself: none, '' or '$'. */
export function isSelfPath (path: string | undefined): path is undefined | '' | '$' {
  return path === undefined || path === '' || path === '$'
}

/** Value at a dotted path (`links.next`, `items.0.id`); '' or '$' is the value itself. */
export function getPath (value: unknown, path: string | undefined): unknown {
  if (isSelfPath(path)) return value
  let current: unknown = value
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}

/**
 * A selector with `*` segments (Airbyte DpathExtractor): every element of a list (or value of an
 * object) at that point, flattened one level; undefined when nothing matches at all.
 */
function wildcard (body: unknown, segments: readonly string[]): unknown {
  let current: unknown[] = [body]
  for (const segment of segments) {
    const next: unknown[] = []
    for (const value of current) {
      if (value === null || typeof value !== 'object') continue
      if (segment === '*') next.push(...(Array.isArray(value) ? value : Object.values(value)))
      else if (Object.hasOwn(value, segment)) next.push((value as Record<string, unknown>)[segment])
    }
    current = next
  }
  if (current.length === 0) return undefined
  return current.flatMap((v) => (Array.isArray(v) ? v : [v]))
}

function isRecord (value: unknown): value is Row {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/**
 * Rows of a page. Without a selector the body is the list (or one object → one row). A required
 * selector missing from the body fails loudly: a changed response shape must not read as "no rows".
 */
export function selectRows (body: unknown, selector: string | undefined, required: boolean, url: string): Row[] {
  const selected = selector !== undefined && selector.split('.').includes('*') ? wildcard(body, selector.split('.')) : getPath(body, selector)
  // The URL is redacted only for an error: most pages have none.
  if (selected === undefined && !isSelfPath(selector)) {
    if (required) {
      const where = redactUrl(url)
      throw new UpstreamResponseError(`Response from ${where} has no "${selector}" field.`, where)
    }
    return []
  }
  if (selected === null || selected === undefined) return []
  if (Array.isArray(selected)) return selected.map((item) => (isRecord(item) ? item : { value: item }))
  if (isRecord(selected)) return [selected]
  const where = redactUrl(url)
  throw new UpstreamResponseError(`Response from ${where} has a ${typeof selected} where rows were expected${selector === undefined ? '' : ` at "${selector}"`}.`, where)
}
