/**
 * Fixture sources and a fake upstream for the foundation route tests. The fake follows a tiny bearer
 * API contract: GET /me answers 200 {id} for the expected token, 401 {message} for an unknown one,
 * 403 {message} for a token without the read scope; GET /tables lists tables for a valid token.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CredentialsRequiredError, UpstreamAuthError, UpstreamHttpError } from '../../src/errors.js'
import { defineSource, type AnySource, type SourceContext, type SourceSchema } from '../../src/sources/types.js'

export const GOOD_TOKEN = 'acme_good_token_0123456789'
export const NO_SCOPE_TOKEN = 'acme_noscope_token_0123456789'

export interface FakeUpstream {
  url: string
  requests: Array<{ method: string, path: string }>
  close: () => Promise<void>
}

export async function startFakeAcme (): Promise<FakeUpstream> {
  const requests: FakeUpstream['requests'] = []
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    requests.push({ method: req.method ?? 'GET', path })
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    }
    if (token === NO_SCOPE_TOKEN) return json(403, { message: 'Missing scope read:tables' })
    if (token !== GOOD_TOKEN) return json(401, { message: 'Invalid API key' })
    if (path === '/me') return json(200, { id: 'acct_1' })
    if (path === '/tables') return json(200, { tables: [{ name: 'widgets', label: 'Widgets' }] })
    if (path === '/boom') return json(500, { message: 'stack trace at db-internal-7.acme.local' })
    return json(404, { message: 'not found' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => { await new Promise<void>((resolve) => server.close(() => resolve())) }
  }
}

const acmeFields = [
  { type: 'password', name: 'api_key', label: 'API key', required: true, placeholder: 'acme_...', secret: true },
  { type: 'number', name: 'page_size', label: 'Page size', required: false, placeholder: '100' },
  {
    type: 'select',
    name: 'region',
    label: 'Region',
    required: false,
    defaultValue: 'us',
    options: [{ label: 'US', value: 'us' }, { label: 'EU', value: 'eu' }]
  },
  {
    type: 'switch-group',
    name: 'proxy',
    label: 'Use a proxy',
    default: false,
    fields: [{ type: 'password', name: 'proxy_password', label: 'Proxy password', required: true, placeholder: '', secret: true }]
  }
] as const

const WIDGETS: SourceSchema = {
  name: 'widgets',
  label: 'Widgets',
  description: 'Every widget',
  supports_incremental: false,
  supports_append: false,
  incremental_fields: [],
  primary_keys: ['id'],
  should_sync_default: true
}

async function acmeGet (path: string, apiKey: string, ctx: SourceContext): Promise<Response> {
  const base = ctx.baseUrlOverride ?? 'https://api.acme.invalid'
  const response = await fetch(base + path, { headers: { authorization: `Bearer ${apiKey}` }, signal: ctx.signal })
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel()
    throw new UpstreamAuthError(`Acme answered ${response.status}`, response.status, base + path)
  }
  if (!response.ok) {
    await response.body?.cancel()
    throw new UpstreamHttpError(`Acme answered ${response.status} at ${base}${path}`, response.status, base + path)
  }
  return response
}

export const acmeSource = defineSource({
  name: 'Acme',
  fields: acmeFields,
  getSourceConfig: () => ({
    name: 'Acme',
    label: 'Acme',
    category: 'Testing',
    caption: 'Fixture source',
    iconPath: '/static/services/acme.svg',
    releaseStatus: 'ga',
    fields: acmeFields as unknown as import('../../src/sources/fields.js').SourceConfig['fields']
  }),
  async validateCredentials (config, ctx) {
    ctx.log.info({ config }, 'checking credentials')
    try {
      await acmeGet('/me', config.api_key, ctx)
      return { valid: true }
    } catch (error) {
      if (error instanceof UpstreamAuthError && error.status === 401) {
        return { valid: false, code: 'INVALID_API_KEY', message: 'Acme does not know this API key.' }
      }
      throw error
    }
  },
  async getSchemas (config, ctx) {
    if (config === null) return [WIDGETS]
    ctx.log.info({ config }, 'listing tables')
    await acmeGet(config.region === 'eu' ? '/boom' : '/tables', config.api_key, ctx)
    return [WIDGETS]
  },
  async sourceForPipeline () { throw new Error('not used by these tests') },
  errorRules: [{ status: 403, message: 'The API key lacks the read:tables scope.' }],
  assets: { 'acme.svg': { contentType: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>' } }
})

export const lockedSource = defineSource({
  name: 'LockedBox',
  fields: [] as const,
  getSourceConfig: () => ({ name: 'LockedBox', label: 'Locked box', fields: [], releaseStatus: 'alpha', unreleasedSource: true }),
  async validateCredentials () { return { valid: true } },
  async getSchemas (config) {
    if (config === null) throw new CredentialsRequiredError('LockedBox lists its tables only with credentials.')
    return []
  },
  async sourceForPipeline () { throw new Error('not used by these tests') },
  errorRules: []
})

export const FIXTURE_SOURCES: readonly AnySource[] = [acmeSource, lockedSource]

/** Collects every log line an app writes. */
export function logCollector (): { stream: { write: (line: string) => void }, lines: string[] } {
  const lines: string[] = []
  return { stream: { write: (line: string) => { lines.push(line) } }, lines }
}

export interface TestApp {
  app: import('../../src/app.js').App
  fake: FakeUpstream
  logs: string[]
  close: () => Promise<void>
}

/** The real app with the fixture sources, routed at a fresh fake upstream through UPSTREAM_BASE_URLS. */
export async function buildTestApp (settings: Partial<import('../../src/settings.js').Settings> = {}): Promise<TestApp> {
  const { buildApp } = await import('../../src/app.js')
  const fake = await startFakeAcme()
  const collector = logCollector()
  const app = await buildApp({
    sources: FIXTURE_SOURCES,
    logStream: collector.stream,
    settings: { LOG_LEVEL: 'debug', UPSTREAM_BASE_URLS: { ACME: fake.url }, ...settings }
  })
  return {
    app,
    fake,
    logs: collector.lines,
    close: async () => { await app.close(); await fake.close() }
  }
}
