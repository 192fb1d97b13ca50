/**
 * An Airbyte `spec.connection_specification` (JSON Schema) → the PostHog form, plus what it takes to
 * turn a parsed config back into the config the manifest's expressions read:
 *   - `airbyte_secret` → a password input marked secret; `enum` → a select; integer/number → a number
 *     input; boolean → a true/false select; an array of strings → a textarea (one item a line or comma);
 *     a `oneOf` of objects → a select whose options carry their own sub-fields, the option value being
 *     the branch's constant discriminator;
 *   - `order` and `required` are kept, `title`/`description` become label/caption, the first example
 *     (or the default) the placeholder.
 * The config a user sends uses the spec's property names. A oneOf value is `{ selection, …sub-fields }`
 * as in every form (its discriminator key is accepted in place of `selection`); the manifest sees it
 * under the discriminator's own name.
 */
import type { FieldDecl, InputFieldDecl, SelectFieldDecl } from '../sources/fields.js'

type Json = Record<string, unknown>

/** How one property's parsed value becomes the manifest's config value. */
export type ValueShape =
  | { kind: 'plain' }
  | { kind: 'list' }
  | { kind: 'one_of', discriminator: string, options: Record<string, Record<string, ValueShape>> }

export interface SpecForm {
  fields: FieldDecl[]
  shape: Record<string, ValueShape>
  /** Spec defaults by property (filled in when the user sends nothing). */
  defaults: Record<string, unknown>
}

function isObject (value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function escape (key: string): string { return key.replaceAll('~', '~0').replaceAll('/', '~1') }

function label (name: string, schema: Json): string {
  return typeof schema.title === 'string' && schema.title !== '' ? schema.title : name.replaceAll('_', ' ').replace(/^./, (c) => c.toUpperCase())
}

function caption (schema: Json): { caption?: string } {
  return typeof schema.description === 'string' && schema.description !== '' ? { caption: schema.description } : {}
}

function placeholder (schema: Json): string {
  const example = Array.isArray(schema.examples) ? schema.examples[0] : undefined
  const value = example ?? schema.default
  return value === undefined || value === null || typeof value === 'object' ? '' : String(value)
}

function typeOf (schema: Json): string | undefined {
  if (typeof schema.type === 'string') return schema.type
  if (Array.isArray(schema.type)) return schema.type.find((t): t is string => typeof t === 'string' && t !== 'null')
  return undefined
}

function ordered (properties: Json): Array<[string, Json]> {
  return Object.entries(properties)
    .filter((entry): entry is [string, Json] => isObject(entry[1]))
    .map((entry, index) => ({ entry, index, order: typeof entry[1].order === 'number' ? entry[1].order : Number.POSITIVE_INFINITY }))
    .sort((a, b) => a.order - b.order || a.index - b.index)
    .map(({ entry }) => entry)
}

/** The property every branch fixes with `const` (or a one-value `enum`): the oneOf's discriminator. */
function discriminatorOf (branches: Json[]): string | undefined {
  const first = branches[0]
  if (first === undefined || !isObject(first.properties)) return undefined
  return Object.keys(first.properties).find((key) => branches.every((branch) => constantOf(branch, key) !== undefined))
}

function constantOf (branch: Json, key: string): string | undefined {
  const property = isObject(branch.properties) ? branch.properties[key] : undefined
  if (!isObject(property)) return undefined
  const value = property.const ?? (Array.isArray(property.enum) && property.enum.length === 1 ? property.enum[0] : undefined) ?? property.default
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined
}

interface Built { field: FieldDecl, shape: ValueShape }

class SpecReader {
  readonly problems: string[] = []

  properties (schema: Json, pointer: string, depth: number): { fields: FieldDecl[], shape: Record<string, ValueShape>, defaults: Record<string, unknown> } {
    const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : [])
    const fields: FieldDecl[] = []
    const shape: Record<string, ValueShape> = {}
    const defaults: Record<string, unknown> = {}
    const properties = isObject(schema.properties) ? schema.properties : {}
    for (const [name, property] of ordered(properties)) {
      const built = this.property(name, property, required.has(name), `${pointer}/properties/${escape(name)}`, depth)
      if (built === undefined) continue
      fields.push(built.field)
      shape[name] = built.shape
      if (property.default !== undefined && built.shape.kind !== 'one_of') defaults[name] = property.default
    }
    return { fields, shape, defaults }
  }

  private property (name: string, schema: Json, required: boolean, pointer: string, depth: number): Built | undefined {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) { this.problems.push(`${pointer}: property name "${name}" is not usable as a form field name`); return undefined }
    const common = { name, label: label(name, schema), ...caption(schema) }
    if (Array.isArray(schema.oneOf) || Array.isArray(schema.anyOf)) return this.oneOf(name, schema, required, pointer, depth)
    if (Array.isArray(schema.enum) && schema.enum.length > 0) {
      const values = schema.enum.filter((v) => v !== null).map(String)
      const fallback = schema.default === undefined || schema.default === null ? values[0] as string : String(schema.default)
      const field: SelectFieldDecl = {
        type: 'select', ...common, required, defaultValue: fallback, options: values.map((value) => ({ label: value, value })),
        ...(typeOf(schema) === 'integer' ? { converter: 'str_to_int' as const } : {})
      }
      return { field, shape: { kind: 'plain' } }
    }
    const type = typeOf(schema)
    switch (type) {
      case 'string': {
        const secret = schema.airbyte_secret === true
        const kind: InputFieldDecl['type'] = secret ? 'password' : schema.multiline === true ? 'textarea' : schema.format === 'email' ? 'email' : schema.format === 'uri' ? 'url' : 'text'
        return { field: { type: kind, ...common, required, placeholder: placeholder(schema), ...(secret ? { secret: true } : {}) }, shape: { kind: 'plain' } }
      }
      case 'integer':
      case 'number':
        return { field: { type: 'number', ...common, required, placeholder: placeholder(schema), ...(schema.airbyte_secret === true ? { secret: true } : {}) }, shape: { kind: 'plain' } }
      case 'boolean': {
        const fallback = schema.default === true ? 'true' : 'false'
        return {
          field: { type: 'select', ...common, required: false, defaultValue: fallback, converter: 'str_to_bool', options: [{ label: 'Yes', value: 'true' }, { label: 'No', value: 'false' }] },
          shape: { kind: 'plain' }
        }
      }
      case 'array': {
        const items = isObject(schema.items) ? typeOf(schema.items) : 'string'
        if (items !== 'string' && items !== 'integer' && items !== 'number') {
          this.problems.push(`${pointer}: arrays of ${String(items)} are not supported in forms (only arrays of strings or numbers)`)
          return undefined
        }
        return {
          field: { type: 'textarea', ...common, required, placeholder: placeholder(schema), caption: [common.caption, 'One value a line (or separated by commas).'].filter(Boolean).join(' ') },
          shape: { kind: 'list' }
        }
      }
      case 'object':
        this.problems.push(`${pointer}: a nested object without oneOf is not supported in forms`)
        return undefined
      default:
        this.problems.push(`${pointer}/type: unsupported ${JSON.stringify(schema.type ?? null)}`)
        return undefined
    }
  }

  private oneOf (name: string, schema: Json, required: boolean, pointer: string, depth: number): Built | undefined {
    const key = Array.isArray(schema.oneOf) ? 'oneOf' : 'anyOf'
    const branches = (schema[key] as unknown[]).filter(isObject)
    if (depth >= 1) { this.problems.push(`${pointer}/${key}: a oneOf inside a oneOf option is not supported in forms`); return undefined }
    const discriminator = discriminatorOf(branches)
    if (discriminator === undefined) {
      this.problems.push(`${pointer}/${key}: every option needs a property with a "const" value that tells the options apart`)
      return undefined
    }
    const options: Array<{ label: string, value: string, fields?: FieldDecl[] }> = []
    const shapes: Record<string, Record<string, ValueShape>> = {}
    branches.forEach((branch, i) => {
      const value = constantOf(branch, discriminator) as string
      const rest = { ...branch, properties: Object.fromEntries(Object.entries(branch.properties as Json).filter(([k]) => k !== discriminator)) }
      const inner = this.properties(rest, `${pointer}/${key}/${i}`, depth + 1)
      options.push({ label: typeof branch.title === 'string' ? branch.title : value, value, ...(inner.fields.length > 0 ? { fields: inner.fields } : {}) })
      shapes[value] = inner.shape
    })
    const wanted = isObject(schema.default) ? constantOf({ properties: { [discriminator]: { const: schema.default[discriminator] } } }, discriminator) : undefined
    // Options hold leaf fields only (a oneOf inside an option was refused above), as nested selects require.
    const field = {
      type: 'select', name, label: label(name, schema), ...caption(schema), required, defaultValue: wanted ?? options[0]?.value ?? '', options
    } as unknown as SelectFieldDecl
    return { field, shape: { kind: 'one_of', discriminator, options: shapes } }
  }
}

