/** KNOWN_PAGES_CONCURRENCY and KNOWN_PAGES_IN_FLIGHT reach the engine: how many known pages a run fetches at once. */
import t from 'tap'
import { buildApp } from '../../src/app.js'
import type { Endpoint } from '../../src/engine/declarations.js'
import { loadSettings, SettingsError } from '../../src/settings.js'
import { collect, formsFake, testRun } from '../engine/helpers.js'

const forms: Endpoint = { name: 'forms', primaryKeys: ['id'], path: '/forms', dataSelector: 'items', paginator: { type: 'page_number', pageParam: 'page', totalPagesPath: 'page_count' } }

for (const [settings, expected] of [
  [{}, 6],
  [{ KNOWN_PAGES_CONCURRENCY: 3 }, 3],
  [{ KNOWN_PAGES_IN_FLIGHT: 1 }, 2],
  [{ KNOWN_PAGES_CONCURRENCY: 1 }, 1]
] as const) {
  t.test(`known pages at once with ${JSON.stringify(settings)}: ${expected}`, async (t) => {
    const fake = await formsFake(8, () => 15)
    const app = await buildApp({ settings: { LOG_LEVEL: 'silent', ALLOW_PRIVATE_UPSTREAMS: true, ...settings } })
    t.teardown(async () => { await app.close(); await fake.close() })
    const client = app.engine.createClient({ source: 'T', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
    t.same((await collect(client.pages(forms))).rows.map((r) => r.id), [1, 2, 3, 4, 5, 6, 7, 8])
    t.equal(fake.peak(), expected)
  })
}

t.test('bad values name the setting', async (t) => {
  t.throws(() => loadSettings({}, { KNOWN_PAGES_CONCURRENCY: 0 }), SettingsError)
  t.throws(() => loadSettings({ KNOWN_PAGES_IN_FLIGHT: 'lots' }), /KNOWN_PAGES_IN_FLIGHT/)
})
