/**
 * Runtime validation of a source config, derived from the same field declarations that give
 * `ConfigOf<>` its static type: one declaration, no twin type, no code generation.
 *
 * Accepted shapes (PostHog `job_inputs`):
 * - nested: a select whose options carry sub-fields is `{ selection, ...sub-fields }`; a switch group
 *   (and an ssh-tunnel field) is `{ enabled, ...sub-fields }`.
 * - flat prefixed: a switch group `g` may instead be given as `g_enabled` plus `g_<sub>` keys beside
 *   it; a select `s` may be given as its plain selection value under `s` with its sub-fields as
 *   `s_<sub>` keys beside it. The rule applies recursively, so an SSH tunnel group holding an auth
 *   select reads `ssh_tunnel_enabled`, `ssh_tunnel_host`, `ssh_tunnel_auth_type` (the selection) and
 *   `ssh_tunnel_auth_type_username`. When `g`/`s` holds an object, the nested form is used and flat
 *   keys for it are ignored; otherwise the flat keys are read.
 * - Error paths follow the form the client used: `/config/ssh_tunnel/host` for nested input,
 *   `/config/ssh_tunnel_host` when flat keys for that group were sent. When neither was sent, paths
 *   are nested (the canonical form, the one `configJsonSchema` describes).
 *
 * Values: strings are trimmed; an empty string or null counts as absent; `number` inputs accept numbers
 * and numeric strings; selects accept their option values (numbers and booleans are matched by their
 * string form), apply `defaultValue` when absent and apply converters; `multiple` selects take an array
 * (a single value is a one-item list); switch groups fall back to `default` and, when disabled, keep only
 * `{ enabled: false }`. Unknown keys are ignored. Every bad field is reported at once in one
 * ValidationError. Messages are built from names and declarations only, never from input values, so a
 * secret can never be echoed back.
 */
import type {
  ConfigOf, Converter, FieldDecl, FileUploadFieldDecl, InputFieldDecl, OauthFieldDecl, SelectFieldDecl,
  SwitchGroupFieldDecl
} from './fields.js'
import { ValidationError, type FieldError } from '../errors.js'
import { assertFieldDecls, sshTunnelGroup } from './config-declarations.js'

export { assertFieldDecls, sshTunnelGroup } from './config-declarations.js'
export { configJsonSchema, JSON_SCHEMA_DIALECT, type JsonSchema } from './config-schema.js'

/** Numeric string accepted by `number` inputs (after trimming). */
const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/
const EMAIL = /^[^\s@]+@[^\s@]+$/

// ---------------------------------------------------------------------------------------------
// Scopes: one level of the raw config, nested (an object) or flat (prefixed keys of the parent).
// ---------------------------------------------------------------------------------------------

interface Scope {
  get: (key: string) => unknown
  path: (key: string) => string
  hasKeyStartingWith: (prefix: string) => boolean
  /** Part of a flat (prefixed) config: nested groups in it are flat too. */
  flat: boolean
}

function escapePointer (key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1')
}

function isPlainObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function objectScope (object: Record<string, unknown>, base: string): Scope {
  return {
    get: (key) => Object.hasOwn(object, key) ? object[key] : undefined,
    path: (key) => `${base}/${escapePointer(key)}`,
    hasKeyStartingWith: (prefix) => Object.keys(object).some((key) => key.startsWith(prefix)),
    flat: false
  }
}

function prefixedScope (parent: Scope, name: string): Scope {
  const prefix = `${name}_`
  return {
    get: (key) => parent.get(prefix + key),
    path: (key) => parent.path(prefix + key),
    hasKeyStartingWith: (more) => parent.hasKeyStartingWith(prefix + more),
    flat: true
  }
}

/**
 * The flat `<name>_*` keys when the client uses the flat form here (the parent is flat, the select's
 * value was sent flat, or any `<name>_` key was sent); otherwise an empty nested scope, so that errors
 * carry canonical nested paths.
 */
