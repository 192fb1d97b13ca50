/**
 * Property tests over random forms: for any form the declarations allow (inputs, converters, multiple
 * selects, selects with sub-fields, switch groups, two levels deep) and any valid config of it, the
 * parser, the flat form, the JSON Schema and the error paths agree, and a secret never leaks.
 */
import t from 'tap'
import fc from 'fast-check'
import { isDeepStrictEqual } from 'node:util'
import { Compile } from 'typebox/compile'
import { configJsonSchema, parseConfig } from '../../src/sources/config.js'
import type { FieldDecl, InputFieldDecl, SelectFieldDecl, SwitchGroupFieldDecl } from '../../src/sources/fields.js'
import { ValidationError } from '../../src/errors.js'
import { flatten } from './config-forms.js'

const CANARY = 'canary-s3cr3t-b41d'
// Names without underscores, so flat keys (`group_sub`) never collide with a declared name.
const NAMES = ['alpha', 'bravo', 'charlie', 'delta', 'echo']
const KINDS = ['text', 'password', 'textarea', 'number', 'email', 'url'] as const

const inputDecl = (name: string): fc.Arbitrary<InputFieldDecl> => fc.record({
  type: fc.constantFrom(...KINDS),
  required: fc.boolean(),
  secret: fc.boolean()
}).map(({ type, required, secret }) => ({ type, name, label: name, required, placeholder: '', ...(secret ? { secret } : {}) }))

function selectDecl (name: string, nested: (name: string) => fc.Arbitrary<FieldDecl[]>): fc.Arbitrary<SelectFieldDecl> {
  const plain = fc.record({
    count: fc.integer({ min: 1, max: 3 }),
    converter: fc.constantFrom(undefined, 'str_to_int' as const, 'str_to_bool' as const),
    multiple: fc.boolean(),
    required: fc.boolean(),
    withDefault: fc.boolean()
  }).map(({ count, converter, multiple, required, withDefault }) => {
    const values = converter === 'str_to_bool' ? ['true', 'false'] : Array.from({ length: count }, (_, i) => converter === 'str_to_int' ? String(i * 10) : `opt${i}`)
    const useConverter = multiple ? undefined : converter
    return {
      type: 'select' as const,
      name,
      label: name,
      required,
      defaultValue: withDefault ? values[0] ?? '' : '',
      options: values.map((value) => ({ label: value, value })),
      ...(useConverter === undefined ? {} : { converter: useConverter }),
      ...(multiple ? { multiple } : {})
    }
  })
  const withFields = fc.record({
    options: fc.array(fc.option(nested(`${name}sub`), { nil: undefined }), { minLength: 1, maxLength: 3 }),
    required: fc.boolean()
  }).map(({ options, required }) => ({
    type: 'select' as const,
    name,
    label: name,
    required,
    defaultValue: 'choice0',
    options: options.map((fields, i) => ({ label: `Choice ${i}`, value: `choice${i}`, ...(fields === undefined ? {} : { fields }) }))
  }))
  // The form schema nests two levels; depth is bounded by formOf(), which the static types cannot follow.
  return fc.oneof(plain, withFields) as unknown as fc.Arbitrary<SelectFieldDecl>
}

function groupDecl (name: string, nested: (name: string) => fc.Arbitrary<FieldDecl[]>): fc.Arbitrary<SwitchGroupFieldDecl> {
  return fc.record({ fields: nested(`${name}sub`), default: fc.boolean() })
    .map(({ fields, default: on }) => ({ type: 'switch-group' as const, name, label: name, default: on, fields })) as unknown as fc.Arbitrary<SwitchGroupFieldDecl>
}

/** Unique names at one level; depth 0 holds only inputs (fields.ts nests two levels). */
function formOf (depth: number): (prefix: string) => fc.Arbitrary<FieldDecl[]> {
  return () => fc.shuffledSubarray(NAMES, { minLength: 1, maxLength: 4 }).chain((names) => fc.tuple(...names.map((name): fc.Arbitrary<FieldDecl> =>
    depth === 0 ? inputDecl(name) : fc.oneof(inputDecl(name), selectDecl(name, formOf(depth - 1)), groupDecl(name, formOf(depth - 1)))
  )))
}
const formArb = formOf(2)('')

// ---------------------------------------------------------------------------------------------
// Valid configs of a form, in the canonical nested form.
// ---------------------------------------------------------------------------------------------

const word = fc.stringMatching(/^[a-z0-9]{1,8}$/)

function inputValue (field: InputFieldDecl): fc.Arbitrary<unknown> {
  switch (field.type) {
    case 'number': return fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 99999 }).map(String))
    case 'email': return word.map((w) => `${w}@example.com`)
    case 'url': return word.map((w) => `https://${w}.example/path`)
    default: return field.secret === true ? fc.constantFrom(CANARY, ` ${CANARY}\n`) : word
  }
}

type Entry = [string, unknown]

