/**
 * Reading Airbyte components: the `type` of a component (or the type Airbyte infers for a field that
 * leaves it out), `$parameters` flowing down to sub-components and filling fields a component leaves
 * unset, and the one problem message for a component outside the supported subset.
 */
import { escapePointer, originOf } from './references.js'
import { isObject, type ManifestProblems } from './expressions.js'

type Json = Record<string, unknown>

/** A component with its place in the file and the parameters in force there. */
export interface Component {
  value: Json
  pointer: string
  parameters: Json
}

export function component (value: unknown, pointer: string, parameters: Json): Component | undefined {
  if (!isObject(value)) return undefined
  const own = isObject(value.$parameters) ? value.$parameters : {}
  return { value, pointer: originOf(value, pointer), parameters: { ...parameters, ...own } }
}

/** A sub-component at `key` (inheriting parameters), or undefined when absent. */
export function child (parent: Component, key: string): Component | undefined {
  return component(parent.value[key], `${parent.pointer}/${escapePointer(key)}`, parent.parameters)
}

/** A field's value, falling back to a parameter of the same name (Airbyte's parameter propagation). */
/** The components of a list at `key` (each inheriting parameters). */
export function items (parent: Component, key: string): Component[] {
  const list = parent.value[key]
  if (!Array.isArray(list)) return []
  return list.flatMap((value, i) => component(value, `${parent.pointer}/${escapePointer(key)}/${i}`, parent.parameters) ?? [])
}

export function field (c: Component, key: string): unknown {
  return Object.hasOwn(c.value, key) ? c.value[key] : c.parameters[key]
}

export function pointerOf (c: Component, key: string): string {
  return `${c.pointer}/${escapePointer(key)}`
}

/**
 * The component's type, checked against the types accepted here. A missing `type` takes `inferred`
 * (Airbyte infers it from the field). `Custom*` components and types outside `accepted` are problems.
 */
export function typeOf (c: Component, accepted: readonly string[], problems: ManifestProblems, inferred?: string): string | undefined {
  const type = typeof c.value.type === 'string' ? c.value.type : inferred
  if (type === undefined) { problems.add(`${c.pointer}/type`, `is required (one of ${accepted.join(', ')})`); return undefined }
  if (accepted.includes(type)) return type
  if (type.startsWith('Custom')) problems.add(`${c.pointer}/type`, `unsupported "${type}" (custom components run Python code, which this service does not load)`)
  else problems.add(`${c.pointer}/type`, `unsupported "${type}"`)
  return undefined
}

/** Keys Airbyte gives a meaning this service cannot honour: each is a problem when present. */
export function refuseKeys (c: Component, keys: Record<string, string>, problems: ManifestProblems): void {
  for (const [key, why] of Object.entries(keys)) {
    if (c.value[key] !== undefined && c.value[key] !== null) problems.add(pointerOf(c, key), `unsupported: ${why}`)
  }
}

export function stringList (value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value
  return undefined
}