/** The form of a connection specification; problems are JSON pointers under `pointer`. */
export function specForm (spec: unknown, pointer: string): { form: SpecForm, problems: string[] } {
  const reader = new SpecReader()
  if (!isObject(spec)) return { form: { fields: [], shape: {}, defaults: {} }, problems: [`${pointer}: must be a JSON Schema object`] }
  const { fields, shape, defaults } = reader.properties(spec, pointer, 0)
  return { form: { fields, shape, defaults }, problems: reader.problems }
}

function listOf (value: unknown): unknown[] {
  if (Array.isArray(value)) return value
  if (typeof value !== 'string') return value === undefined || value === null ? [] : [value]
  return value.split(/[\n,]+/).map((v) => v.trim()).filter((v) => v !== '')
}

function adapt (config: Json, shape: Record<string, ValueShape>): Json {
  const out: Json = {}
  for (const [key, value] of Object.entries(config)) {
    const kind = Object.hasOwn(shape, key) ? shape[key] : undefined
    if (kind?.kind === 'list') out[key] = listOf(value)
    else if (kind?.kind === 'one_of' && isObject(value)) {
      const { selection, ...rest } = value
      const options = Object.hasOwn(kind.options, String(selection)) ? kind.options[String(selection)] : undefined
      out[key] = { ...adapt(rest, options ?? {}), [kind.discriminator]: selection }
    } else out[key] = value
  }
  return out
}

/** The config the manifest's expressions read (`config['credentials']['auth_type']`), from a parsed form config. */
export function manifestConfig (config: Json, form: SpecForm): Json {
  return adapt({ ...form.defaults, ...config }, form.shape)
}

/** A raw config in the spec's own shape (a oneOf value keyed by its discriminator) → the form's shape. */
export function formShapedConfig (raw: unknown, form: SpecForm): unknown {
  if (!isObject(raw)) return raw
  const out: Json = { ...raw }
  for (const [key, kind] of Object.entries(form.shape)) {
    const value = out[key]
    if (kind.kind !== 'one_of' || !isObject(value) || Object.hasOwn(value, 'selection') || !Object.hasOwn(value, kind.discriminator)) continue
    const { [kind.discriminator]: selection, ...rest } = value
    out[key] = { selection, ...rest }
  }
  return out
}
