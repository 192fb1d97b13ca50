/**
 * The generated-client path other teams use: openapi-typescript turns openapi/openapi.json into types
 * in a temp dir, a small driver written against those types is type-checked with tsc (including
 * calls that must NOT compile), then drives the app listening on 127.0.0.1 through openapi-fetch.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import openapiTS, { astToString } from 'openapi-typescript'
import t from 'tap'
import { buildTestApp, GOOD_TOKEN } from '../routes/fixtures.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const TOKEN = 'client-test-token-0123456789'

const DRIVER = `
import createClient from 'openapi-fetch'
import type { components, paths } from './schema.js'

type SourceConfig = components['schemas']['SourceConfig']
type Problem = components['schemas']['Problem']

export async function drive (baseUrl: string, goodKey: string) {
  const client = createClient<paths>({ baseUrl, headers: { authorization: 'Bearer ${TOKEN}' } })

  const list = await client.GET('/v1/sources', { params: { query: { include_unreleased: true } } })
  const names: string[] = (list.data?.sources ?? []).map((s: SourceConfig) => s.name)

  const detail = await client.GET('/v1/sources/{source_type}', { params: { path: { source_type: 'acme' } } })
  const secretFields: string[] = (detail.data?.fields ?? []).flatMap((f) => 'secret' in f && f.secret === true ? [f.name] : [])
  const configSchemaType: unknown = detail.data?.configSchema.type

  const good = await client.POST('/v1/sources/{source_type}/validate', {
    params: { path: { source_type: 'acme' } },
    body: { config: { api_key: goodKey } }
  })
  const rejected = await client.POST('/v1/sources/{source_type}/validate', {
    params: { path: { source_type: 'acme' } },
    body: { config: { api_key: 'not-a-known-key' } }
  })
  const rejection = rejected.data !== undefined && rejected.data.valid === false ? rejected.data.message : null

  const invalid = await client.POST('/v1/sources/{source_type}/validate', {
    params: { path: { source_type: 'acme' } },
    body: { config: { api_key: 42 } }
  })
  const problem: Problem | undefined = invalid.error
  const badPaths: string[] = (invalid.error?.errors ?? []).map((e) => e.path)

  const schemas = await client.POST('/v1/sources/{source_type}/schemas', {
    params: { path: { source_type: 'acme' } },
    body: { config: { api_key: goodKey } }
  })
  const tables = (schemas.data?.schemas ?? []).map((s) => ({ name: s.name, keys: s.primary_keys, incremental: s.supports_incremental }))
  const staticTables = await client.GET('/v1/sources/{source_type}/schemas', { params: { path: { source_type: 'acme' } } })

  const missing = await client.GET('/v1/sources/{source_type}', { params: { path: { source_type: 'nope' } } })
  const health = await client.GET('/health')

  const anonymous = createClient<paths>({ baseUrl })
  const refused = await anonymous.GET('/v1/sources', { params: { query: {} } })

  return {
    names,
    secretFields,
    configSchemaType,
    valid: good.data?.valid,
    rejection,
    problem: problem === undefined ? null : { status: problem.status, code: problem.code },
    invalidStatus: invalid.response.status,
    badPaths,
    tables,
    staticTables: staticTables.data?.schemas.length,
    missing: { status: missing.response.status, code: missing.error?.code },
    health: health.data?.status,
    refused: { status: refused.response.status, code: refused.error?.code }
  }
}

// The generated types have teeth: these must not compile.
export function mistakes (client: ReturnType<typeof createClient<paths>>) {
  // @ts-expect-error no such route
  void client.GET('/v1/nope')
  // @ts-expect-error config is required
  void client.POST('/v1/sources/{source_type}/validate', { params: { path: { source_type: 'acme' } }, body: {} })
  // @ts-expect-error the path parameter is required
  void client.GET('/v1/sources/{source_type}', { params: { path: {} } })
}
`

t.test('a client generated from openapi/openapi.json type-checks and drives the running app', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ws-client-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')

  const doc = JSON.parse(await readFile(join(ROOT, 'openapi', 'openapi.json'), 'utf8'))
  await writeFile(join(dir, 'schema.d.ts'), astToString(await openapiTS(doc)))
  await writeFile(join(dir, 'drive.ts'), DRIVER)
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2023', lib: ['ES2023', 'DOM'], skipLibCheck: true, types: [] },
    files: ['drive.ts']
  }))
  await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))

  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', dir])
    t.pass('the driver type-checks against the generated types')
  } catch (error) {
    t.fail(`tsc failed:\n${(error as { stdout?: string }).stdout ?? String(error)}`)
    return
  }

  const { app, close } = await buildTestApp({ API_TOKENS: [TOKEN] })
  t.teardown(close)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  const { drive } = await import(pathToFileURL(join(dir, 'drive.ts')).href) as { drive: (baseUrl: string, key: string) => Promise<Record<string, unknown>> }
  const result = await drive(`http://127.0.0.1:${port}`, GOOD_TOKEN)
  t.same(result, {
    names: ['Acme', 'LockedBox'],
    secretFields: ['api_key'],
    configSchemaType: 'object',
    valid: true,
    rejection: 'Acme does not know this API key.',
    problem: { status: 400, code: 'VALIDATION_FAILED' },
    invalidStatus: 400,
    badPaths: ['/config/api_key'],
    tables: [{ name: 'widgets', keys: ['id'], incremental: false }],
    staticTables: 1,
    missing: { status: 404, code: 'SOURCE_NOT_FOUND' },
    health: 'ok',
    refused: { status: 401, code: 'UNAUTHORIZED' }
  })
})
