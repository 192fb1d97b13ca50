import t from 'tap'
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { Compile } from 'typebox/compile'
import { configJsonSchema, JSON_SCHEMA_DIALECT, parseConfig, assertFieldDecls } from '../../src/sources/config.js'
import { SourceConfigSchema, type FieldDecl } from '../../src/sources/fields.js'
import { ValidationError, type FieldError } from '../../src/errors.js'
import { databaseFields, flatten, typeformFields, typeformSourceConfig } from './config-forms.js'

const CANARY = 'canary-s3cr3t-7f1c9a'

function errorsOf (fields: readonly FieldDecl[], raw: unknown): FieldError[] {
  try {
    parseConfig(fields, raw)
  } catch (error) {
    if (error instanceof ValidationError) return error.errors
    throw error
  }
  throw new Error('expected a ValidationError')
}

/** The smallest valid database config in nested form. */
const minimalDatabase = { host: 'db.example.com', port: 5432, password: 'pw', auth_method: 'none' }
const minimalDatabaseParsed = {
  host: 'db.example.com',
  port: 5432,
  password: 'pw',
  lookback_days: 30,
  verify_tls: true,
  max_rows: null,
  regions: ['us'],
  auth_method: 'none',
  proxy: { enabled: false },
  ssh_tunnel: { enabled: false }
}

t.test('the Typeform form of the issue', async (t) => {
  t.ok(Compile(SourceConfigSchema).Check(typeformSourceConfig), 'validates against SourceConfigSchema')

  const cases: Array<{ name: string, raw: unknown, expected: unknown }> = [
    { name: 'token only: default base URL applied', raw: { auth_token: 'tfp_abc' }, expected: { auth_token: 'tfp_abc', api_base_url: 'https://api.typeform.com' } },
    { name: 'token trimmed', raw: { auth_token: '  tfp_abc\n' }, expected: { auth_token: 'tfp_abc', api_base_url: 'https://api.typeform.com' } },
    { name: 'EU base URL', raw: { auth_token: 'tfp_abc', api_base_url: 'https://api.eu.typeform.com' }, expected: { auth_token: 'tfp_abc', api_base_url: 'https://api.eu.typeform.com' } },
    { name: 'empty base URL means default', raw: { auth_token: 'tfp_abc', api_base_url: '' }, expected: { auth_token: 'tfp_abc', api_base_url: 'https://api.typeform.com' } },
    { name: 'unknown keys ignored', raw: { auth_token: 'tfp_abc', extra: { deep: 1 } }, expected: { auth_token: 'tfp_abc', api_base_url: 'https://api.typeform.com' } }
  ]
  for (const c of cases) t.strictSame(parseConfig(typeformFields, c.raw), c.expected, c.name)

  const failures: Array<{ name: string, raw: unknown, errors: FieldError[] }> = [
    { name: 'missing token', raw: {}, errors: [{ path: '/config/auth_token', message: 'is required' }] },
    { name: 'blank token', raw: { auth_token: '   ' }, errors: [{ path: '/config/auth_token', message: 'is required' }] },
    { name: 'token of the wrong type', raw: { auth_token: 42 }, errors: [{ path: '/config/auth_token', message: 'must be a string' }] },
    {
      name: 'unknown base URL and missing token together',
      raw: { api_base_url: 'https://evil.example' },
      errors: [
        { path: '/config/auth_token', message: 'is required' },
        { path: '/config/api_base_url', message: 'must be one of: "https://api.typeform.com", "https://api.eu.typeform.com"' }
      ]
    },
    { name: 'config not an object', raw: ['tfp_abc'], errors: [{ path: '/config', message: 'must be an object' }] },
    { name: 'config null', raw: null, errors: [{ path: '/config', message: 'must be an object' }] }
  ]
  for (const c of failures) t.strictSame(errorsOf(typeformFields, c.raw), c.errors, c.name)

  t.test('basePath prefixes every path', async (t) => {
    const error = t.throws(() => parseConfig(typeformFields, {}, '/body/config')) as ValidationError
    t.strictSame(error.errors, [{ path: '/body/config/auth_token', message: 'is required' }])
  })
})

