/**
 * Row flattening for wrapped records, declared per endpoint (`flatten`): JSON:API resources
 * (`{ type, id, attributes: {…}, relationships: { name: { data, links } }, links }`) become
 * `{ type, id, …attributes, relationships: { name: id | [ids] | null } }`.
 *
 * Each row is built once, with its final keys, by `Object.fromEntries` (no `delete`, no copy-then-edit).
 * Measured with `%HasFastProperties` (test/engine/fixtures/flatten-shape.ts): an object filled by
 * keyed stores (`out[key] = …`) turns into a slow dictionary-mode object after a dozen keys unless V8
 * happens to know the shape already; one built by `Object.fromEntries` keeps fast properties, and rows
 * of one table share their hidden class, so JSON.stringify of the NDJSON lines takes its fast path.
 */
import type { RowFlattenDecl } from './declarations.js'
import type { Row } from './types.js'

function isRecord (value: unknown): value is Row {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function idOf (value: unknown): unknown {
  return isRecord(value) ? value.id ?? null : null
}

/**
 * JSON:API relationships reduced to ids: a to-one `{ data: { type, id } }` becomes the id, a to-many
 * `{ data: [...] }` the list of ids, `{ data: null }` null. A relationship without `data` (links only,
 * as list endpoints send for large to-many relations) is left out: its ids are not in the response.
 * Anything but an object is kept as it is.
 */
export function relationshipIds (value: unknown): unknown {
  if (!isRecord(value)) return value ?? null
  const entries: Array<[string, unknown]> = []
  for (const name of Object.keys(value)) {
    const relation = value[name]
    if (!isRecord(relation) || !('data' in relation)) continue
    const data = relation.data
    entries.push([name, Array.isArray(data) ? data.map(idOf) : data === null ? null : idOf(data)])
  }
  return Object.fromEntries(entries)
}

export type RowFlattener = (row: Row) => Row

/**
 * A flattener for one declaration. Key order: the kept top-level fields, then the hoisted keys, then
 * the relationship fields. A top-level key wins a clash with a hoisted one; between two hoisted
 * objects the later one wins.
 */
export function createRowFlattener (decl: RowFlattenDecl): RowFlattener {
  const hoist = decl.hoist
  const relationships = decl.relationshipIds ?? []
  const skipped = new Set([...hoist, ...relationships, ...(decl.omit ?? [])])
  return (row) => {
    const entries: Array<[string, unknown]> = []
    for (const key of Object.keys(row)) if (!skipped.has(key)) entries.push([key, row[key]])
    const top = entries.length
    for (const field of hoist) {
      const inner = row[field]
      if (!isRecord(inner)) continue
      for (const key of Object.keys(inner)) {
        let clash = false
        for (let i = 0; i < top && !clash; i++) clash = (entries[i] as [string, unknown])[0] === key
        if (!clash) entries.push([key, inner[key]])
      }
    }
    for (const field of relationships) if (Object.hasOwn(row, field)) entries.push([field, relationshipIds(row[field])])
    return Object.fromEntries(entries)
  }
}
