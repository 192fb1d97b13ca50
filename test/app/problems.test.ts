import t from 'tap'
import { fieldErrorsFromValidation } from '../../src/plugins/problems.js'
import { buildTestApp } from '../routes/fixtures.js'

t.test('unknown routes and methods: 404 problem documents', async (t) => {
  const { app, close } = await buildTestApp()
  t.teardown(close)
  for (const [method, url] of [['GET', '/nope'], ['GET', '/v1/nope'], ['DELETE', '/v1/sources']] as const) {
    const response = await app.inject({ method, url })
    t.equal(response.statusCode, 404, `${method} ${url}`)
    t.match(response.headers['content-type'], /^application\/problem\+json/)
    t.match(response.json(), { type: /\/not-found$/, title: 'Not found', status: 404, code: 'NOT_FOUND', detail: String })
  }
})

t.test('a crash inside a source: 500 problem without internals, logged with the request id', async (t) => {
  const { app, logs, close } = await buildTestApp()
  t.teardown(close)
  // An unexpected (non-catalog) error, thrown from a route only this test adds.
  app.get('/test/crash', async () => { throw new Error('db password=hunter2 at 10.1.2.3') })
  const response = await app.inject({ method: 'GET', url: '/test/crash' })
  t.equal(response.statusCode, 500)
  t.same(response.json(), {
    type: 'https://warehouse-sources.dev/problems/internal',
    title: 'Internal error',
    status: 500,
    detail: 'An internal error occurred.',
    code: 'INTERNAL'
  })
  t.notMatch(response.body, /hunter2|10\.1\.2\.3/)
  const line = logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'request failed')
  t.equal(line?.reqId, response.headers['x-request-id'])
})

t.test('schema validation errors become field paths', async (t) => {
  t.same(fieldErrorsFromValidation([
    { instancePath: '', keyword: 'required', params: { missingProperty: 'config' }, message: "must have required property 'config'" },
    { instancePath: '/config', keyword: 'type', params: { type: 'object' }, message: 'must be object' }
  ], 'body'), [{ path: '/config', message: 'is required' }, { path: '/config', message: 'must be object' }])
  t.same(fieldErrorsFromValidation([
    { instancePath: '/include_unreleased', keyword: 'type', params: {}, message: 'must be boolean' }
  ], 'querystring'), [{ path: '/query/include_unreleased', message: 'must be boolean' }])
})
