import t from 'tap'
import { buildTestApp, GOOD_TOKEN, NO_SCOPE_TOKEN } from './fixtures.js'

const validate = (config: unknown) => ({ method: 'POST' as const, url: '/v1/sources/acme/validate', payload: { config } })

t.test('a good credential is valid; the check reaches the upstream named in UPSTREAM_BASE_URLS', async (t) => {
  const { app, fake, close } = await buildTestApp()
  t.teardown(close)
  const response = await app.inject(validate({ api_key: GOOD_TOKEN }))
  t.equal(response.statusCode, 200)
  t.same(response.json(), { valid: true })
  t.same(fake.requests, [{ method: 'GET', path: '/me' }])
})

t.test('a rejected credential is a 200 result, not an error', async (t) => {
  const { app, close } = await buildTestApp()
  t.teardown(close)
  const response = await app.inject(validate({ api_key: 'acme_unknown_key' }))
  t.equal(response.statusCode, 200)
  t.same(response.json(), { valid: false, code: 'INVALID_API_KEY', message: 'Acme does not know this API key.' })
})

t.test('an upstream auth error escaping the source becomes a result worded by its non-retryable map', async (t) => {
  const { app, close } = await buildTestApp()
  t.teardown(close)
  const response = await app.inject(validate({ api_key: NO_SCOPE_TOKEN }))
  t.equal(response.statusCode, 200)
  t.same(response.json(), { valid: false, code: 'UPSTREAM_AUTH_FAILED', message: 'The API key lacks the read:tables scope.' })
})

t.test('malformed configs: 400 problems naming every bad field', async (t) => {
  const { app, fake, close } = await buildTestApp()
  t.teardown(close)
  const cases: Array<{ name: string, body: unknown, paths: string[] }> = [
    { name: 'wrong-typed fields', body: { config: { api_key: 42, page_size: 'lots' } }, paths: ['/config/api_key', '/config/page_size'] },
    { name: 'missing required field', body: { config: { page_size: 10 } }, paths: ['/config/api_key'] },
    { name: 'unknown select option', body: { config: { api_key: GOOD_TOKEN, region: 'mars' } }, paths: ['/config/region'] },
    { name: 'config missing (and an unknown key)', body: { settings: {} }, paths: ['/config', '/settings'] },
    { name: 'config not an object', body: { config: 'api_key=x' }, paths: ['/config'] }
  ]
  for (const c of cases) {
    const response = await app.inject({ method: 'POST', url: '/v1/sources/acme/validate', payload: c.body as object })
    t.equal(response.statusCode, 400, c.name)
    t.match(response.headers['content-type'], /^application\/problem\+json/, c.name)
    const problem = response.json()
    t.equal(problem.code, 'VALIDATION_FAILED', c.name)
    t.same(problem.errors.map((e: { path: string }) => e.path).sort(), c.paths, c.name)
    for (const e of problem.errors) t.type(e.message, 'string')
  }
  t.same(fake.requests, [], 'nothing invalid reaches the upstream')
})

t.test('bodies that are not JSON objects: 400/415 problems that do not quote the body', async (t) => {
  const { app, close } = await buildTestApp()
  t.teardown(close)
  const broken = await app.inject({ method: 'POST', url: '/v1/sources/acme/validate', headers: { 'content-type': 'application/json' }, payload: '{"config": {"api_key": "tok' })
  t.equal(broken.statusCode, 400)
  t.match(broken.json(), { code: 'MALFORMED_BODY', status: 400 })
  t.notMatch(broken.body, /tok/)
  const form = await app.inject({ method: 'POST', url: '/v1/sources/acme/validate', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'api_key=tok' })
  t.equal(form.statusCode, 415)
  t.match(form.json(), { code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 })
})