t.test('nested form: selects with sub-fields, switch groups, ssh tunnel', async (t) => {
  t.strictSame(parseConfig(databaseFields, minimalDatabase), minimalDatabaseParsed, 'defaults fill every optional group and select')

  const full = {
    ...minimalDatabase,
    port: '6543',
    schema: ' analytics ',
    contact: 'ops@example.com',
    endpoint_url: 'https://db.example.com/x',
    lookback_days: '7',
    verify_tls: 'false',
    max_rows: '1000',
    regions: ['eu', 'apac', 'eu'],
    auth_method: { selection: 'api_key', api_key: 'k-123' },
    proxy: { enabled: true, host: 'bastion', port: 2222, auth: { selection: 'keypair', username: 'u', private_key: '-----KEY-----', passphrase: '' } },
    ssh_tunnel: { enabled: 'true', host: 'jump', port: '22', auth_type: { selection: 'password', username: 'j', password: 'p' } },
    integration_id: 1234,
    key_file: JSON.stringify({ project_id: 'p', private_key: 'k', other: 1 })
  }
  t.strictSame(parseConfig(databaseFields, full), {
    host: 'db.example.com',
    port: 6543,
    schema: 'analytics',
    contact: 'ops@example.com',
    endpoint_url: 'https://db.example.com/x',
    password: 'pw',
    lookback_days: 7,
    verify_tls: false,
    max_rows: 1000,
    regions: ['eu', 'apac'],
    auth_method: { selection: 'api_key', api_key: 'k-123' },
    proxy: { enabled: true, host: 'bastion', port: 2222, auth: { selection: 'keypair', username: 'u', private_key: '-----KEY-----' } },
    ssh_tunnel: { enabled: true, host: 'jump', port: 22, auth_type: { selection: 'password', username: 'j', password: 'p' } },
    integration_id: '1234',
    key_file: { project_id: 'p', private_key: 'k', other: 1 }
  })

  t.strictSame(
    parseConfig(databaseFields, { ...minimalDatabase, proxy: { enabled: false, host: 42 } }),
    minimalDatabaseParsed,
    'an option without sub-fields is a plain value; a disabled group ignores its fields'
  )
  t.strictSame(
    parseConfig(databaseFields, { ...minimalDatabase, auth_method: { selection: 'none' } }).auth_method,
    'none',
    '{selection} is accepted for an option without sub-fields too'
  )
})

t.test('flat prefixed form gives the same config as the nested form', async (t) => {
  const nested = {
    ...minimalDatabase,
    auth_method: { selection: 'api_key', api_key: 'k-123' },
    proxy: { enabled: true, host: 'bastion', port: 22, auth: { selection: 'password', username: 'u', password: 'p' } },
    ssh_tunnel: { enabled: true, host: 'jump', port: 22, auth_type: { selection: 'keypair', username: 'j', private_key: 'KEY' } }
  }
  const flat = {
    ...minimalDatabase,
    auth_method: 'api_key',
    auth_method_api_key: 'k-123',
    proxy_enabled: 'True',
    proxy_host: 'bastion',
    proxy_port: '22',
    proxy_auth: 'password',
    proxy_auth_username: 'u',
    proxy_auth_password: 'p',
    ssh_tunnel_enabled: true,
    ssh_tunnel_host: 'jump',
    ssh_tunnel_port: 22,
    ssh_tunnel_auth_type: 'keypair',
    ssh_tunnel_auth_type_username: 'j',
    ssh_tunnel_auth_type_private_key: 'KEY'
  }
  t.strictSame(parseConfig(databaseFields, flat), parseConfig(databaseFields, nested))

  t.strictSame(
    parseConfig(databaseFields, { ...flat, proxy: { enabled: false } }).proxy,
    { enabled: false },
    'an object under the group name wins over flat keys'
  )
  t.strictSame(
    parseConfig(databaseFields, { ...minimalDatabase, proxy_enabled: false, proxy_host: 'x' }).proxy,
    { enabled: false },
    'flat disabled group'
  )
  t.strictSame(
    parseConfig(databaseFields, { ...minimalDatabase, ssh_tunnel: { enabled: true, host: 'h', port: 22, auth_type: 'password', auth_type_username: 'u', auth_type_password: 'p' } }).ssh_tunnel,
    { enabled: true, host: 'h', port: 22, auth_type: { selection: 'password', username: 'u', password: 'p' } },
    'a flat select inside a nested group'
  )
})

