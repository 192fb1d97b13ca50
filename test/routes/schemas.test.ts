import t from 'tap'
import { Value } from 'typebox/value'
import { SourceSchemaSchema } from '../../src/sources/types.js'
import { buildTestApp, GOOD_TOKEN } from './fixtures.js'

t.test('POST /schemas lists the tables a config can sync', async (t) => {
  const { app, fake, close } = await buildTestApp()
  t.teardown(close)
  const response = await app.inject({ method: 'POST', url: '/v1/sources/Acme/schemas', payload: { config: { api_key: GOOD_TOKEN } } })
  t.equal(response.statusCode, 200)
  const { schemas } = response.json() as { schemas: unknown[] }
  t.equal(schemas.length, 1)
  t.ok(Value.Check(SourceSchemaSchema, schemas[0]))
  t.match(schemas[0], { name: 'widgets', primary_keys: ['id'], description: 'Every widget' })
  t.same(fake.requests, [{ method: 'GET', path: '/tables' }])
})

t.test('POST /schemas with a bad config: 400 naming the field', async (t) => {
  const { app, close } = await buildTestApp()
  t.teardown(close)
  const response = await app.inject({ method: 'POST', url: '/v1/sources/acme/schemas', payload: { config: { api_key: ['x'] } } })
  t.equal(response.statusCode, 400)
  t.same(response.json().errors.map((e: { path: string }) => e.path), ['/config/api_key'])
})

t.test('GET /schemas: the static catalog, or 409 when credentials are needed', async (t) => {
  const { app, fake, close } = await buildTestApp()
  t.teardown(close)
  const open = await app.inject({ method: 'GET', url: '/v1/sources/acme/schemas' })
  t.equal(open.statusCode, 200)
  t.same((open.json() as { schemas: Array<{ name: string }> }).schemas.map((s) => s.name), ['widgets'])
  t.same(fake.requests, [], 'the static catalog needs no upstream call')
  const locked = await app.inject({ method: 'GET', url: '/v1/sources/LockedBox/schemas' })
  t.equal(locked.statusCode, 409)
  t.match(locked.json(), { code: 'CREDENTIALS_REQUIRED', status: 409 })
})

t.test('an upstream 5xx: 502 problem that says nothing internal; the details go to the log', async (t) => {
  const { app, fake, logs, close } = await buildTestApp()
  t.teardown(close)
  const response = await app.inject({ method: 'POST', url: '/v1/sources/acme/schemas', payload: { config: { api_key: GOOD_TOKEN, region: 'eu' } } })
  t.equal(response.statusCode, 502)
  const problem = response.json()
  t.same(problem, {
    type: 'https://warehouse-sources.dev/problems/upstream-http-error',
    title: 'Upstream API error',
    status: 502,
    detail: 'The upstream API answered HTTP 500.',
    code: 'UPSTREAM_HTTP_ERROR'
  })
  t.notMatch(response.body, fake.url.replace('http://', ''), 'the upstream address is not in the body')
  const logged = logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'request failed')
  t.ok(logged, 'the failure is logged')
  t.equal(logged.level, 40, 'an upstream failure is expected: warn, not error')
  t.match(logged, { code: 'UPSTREAM_HTTP_ERROR', upstreamStatus: 500, detail: /Acme answered 500/ })
  t.notOk('err' in logged, 'no error object, so no stack trace')
  t.equal(logged.reqId, response.headers['x-request-id'], 'log line carries the request id')
})
