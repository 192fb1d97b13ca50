/**
 * The JSON Schema (draft 2020-12) of a source's config in its canonical nested form, for the catalog
 * route's `configSchema`. Derived from the same field declarations as the parser (config.ts).
 */
import type { FieldDecl, InputFieldDecl, SelectFieldDecl, SwitchGroupFieldDecl } from './fields.js'
import { assertFieldDecls, sshTunnelGroup } from './config-declarations.js'

export type JsonSchema = Record<string, unknown>

export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema'

/**
 * A JSON Schema (draft 2020-12) of the nested config form. Secret fields are `writeOnly`. Fields the
 * parser fills in (select defaults, switch groups) are not listed as required. The parser also accepts
 * the flat prefixed form and loose scalars (numeric strings, "true"/"false"), which this schema does
 * not spell out beyond `number` inputs.
 */
export function configJsonSchema (fields: readonly FieldDecl[]): JsonSchema {
  assertFieldDecls(fields)
  return { $schema: JSON_SCHEMA_DIALECT, ...objectSchema(fields) }
}

function objectSchema (fields: readonly FieldDecl[], extra: Record<string, JsonSchema> = {}, extraRequired: string[] = []): JsonSchema {
  const properties: Record<string, JsonSchema> = { ...extra }
  const required = [...extraRequired]
  for (const field of fields) {
    const { schema, isRequired } = fieldSchema(field)
    properties[field.name] = schema
    if (isRequired) required.push(field.name)
  }
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}) }
}

function annotate (field: { label: string, caption?: string }, schema: JsonSchema): JsonSchema {
  return { title: field.label, ...(field.caption !== undefined ? { description: field.caption } : {}), ...schema }
}

function fieldSchema (field: FieldDecl): { schema: JsonSchema, isRequired: boolean } {
  switch (field.type) {
    case 'select': return selectSchema(field)
    case 'switch-group': return { schema: switchGroupSchema(field), isRequired: false }
    case 'ssh-tunnel': return { schema: switchGroupSchema(sshTunnelGroup(field.name, field.label)), isRequired: false }
    case 'oauth': {
      const values: JsonSchema[] = [field.required ? { type: 'string', pattern: '\\S' } : { type: 'string' }, { type: 'integer' }]
      if (!field.required) values.push({ type: 'null' })
      return { schema: annotate(field, { anyOf: values }), isRequired: field.required }
    }
    case 'file-upload': {
      const keys = field.fileFormat.keys
      const file: JsonSchema = { type: 'object', ...(keys !== '*' && keys.length > 0 ? { required: [...keys] } : {}) }
      // Uploaded files are credentials in practice (service-account keys): never echoed.
      return {
        schema: annotate(field, { ...(field.required ? file : { anyOf: [file, { type: 'null' }] }), writeOnly: true }),
        isRequired: field.required
      }
    }
    default: return { schema: inputSchema(field), isRequired: field.required }
  }
}

function inputSchema (field: InputFieldDecl): JsonSchema {
  const secret = field.secret === true ? { writeOnly: true } : {}
  if (field.type === 'number') {
    const numeric = `^\\s*[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?\\s*$`
    const values: JsonSchema[] = [{ type: 'number' }, { type: 'string', pattern: numeric }]
    if (!field.required) values.push({ type: 'null' }, { type: 'string', pattern: '^\\s*$' })
    return annotate(field, { anyOf: values, ...secret })
  }
  const format = field.type === 'email' ? { format: 'email' } : field.type === 'url' ? { format: 'uri' } : {}
  const text: JsonSchema = field.required ? { type: 'string', pattern: '\\S', ...format } : { type: ['string', 'null'] }
  if (field.type !== 'textarea') return annotate(field, { ...text, ...secret })
  // A textarea also takes a list of lines.
  const lines: JsonSchema = { type: 'array', items: { type: 'string' }, ...(field.required ? { contains: { type: 'string', pattern: '\\S' } } : {}) }
  return annotate(field, { anyOf: [text, lines], ...secret })
}

function selectSchema (field: SelectFieldDecl): { schema: JsonSchema, isRequired: boolean } {
  const hasDefault = field.options.some((o) => o.value === field.defaultValue)
  const defaults = hasDefault ? { default: field.multiple === true ? [field.defaultValue] : field.defaultValue } : {}
  const values: unknown[] = field.options.map((o) => o.value)
  if (field.converter === 'str_to_int' || field.converter === 'str_to_optional_int') {
    values.push(...field.options.filter((o) => o.value !== '').map((o) => Number.parseInt(o.value, 10)))
  }
  if (field.converter === 'str_to_bool') values.push(...field.options.map((o) => o.value.toLowerCase() === 'true'))
  const isRequired = field.required && !hasDefault
  const nullable = isRequired ? [] : [null]

  if (field.multiple === true) {
    const list: JsonSchema = { type: 'array', items: { enum: [...new Set(values)] }, ...(isRequired ? { minItems: 1 } : {}) }
    return { schema: annotate(field, { ...(isRequired ? list : { anyOf: [list, { type: 'null' }] }), ...defaults }), isRequired }
  }
  if (!field.options.some((o) => o.fields !== undefined)) {
    return { schema: annotate(field, { enum: [...new Set([...values, ...nullable])], ...defaults }), isRequired }
  }
  const choices: JsonSchema[] = field.options.map((option) => {
    const object = objectSchema(option.fields ?? [], { selection: { const: option.value } }, ['selection'])
    return option.fields === undefined ? { anyOf: [{ const: option.value }, object] } : { title: option.label, ...object }
  })
  if (!isRequired) choices.push({ type: 'null' })
  return { schema: annotate(field, { oneOf: choices, ...defaults }), isRequired }
}

function switchGroupSchema (field: SwitchGroupFieldDecl): JsonSchema {
  const inner = objectSchema(field.fields)
  const required = (inner.required as string[] | undefined) ?? []
  const properties = { enabled: { type: 'boolean', default: field.default }, ...(inner.properties as Record<string, JsonSchema>) }
  const conditional = required.length === 0
    ? {}
    : field.default
      ? { if: { required: ['enabled'], properties: { enabled: { const: false } } }, else: { required } }
      : { if: { required: ['enabled'], properties: { enabled: { const: true } } }, then: { required } }
  return annotate(field, { anyOf: [{ type: 'object', properties, ...conditional }, { type: 'null' }] })
}