t.test('error paths follow the form the client used', async (t) => {
  const cases: Array<{ name: string, raw: Record<string, unknown>, errors: FieldError[] }> = [
    {
      name: 'nested group: missing fields',
      raw: { ...minimalDatabase, ssh_tunnel: { enabled: true, auth_type: { selection: 'keypair' } } },
      errors: [
        { path: '/config/ssh_tunnel/host', message: 'is required' },
        { path: '/config/ssh_tunnel/port', message: 'is required' },
        { path: '/config/ssh_tunnel/auth_type/username', message: 'is required' },
        { path: '/config/ssh_tunnel/auth_type/private_key', message: 'is required' }
      ]
    },
    {
      name: 'flat group: flat paths',
      raw: { ...minimalDatabase, ssh_tunnel_enabled: 'true', ssh_tunnel_port: 'x', ssh_tunnel_auth_type: 'keypair' },
      errors: [
        { path: '/config/ssh_tunnel_host', message: 'is required' },
        { path: '/config/ssh_tunnel_port', message: 'must be a number' },
        { path: '/config/ssh_tunnel_auth_type_username', message: 'is required' },
        { path: '/config/ssh_tunnel_auth_type_private_key', message: 'is required' }
      ]
    },
    {
      name: 'group enabled by nothing but its flat switch is bad',
      raw: { ...minimalDatabase, proxy_enabled: 'yes' },
      errors: [{ path: '/config/proxy_enabled', message: 'must be true or false' }]
    },
    {
      name: 'nested select with an unknown option',
      raw: { ...minimalDatabase, proxy: { enabled: true, host: 'h', port: 1, auth: { selection: 'kerberos' } } },
      errors: [{ path: '/config/proxy/auth/selection', message: 'must be one of: "password", "keypair"' }]
    },
    {
      name: 'group of the wrong type',
      raw: { ...minimalDatabase, proxy: 'on' },
      errors: [{ path: '/config/proxy', message: 'must be an object ({ enabled, ...fields })' }]
    },
    {
      name: 'select sub-field missing (flat selection)',
      raw: { ...minimalDatabase, auth_method: 'api_key' },
      errors: [{ path: '/config/auth_method_api_key', message: 'is required' }]
    },
    {
      name: 'select sub-field missing (selection by default)',
      raw: { ...minimalDatabase, auth_method: { } },
      errors: [{ path: '/config/auth_method/api_key', message: 'is required' }]
    }
  ]
  for (const c of cases) {
    t.strictSame(errorsOf(databaseFields, c.raw), c.errors, c.name)
  }
})

