import t from 'tap'
import { buildTestApp } from './fixtures.js'

t.test('/health and /ready answer without auth; /ready turns 503 once shutdown begins', async (t) => {
  const { app, close } = await buildTestApp({ API_TOKENS: ['a-token-of-sixteen-chars'] })
  t.teardown(close)
  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 200)
  t.same(health.json(), { status: 'ok' })
  const ready = await app.inject({ method: 'GET', url: '/ready' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ready' })

  app.lifecycle.beginShutdown()
  t.ok(app.lifecycle.signal.aborted, 'the shutdown signal fires for long-running handlers')
  const draining = await app.inject({ method: 'GET', url: '/ready' })
  t.equal(draining.statusCode, 503)
  t.match(draining.json(), { code: 'SERVICE_UNAVAILABLE', status: 503 })
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'still alive while draining')
  const refused = await app.inject({ method: 'GET', url: '/v1/sources', headers: { authorization: 'Bearer a-token-of-sixteen-chars' } })
  t.equal(refused.statusCode, 503, 'new API work is refused while draining')
  t.match(refused.headers['content-type'], /^application\/problem\+json/)
  t.match(refused.json(), { code: 'SERVICE_UNAVAILABLE', status: 503 })
  t.equal(refused.headers.connection, 'close')
})

t.test('Swagger UI at /docs, the document at /docs/json', async (t) => {
  const { app, close } = await buildTestApp()
  t.teardown(close)
  const ui = await app.inject({ method: 'GET', url: '/docs' })
  t.equal(ui.statusCode, 200)
  t.match(ui.headers['content-type'], /text\/html/)
  t.match(ui.body, /swagger-ui/i)
  const doc = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(doc.statusCode, 200)
  t.equal(doc.json().openapi, '3.1.0')
})