function configOf (fields: readonly FieldDecl[]): fc.Arbitrary<Record<string, unknown>> {
  const entries = fields.map((field): fc.Arbitrary<Entry | null> => {
    const present = (value: fc.Arbitrary<unknown>): fc.Arbitrary<Entry | null> => value.map((v) => [field.name, v])
    const maybe = (value: fc.Arbitrary<unknown>, optional: boolean): fc.Arbitrary<Entry | null> =>
      optional ? fc.oneof(present(value), fc.constant(null)) : present(value)
    switch (field.type) {
      case 'select': {
        const values = field.options.map((o) => o.value)
        const hasDefault = values.includes(field.defaultValue)
        if (field.multiple === true) return maybe(fc.uniqueArray(fc.constantFrom(...values), { minLength: 1 }), hasDefault || !field.required)
        if (!field.options.some((o) => o.fields !== undefined)) return maybe(fc.constantFrom(...values), hasDefault || !field.required)
        // Options with sub-fields: always choose one (the default's sub-fields may be required).
        return present(fc.constantFrom(...field.options).chain((option) => option.fields === undefined
          ? fc.constantFrom<unknown>(option.value, { selection: option.value })
          : configOf(option.fields).map((sub) => ({ selection: option.value, ...sub }))))
      }
      case 'switch-group':
        return maybe(fc.oneof(
          fc.constant({ enabled: false }),
          configOf(field.fields).map((sub) => ({ enabled: true, ...sub }))
        ), !field.default)
      case 'text': case 'email': case 'search': case 'url': case 'password': case 'time': case 'number': case 'textarea':
        return maybe(inputValue(field), !field.required)
      default:
        return fc.constant(null)
    }
  })
  return fc.tuple(...entries).map((pairs) => Object.fromEntries(pairs.filter((p): p is Entry => p !== null)))
}

const formAndConfig = formArb.chain((fields) => configOf(fields).map((raw) => ({ fields, raw })))

t.test('property: any valid config of any form parses, matches the JSON Schema, and reads the same flat', async (t) => {
  fc.assert(fc.property(formAndConfig, ({ fields, raw }) => {
    const parsed = parseConfig(fields, raw)
    const schema = Compile(configJsonSchema(fields) as never)
    return schema.Check(raw) &&
      schema.Check(parsed) &&
      isDeepStrictEqual(parseConfig(fields, flatten(fields, raw)), parsed) &&
      isDeepStrictEqual(parseConfig(fields, parsed), parsed)
  }), { numRuns: 300 })
  t.pass('300 forms')
})

/** Pointers (from the nested config root) of every input value present in a valid config. */
function inputPaths (fields: readonly FieldDecl[], raw: Record<string, unknown>, base = ''): string[] {
  const paths: string[] = []
  for (const field of fields) {
    const value = raw[field.name]
    if (value === undefined) continue
    const path = `${base}/${field.name}`
    if (field.type === 'switch-group' && (value as { enabled: boolean }).enabled) {
      paths.push(...inputPaths(field.fields, value as Record<string, unknown>, path))
    } else if (field.type === 'select' && typeof value === 'object' && !Array.isArray(value)) {
      const option = field.options.find((o) => o.value === (value as { selection: string }).selection)
      paths.push(...inputPaths(option?.fields ?? [], value as Record<string, unknown>, path))
    } else if (field.type !== 'select' && field.type !== 'switch-group') {
      paths.push(path)
    }
  }
  return paths
}

function setAt (raw: Record<string, unknown>, pointer: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(raw)
  const keys = pointer.split('/').slice(1)
  let target: Record<string, unknown> = copy
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>
  target[keys[keys.length - 1] as string] = value
  return copy
}

/** parseConfig refuses `raw` naming exactly `paths`, and no error mentions the canary. */
function reports (fields: readonly FieldDecl[], raw: Record<string, unknown>, paths: string[]): boolean {
  try {
    parseConfig(fields, raw)
    return false
  } catch (error) {
    if (!(error instanceof ValidationError)) return false
    return isDeepStrictEqual(error.errors.map((e) => e.path).sort(), [...paths].sort()) &&
      !JSON.stringify({ m: error.message, e: error.errors }).includes(CANARY)
  }
}

t.test('property: breaking any set of inputs reports exactly those paths, without their values', async (t) => {
  const broken = formAndConfig
    .filter(({ fields, raw }) => inputPaths(fields, raw).length > 0)
    .chain(({ fields, raw }) => fc.tuple(
      fc.constant(fields),
      fc.constant(raw),
      fc.subarray(inputPaths(fields, raw), { minLength: 1 }),
      fc.constantFrom<unknown>({ value: CANARY }, [{ value: CANARY }], true)
    ))
  fc.assert(fc.property(broken, ([fields, raw, paths, bad]) => {
    const mutated = paths.reduce((acc, path) => setAt(acc, path, bad), raw)
    // Nested input: nested paths. The same input flat: the flat keys (`/config/group_sub`).
    const nestedPaths = paths.map((p) => `/config${p}`)
    const flatPaths = paths.map((p) => `/config/${p.slice(1).replaceAll('/', '_')}`)
    return reports(fields, mutated, nestedPaths) && reports(fields, flatten(fields, mutated), flatPaths)
  }), { numRuns: 300 })
  t.pass('300 broken configs, nested and flat')
})