t.test('converters, numbers, multiple selects, files', async (t) => {
  const base = { ...minimalDatabase, auth_method: 'none' }
  const ok: Array<[string, Record<string, unknown>, string, unknown]> = [
    ['str_to_int from string', { lookback_days: '7' }, 'lookback_days', 7],
    ['str_to_int from number', { lookback_days: 7 }, 'lookback_days', 7],
    ['str_to_int default', {}, 'lookback_days', 30],
    ['str_to_bool "false"', { verify_tls: 'false' }, 'verify_tls', false],
    ['str_to_bool from boolean', { verify_tls: false }, 'verify_tls', false],
    ['str_to_bool case-insensitive', { verify_tls: 'TRUE' }, 'verify_tls', true],
    ['str_to_optional_int empty', { max_rows: '' }, 'max_rows', null],
    ['str_to_optional_int value', { max_rows: '1000' }, 'max_rows', 1000],
    ['number: numeric string', { port: ' 5433 ' }, 'port', 5433],
    ['number: decimal', { port: '1e3' }, 'port', 1000],
    ['multiple: single value', { regions: 'eu' }, 'regions', ['eu']],
    ['multiple: default', { regions: null }, 'regions', ['us']],
    ['file: object', { key_file: { project_id: 'p', private_key: 'k' } }, 'key_file', { project_id: 'p', private_key: 'k' }],
    ['oauth: string id', { integration_id: ' 77 ' }, 'integration_id', '77']
  ]
  for (const [name, patch, key, expected] of ok) {
    t.strictSame((parseConfig(databaseFields, { ...base, ...patch }) as Record<string, unknown>)[key], expected, name)
  }
  const bad: Array<[string, Record<string, unknown>, FieldError[]]> = [
    ['str_to_int unknown option', { lookback_days: 8 }, [{ path: '/config/lookback_days', message: 'must be one of: "7", "30"' }]],
    ['number: not numeric', { port: '54a' }, [{ path: '/config/port', message: 'must be a number' }]],
    ['number: infinite', { port: '1e999' }, [{ path: '/config/port', message: 'must be a number' }]],
    ['number: boolean', { port: true }, [{ path: '/config/port', message: 'must be a number' }]],
    ['multiple: empty list', { regions: [] }, [{ path: '/config/regions', message: 'must include at least one option' }]],
    ['multiple: unknown item', { regions: ['us', 'mars', 3] }, [
      { path: '/config/regions/1', message: 'must be one of: "us", "eu", "apac"' },
      { path: '/config/regions/2', message: 'must be one of: "us", "eu", "apac"' }
    ]],
    ['select: unknown nested selection', { verify_tls: { selection: 'maybe' } }, [{ path: '/config/verify_tls/selection', message: 'must be one of: "true", "false"' }]],
    ['select: wrong type', { verify_tls: [true] }, [{ path: '/config/verify_tls', message: 'must be one of: "true", "false"' }]],
    ['select: nested object without selection means the default', { verify_tls: {}, lookback_days: {} }, []],
    ['email', { contact: 'nobody' }, [{ path: '/config/contact', message: 'must be an email address' }]],
    ['url', { endpoint_url: 'db.example.com' }, [{ path: '/config/endpoint_url', message: 'must be an absolute URL' }]],
    ['file: not JSON', { key_file: '{"private_key": ' }, [{ path: '/config/key_file', message: 'must be a JSON object (the uploaded file)' }]],
    ['file: missing keys', { key_file: { project_id: 'p' } }, [{ path: '/config/key_file/private_key', message: 'is required in the uploaded file' }]],
    ['oauth: wrong type', { integration_id: [1] }, [{ path: '/config/integration_id', message: 'must be an integration id (string or integer)' }]]
  ]
  for (const [name, patch, errors] of bad) {
    if (errors.length === 0) t.doesNotThrow(() => parseConfig(databaseFields, { ...base, ...patch }), name)
    else t.strictSame(errorsOf(databaseFields, { ...base, ...patch }), errors, name)
  }
})

t.test('a textarea takes a string or a list of lines', async (t) => {
  const fields = [{ type: 'textarea', name: 'repositories', label: 'Repositories', required: true, placeholder: '' }] as const
  const check = Compile(configJsonSchema(fields) as never)
  const cases: Array<[unknown, string | null]> = [
    ['a/b\nc/d', 'a/b\nc/d'],
    [[' a/b ', '', 'c/d'], 'a/b\nc/d'],
    [['  '], null],
    [[], null],
    [['a/b', 3], null]
  ]
  for (const [value, expected] of cases) {
    if (expected === null) {
      t.ok(errorsOf(fields, { repositories: value }).every((e) => e.path === '/config/repositories'), JSON.stringify(value))
    } else {
      t.equal(parseConfig(fields, { repositories: value }).repositories, expected, JSON.stringify(value))
      t.ok(check.Check({ repositories: value }), `schema accepts ${JSON.stringify(value)}`)
    }
  }
})

t.test('every bad field is reported at once', async (t) => {
  const errors = errorsOf(databaseFields, {
    port: 'x',
    password: { nested: true },
    lookback_days: '1',
    regions: ['nope'],
    auth_method: { selection: 'api_key' },
    proxy: { enabled: true, port: 22, auth: { selection: 'password', username: 'u' } },
    ssh_tunnel_enabled: 'true',
    ssh_tunnel_host: 'h',
    ssh_tunnel_port: 22,
    ssh_tunnel_auth_type: 'keypair',
    ssh_tunnel_auth_type_username: 'u'
  })
  t.strictSame(errors.map((e) => e.path), [
    '/config/host',
    '/config/port',
    '/config/password',
    '/config/lookback_days',
    '/config/regions/0',
    '/config/auth_method/api_key',
    '/config/proxy/host',
    '/config/proxy/auth/password',
    '/config/ssh_tunnel_auth_type_private_key'
  ])
})

