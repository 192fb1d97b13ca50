/** KNOWN_PAGES_CONCURRENCY and KNOWN_PAGES_IN_FLIGHT reach the engine: how many known pages a run fetches at once. */
import t from 'tap'
import { buildApp } from '../../src/app.js'
import type { Endpoint } from '../../src/engine/declarations.js'
import { loadSettings, SettingsError } from '../../src/settings.js'
import { collect, testRun } from '../engine/helpers.js'
import { startRestFake } from '../fakes/rest-fake.js'

/** Typeform-style pages with a page count, 15 ms each; `peak` is the most requests seen at once. */
async function countedFake (): Promise<Awaited<ReturnType<typeof startRestFake>> & { peak: () => number }> {
  let inflight = 0
  let peak = 0
  const fake = await startRestFake({
    'GET /forms': async (req) => {
      inflight++; peak = Math.max(peak, inflight)
      await new Promise((resolve) => setTimeout(resolve, 15))
      inflight--
      return { json: { page_count: 8, items: [{ id: Number(req.query.get('page')) }] } }
    }
  })
  return Object.assign(fake, { peak: () => peak })
}

const forms: Endpoint = { name: 'forms', primaryKeys: ['id'], path: '/forms', dataSelector: 'items', paginator: { type: 'page_number', pageParam: 'page', totalPagesPath: 'page_count' } }

for (const [settings, expected] of [
  [{}, 6],
  [{ KNOWN_PAGES_CONCURRENCY: 3 }, 3],
  [{ KNOWN_PAGES_IN_FLIGHT: 1 }, 2],
  [{ KNOWN_PAGES_CONCURRENCY: 1 }, 1]
] as const) {
  t.test(`known pages at once with ${JSON.stringify(settings)}: ${expected}`, async (t) => {
    const fake = await countedFake()
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