function flatScope (parent: Scope, name: string, sentFlat = false): Scope {
  return sentFlat || parent.flat || parent.hasKeyStartingWith(`${name}_`)
    ? prefixedScope(parent, name)
    : objectScope({}, parent.path(name))
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/** Validate and normalise a raw config against a form. Throws ValidationError naming every bad field. */
export function parseConfig<const Fs extends readonly FieldDecl[]> (fields: Fs, raw: unknown, basePath = '/config'): ConfigOf<Fs> {
  assertFieldDecls(fields)
  if (!isPlainObject(raw)) throw new ValidationError([{ path: basePath, message: 'must be an object' }])
  const errors: FieldError[] = []
  const config = parseFields(fields, objectScope(raw, basePath), errors)
  if (errors.length > 0) throw new ValidationError(errors)
  return config as ConfigOf<Fs>
}

function parseFields (fields: readonly FieldDecl[], scope: Scope, errors: FieldError[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const field of fields) {
    const value = parseField(field, scope, errors)
    if (value !== undefined) out[field.name] = value
  }
  return out
}

function parseField (field: FieldDecl, scope: Scope, errors: FieldError[]): unknown {
  switch (field.type) {
    case 'select': return parseSelect(field, scope, errors)
    case 'switch-group': return parseSwitchGroup(field, scope, errors)
    case 'ssh-tunnel': return parseSwitchGroup(sshTunnelGroup(field.name, field.label), scope, errors)
    case 'oauth': return parseOauth(field, scope, errors)
    case 'file-upload': return parseFileUpload(field, scope, errors)
    default: return parseInput(field, scope, errors)
  }
}

function trimmed (value: unknown): unknown {
  return typeof value === 'string' ? value.trim() : value
}

function isAbsent (value: unknown): boolean {
  return value === undefined || value === null || value === ''
}

function parseInput (field: InputFieldDecl, scope: Scope, errors: FieldError[]): unknown {
  const path = scope.path(field.name)
  const value = trimmed(scope.get(field.name))
  if (isAbsent(value)) {
    if (field.required) errors.push({ path, message: 'is required' })
    return undefined
  }
  if (field.type === 'number') {
    if (typeof value === 'number' && Number.isFinite(value)) return value
    if (typeof value === 'string' && NUMERIC.test(value) && Number.isFinite(Number(value))) return Number(value)
    errors.push({ path, message: 'must be a number' })
    return undefined
  }
  // A textarea may also be sent as a list of lines (e.g. GitHub repositories): joined with new lines.
  if (field.type === 'textarea' && Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    const joined = value.map((v: string) => v.trim()).filter((v) => v !== '').join('\n')
    if (joined !== '') return joined
    if (field.required) errors.push({ path, message: 'is required' })
    return undefined
  }
  if (typeof value !== 'string') {
    errors.push({ path, message: 'must be a string' })
    return undefined
  }
  if (field.type === 'email' && !EMAIL.test(value)) {
    errors.push({ path, message: 'must be an email address' })
    return undefined
  }
  if (field.type === 'url' && !URL.canParse(value)) {
    errors.push({ path, message: 'must be an absolute URL' })
    return undefined
  }
  return value
}

function parseOauth (field: OauthFieldDecl, scope: Scope, errors: FieldError[]): unknown {
  const path = scope.path(field.name)
  const value = trimmed(scope.get(field.name))
  if (isAbsent(value)) {
    if (field.required) errors.push({ path, message: 'is required' })
    return undefined
  }
  if (typeof value === 'string') return value
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value)
  errors.push({ path, message: 'must be an integration id (string or integer)' })
  return undefined
}

function parseFileUpload (field: FileUploadFieldDecl, scope: Scope, errors: FieldError[]): unknown {
  const path = scope.path(field.name)
  let value = trimmed(scope.get(field.name))
  if (isAbsent(value)) {
    if (field.required) errors.push({ path, message: 'is required' })
    return undefined
  }
  if (typeof value === 'string') {
    // The parser's own message would quote the file; it may hold a private key.
    try { value = JSON.parse(value) } catch { value = undefined }
  }
  if (!isPlainObject(value)) {
    errors.push({ path, message: 'must be a JSON object (the uploaded file)' })
    return undefined
  }
  const file = value
  if (field.fileFormat.keys !== '*') {
    const missing = field.fileFormat.keys.filter((key) => isAbsent(Object.hasOwn(file, key) ? file[key] : undefined))
    for (const key of missing) errors.push({ path: `${path}/${escapePointer(key)}`, message: 'is required in the uploaded file' })
    if (missing.length > 0) return undefined
  }
  return file
}

type Selection = { kind: 'absent' } | { kind: 'value', value: string } | { kind: 'invalid' }

function readSelection (raw: unknown, field: SelectFieldDecl): Selection {
  const value = trimmed(raw)
  if (value === undefined || value === null) return { kind: 'absent' }
  if (typeof value === 'number' && Number.isFinite(value)) return { kind: 'value', value: String(value) }
  if (typeof value === 'boolean') return { kind: 'value', value: String(value) }
  if (typeof value !== 'string') return { kind: 'invalid' }
  if (value === '' && !field.options.some((o) => o.value === '')) return { kind: 'absent' }
  return { kind: 'value', value }
}