t.test('secret values never appear in errors', async (t) => {
  const attempts: unknown[] = [
    { password: CANARY, port: 'x' },
    { password: [CANARY] },
    { password: { value: CANARY } },
    { host: CANARY, port: CANARY, lookback_days: CANARY, regions: [CANARY], auth_method: { selection: CANARY } },
    { key_file: `{"private_key": "${CANARY}"` },
    { key_file: { private_key: CANARY } },
    { proxy: { enabled: CANARY } },
    { ssh_tunnel: { enabled: true, auth_type: { selection: 'keypair', private_key: 7, passphrase: { x: CANARY } } }, integration_id: { t: CANARY } },
    { proxy: CANARY },
    CANARY
  ]
  for (const raw of attempts) {
    const error = t.throws(() => parseConfig(databaseFields, raw)) as ValidationError
    t.ok(error instanceof ValidationError)
    t.notMatch(JSON.stringify({ message: error.message, errors: error.errors, stack: error.stack }), CANARY)
  }
})

t.test('declarations the parser cannot give a meaning to are refused', async (t) => {
  const cases: Array<[string, readonly FieldDecl[]]> = [
    ['duplicate names', [{ type: 'text', name: 'a', label: 'A', required: true, placeholder: '' }, { type: 'text', name: 'a', label: 'A', required: true, placeholder: '' }]],
    ['converter with multiple', [{ type: 'select', name: 's', label: 'S', required: true, defaultValue: '1', multiple: true, converter: 'str_to_int', options: [{ label: '1', value: '1' }] }]],
    ['non-integer str_to_int option', [{ type: 'select', name: 's', label: 'S', required: true, defaultValue: '1', converter: 'str_to_int', options: [{ label: 'x', value: 'x' }] }]],
    ['converter with sub-fields', [{ type: 'select', name: 's', label: 'S', required: true, defaultValue: '1', converter: 'str_to_int', options: [{ label: '1', value: '1', fields: [] }] }]]
  ]
  for (const [name, fields] of cases) t.throws(() => assertFieldDecls(fields), /Invalid field declarations/, name)
  t.doesNotThrow(() => assertFieldDecls(databaseFields))
})

t.test('configJsonSchema', async (t) => {
  const schema = configJsonSchema(databaseFields)
  t.equal(schema.$schema, JSON_SCHEMA_DIALECT)
  const text = JSON.stringify(schema)
  t.equal((text.match(/"writeOnly":true/g) ?? []).length, 9, 'password, api_key, 3 proxy and 3 ssh-tunnel secrets, the key file, nothing else')
  t.equal((schema.properties as Record<string, Record<string, unknown>>).key_file?.writeOnly, true)
  const props = schema.properties as Record<string, Record<string, unknown>>
  t.equal(props.password?.writeOnly, true)
  t.equal(props.host?.writeOnly, undefined)
  t.strictSame(schema.required, ['host', 'port', 'password'], 'only fields the parser rejects when absent')

  const typeform = Compile(configJsonSchema(typeformFields) as never)
  t.ok(typeform.Check({ auth_token: 'tfp_abc' }))
  t.ok(typeform.Check({ auth_token: 'tfp_abc', api_base_url: 'https://api.eu.typeform.com' }))
  t.notOk(typeform.Check({}), 'token required')
  t.notOk(typeform.Check({ auth_token: 'tfp_abc', api_base_url: 'https://evil.example' }), 'unknown option')

  const database = Compile(schema as never)
  t.ok(database.Check(minimalDatabase))
  t.notOk(database.Check({ ...minimalDatabase, ssh_tunnel: { enabled: true } }), 'enabled group requires its fields')
  t.ok(database.Check({ ...minimalDatabase, ssh_tunnel: { enabled: false } }))
  t.notOk(database.Check({ ...minimalDatabase, auth_method: { selection: 'api_key' } }), 'selected option requires its fields')
})

// ---------------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------------

