import t from 'tap'
import { Value } from 'typebox/value'
import { buildApp } from '../../src/app.js'
import { SourceConfigSchema } from '../../src/sources/fields.js'
import { SOURCES } from '../../src/sources/registry.js'
import { buildTestApp } from './fixtures.js'

t.test('GET /v1/sources lists released sources; include_unreleased adds the rest', async (t) => {
  const { app, close } = await buildTestApp()
  t.teardown(close)
  const released = await app.inject({ method: 'GET', url: '/v1/sources' })
  t.equal(released.statusCode, 200)
  const names = (released.json() as { sources: Array<{ name: string }> }).sources.map((s) => s.name)
  t.same(names, ['Acme'])

  const all = await app.inject({ method: 'GET', url: '/v1/sources?include_unreleased=true' })
  const allSources = (all.json() as { sources: unknown[] }).sources
  t.same(allSources.map((s) => (s as { name: string }).name), ['Acme', 'LockedBox'])
  for (const source of allSources) t.ok(Value.Check(SourceConfigSchema, source), 'each entry is a SourceConfig')
  const acme = allSources[0] as Record<string, unknown>
  t.equal(acme.iconPath, '/static/services/acme.svg', 'optional keys survive serialisation')
  t.equal(acme.category, 'Testing')

  const bad = await app.inject({ method: 'GET', url: '/v1/sources?include_unreleased=maybe' })
  t.equal(bad.statusCode, 400)
  t.same(bad.json().errors.map((e: { path: string }) => e.path), ['/query/include_unreleased'])
})

t.test('GET /v1/sources/{source_type}: case-insensitive, with the JSON Schema of its config', async (t) => {
  const { app, close } = await buildTestApp()
  t.teardown(close)
  for (const name of ['Acme', 'acme', 'ACME']) {
    const response = await app.inject({ method: 'GET', url: `/v1/sources/${name}` })
    t.equal(response.statusCode, 200, name)
    const body = response.json()
    t.equal(body.name, 'Acme')
    t.equal(body.fields.length, 4)
    t.equal(body.configSchema.type, 'object')
    t.same(body.configSchema.required, ['api_key'])
    t.ok(body.configSchema.properties.api_key, 'config schema describes api_key')
  }
})

t.test('unknown source: 404 problem document', async (t) => {
  const { app, close } = await buildTestApp()
  t.teardown(close)
  for (const url of ['/v1/sources/Nope', '/v1/sources/Nope/schemas']) {
    const response = await app.inject({ method: 'GET', url })
    t.equal(response.statusCode, 404)
    t.match(response.headers['content-type'], /^application\/problem\+json/)
    t.match(response.json(), { status: 404, code: 'SOURCE_NOT_FOUND', title: 'Source not found', type: /source-not-found$/ })
  }
})

t.test('icons are served at the iconPath each source declares', async (t) => {
  const { app, close } = await buildTestApp()
  t.teardown(close)
  const response = await app.inject({ method: 'GET', url: '/static/services/acme.svg' })
  t.equal(response.statusCode, 200)
  t.equal(response.headers['content-type'], 'image/svg+xml')
  t.match(response.body, /^<svg/)
  const missing = await app.inject({ method: 'GET', url: '/static/services/nope.svg' })
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().code, 'NOT_FOUND')
})

t.test('every registered source: a valid SourceConfig, a served icon, a config schema', async (t) => {
  const app = await buildApp({ settings: { LOG_LEVEL: 'silent' } })
  t.teardown(() => app.close())
  const list = await app.inject({ method: 'GET', url: '/v1/sources?include_unreleased=true' })
  const sources = (list.json() as { sources: Array<{ name: string, iconPath?: string }> }).sources
  t.equal(sources.length, SOURCES.length, 'each registered source is listed once')
  for (const source of sources) {
    t.ok(Value.Check(SourceConfigSchema, source), `${source.name}: SourceConfig`)
    if (source.iconPath !== undefined) {
      const icon = await app.inject({ method: 'GET', url: source.iconPath })
      t.equal(icon.statusCode, 200, `${source.name}: icon at ${source.iconPath}`)
    }
    const detail = await app.inject({ method: 'GET', url: `/v1/sources/${source.name.toLowerCase()}` })
    t.equal(detail.statusCode, 200, `${source.name}: detail`)
  }
})

t.test('catalog bodies: serialised once by the response schema, the same bytes every time', async (t) => {
  const { app, close } = await buildTestApp()
  t.teardown(close)
  for (const url of ['/v1/sources', '/v1/sources?include_unreleased=true', '/v1/sources/acme']) {
    const first = await app.inject({ method: 'GET', url })
    const again = await app.inject({ method: 'GET', url: url.replace('acme', 'ACME') })
    t.equal(first.headers['content-type'], 'application/json; charset=utf-8', url)
    t.equal(again.body, first.body, `${url}: same body`)
    t.equal(first.headers['content-length'], String(Buffer.byteLength(first.body)))
  }
  const list = await app.inject({ method: 'GET', url: '/v1/sources' })
  const all = await app.inject({ method: 'GET', url: '/v1/sources?include_unreleased=true' })
  t.not(list.body, all.body, 'the unreleased variant is cached apart')
})