function findOption (field: SelectFieldDecl, value: string) {
  return field.options.find((o) => o.value === value) ??
    (field.converter === 'str_to_bool' ? field.options.find((o) => o.value.toLowerCase() === value.toLowerCase()) : undefined)
}

function optionList (field: SelectFieldDecl): string {
  return `must be one of: ${field.options.map((o) => JSON.stringify(o.value)).join(', ')}`
}

function convert (value: string, converter: Converter | undefined): unknown {
  switch (converter) {
    case undefined: return value
    case 'str_to_int': return Number.parseInt(value, 10)
    case 'str_to_optional_int': return value === '' ? null : Number.parseInt(value, 10)
    case 'str_to_bool': return value.toLowerCase() === 'true'
  }
}

function parseSelect (field: SelectFieldDecl, scope: Scope, errors: FieldError[]): unknown {
  const raw = scope.get(field.name)
  let selectionRaw: unknown
  let selectionPath: string
  let sub: Scope
  if (isPlainObject(raw)) {
    sub = objectScope(raw, scope.path(field.name))
    selectionRaw = sub.get('selection')
    selectionPath = sub.path('selection')
  } else {
    sub = flatScope(scope, field.name, raw !== undefined && raw !== null)
    selectionRaw = raw
    selectionPath = scope.path(field.name)
  }
  if (field.multiple === true) return parseMultiple(field, selectionRaw, selectionPath, errors)

  let selection = readSelection(selectionRaw, field)
  if (selection.kind === 'invalid') {
    errors.push({ path: selectionPath, message: optionList(field) })
    return undefined
  }
  if (selection.kind === 'absent' && findOption(field, field.defaultValue) !== undefined) {
    selection = { kind: 'value', value: field.defaultValue }
  }
  if (selection.kind === 'absent') {
    if (field.required) errors.push({ path: selectionPath, message: 'is required' })
    return undefined
  }
  const option = findOption(field, selection.value)
  if (option === undefined) {
    errors.push({ path: selectionPath, message: optionList(field) })
    return undefined
  }
  if (option.fields === undefined) return convert(option.value, field.converter)
  return { selection: option.value, ...parseFields(option.fields, sub, errors) }
}

function parseMultiple (field: SelectFieldDecl, raw: unknown, path: string, errors: FieldError[]): unknown {
  const absent = raw === undefined || raw === null
  const defaults = findOption(field, field.defaultValue) !== undefined ? [field.defaultValue] : []
  const items: unknown[] = absent ? defaults : Array.isArray(raw) ? raw : [raw]
  const values: string[] = []
  let bad = false
  items.forEach((item, index) => {
    const selection = readSelection(item, field)
    if (selection.kind === 'absent') return
    const option = selection.kind === 'value' ? findOption(field, selection.value) : undefined
    if (option === undefined) {
      bad = true
      errors.push({ path: Array.isArray(raw) ? `${path}/${index}` : path, message: optionList(field) })
    } else if (!values.includes(option.value)) {
      values.push(option.value)
    }
  })
  if (bad) return undefined
  if (values.length === 0 && field.required) {
    errors.push({ path, message: 'must include at least one option' })
    return undefined
  }
  return values.length === 0 && absent ? undefined : values
}

function readEnabled (value: unknown): boolean | undefined | 'invalid' {
  const v = trimmed(value)
  if (v === undefined || v === null || v === '') return undefined
  if (typeof v === 'boolean') return v
  if (typeof v === 'string') {
    const lower = v.toLowerCase()
    if (lower === 'true') return true
    if (lower === 'false') return false
  }
  return 'invalid'
}

function parseSwitchGroup (field: SwitchGroupFieldDecl, scope: Scope, errors: FieldError[]): unknown {
  const raw = scope.get(field.name)
  let sub: Scope
  if (isPlainObject(raw)) {
    sub = objectScope(raw, scope.path(field.name))
  } else if (raw === undefined || raw === null) {
    sub = flatScope(scope, field.name)
  } else {
    errors.push({ path: scope.path(field.name), message: 'must be an object ({ enabled, ...fields })' })
    return undefined
  }
  const enabled = readEnabled(sub.get('enabled'))
  if (enabled === 'invalid') {
    errors.push({ path: sub.path('enabled'), message: 'must be true or false' })
    return undefined
  }
  if (!(enabled ?? field.default)) return { enabled: false }
  return { enabled: true, ...parseFields(field.fields, sub, errors) }
}