const text = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() !== '')
const secretText = fc.oneof(text, fc.constant(CANARY))

/** Valid configs of `databaseFields` in nested form. */
const nestedDatabaseConfig = fc.record({
  host: text,
  port: fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 }).map(String)),
  schema: fc.option(text, { nil: undefined }),
  password: secretText,
  lookback_days: fc.option(fc.constantFrom('7', '30', 7, 30), { nil: undefined }),
  verify_tls: fc.option(fc.constantFrom('true', 'false', true, false), { nil: undefined }),
  max_rows: fc.option(fc.constantFrom('', '1000'), { nil: undefined }),
  regions: fc.option(fc.uniqueArray(fc.constantFrom('us', 'eu', 'apac'), { minLength: 1 }), { nil: undefined }),
  auth_method: fc.oneof(
    fc.constant('none'),
    secretText.map((key) => ({ selection: 'api_key', api_key: key }))
  ),
  proxy: fc.oneof(
    fc.constant({ enabled: false }),
    fc.record({
      enabled: fc.constant(true),
      host: text,
      port: fc.integer({ min: 1, max: 65535 }),
      auth: fc.oneof(
        fc.record({ selection: fc.constant('password'), username: text, password: secretText }),
        fc.record({ selection: fc.constant('keypair'), username: text, private_key: secretText })
      )
    })
  ),
  ssh_tunnel: fc.option(fc.oneof(
    fc.constant({ enabled: false }),
    fc.record({
      enabled: fc.constant(true),
      host: text,
      port: fc.integer({ min: 1, max: 65535 }),
      auth_type: fc.record({ selection: fc.constant('password'), username: text, password: secretText })
    })
  ), { nil: undefined })
}, { requiredKeys: ['host', 'port', 'password', 'auth_method', 'proxy'] })

t.test('property: valid nested configs parse, match the JSON Schema, and their flat form parses the same', async (t) => {
  const check = Compile(configJsonSchema(databaseFields) as never)
  fc.assert(fc.property(nestedDatabaseConfig, (raw) => {
    const parsed = parseConfig(databaseFields, raw)
    if (!check.Check(raw)) return false
    if (!check.Check(parsed)) return false
    const sameWhenFlat = isDeepStrictEqual(parseConfig(databaseFields, flatten(databaseFields, raw)), parsed)
    const idempotent = isDeepStrictEqual(parseConfig(databaseFields, parsed), parsed)
    return sameWhenFlat && idempotent
  }), { numRuns: 200 })
  t.pass('200 generated configs')
})

/** Any JSON, with canaries planted at known keys (nested and flat) and anywhere else. */
const knownKeys = ['host', 'port', 'password', 'auth_method', 'auth_method_api_key', 'regions', 'lookback_days', 'proxy', 'proxy_enabled', 'proxy_auth', 'proxy_auth_password', 'ssh_tunnel', 'ssh_tunnel_enabled', 'ssh_tunnel_auth_type', 'ssh_tunnel_auth_type_private_key', 'key_file', 'integration_id']
const canaryJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(CANARY),
    fc.constant(`  ${CANARY}  `),
    fc.constant(true),
    fc.jsonValue({ maxDepth: 1 }),
    fc.constantFrom('true', 'password', 'keypair', 'api_key', '7'),
    fc.array(tie('value'), { maxLength: 3 }),
    tie('object')
  ),
  object: fc.dictionary(fc.oneof(fc.constantFrom(...knownKeys, 'enabled', 'selection', 'api_key', 'private_key', 'project_id'), fc.string()), tie('value'), { maxKeys: 6 })
})).value

t.test('property: any JSON input gives a config or a ValidationError, never a leaked secret', async (t) => {
  for (const fields of [databaseFields, typeformFields] as const) {
    fc.assert(fc.property(fc.oneof(canaryJson, fc.jsonValue()), (raw) => {
      try {
        parseConfig(fields, raw)
        return true
      } catch (error) {
        if (!(error instanceof ValidationError)) return false
        if (error.errors.length === 0) return false
        return !JSON.stringify({ m: error.message, e: error.errors }).includes(CANARY)
      }
    }), { numRuns: 500 })
  }
  t.pass('500 random inputs per form')
})
