/** Parent → child fan-out against loopback fakes: row shape, renames, ignore, order under concurrency, resume, caps, multi-level. */
import assert from 'node:assert/strict'
import t from 'tap'
import type { Endpoint } from '../../src/engine/declarations.js'
import { startRestFake, type RestFake } from '../fakes/rest-fake.js'
import { collect, testRun, testServices } from './helpers.js'

const PROJECTS = [
  { id: 11, slug: 'web', name: 'Web' },
  { id: 12, slug: 'api', name: 'API' },
  { id: 13, slug: 'gone', name: 'Deleted' },
  { id: 14, slug: 'ios', name: 'iOS' }
]
/** Issues per project slug; 5 each so the child paginates (page size 2). */
const ISSUES: Record<string, Array<{ id: string, title: string }>> = Object.fromEntries(
  PROJECTS.filter((p) => p.slug !== 'gone').map((p) => [p.slug, Array.from({ length: 5 }, (_, i) => ({ id: `${p.slug}-${i + 1}`, title: `Issue ${i + 1}` }))])
)

async function sentryLikeFake (delays: Record<string, number> = {}): Promise<RestFake> {
  let fake: RestFake | undefined
  fake = await startRestFake({
    // Parent: Link header pages of 2 projects (Sentry cursor style with the results flag).
    'GET /api/0/organizations/:org/projects/': (req) => {
      const cursor = Number(req.query.get('cursor') ?? '0')
      const more = cursor + 2 < PROJECTS.length
      const base = `${fake?.url}/api/0/organizations/${req.params.org}/projects/`
      return {
        headers: { link: `<${base}?cursor=${cursor + 2}>; rel="next"; results="${String(more)}"; cursor="${cursor + 2}"` },
        json: PROJECTS.slice(cursor, cursor + 2)
      }
    },
    'GET /api/0/projects/:org/:project/issues/': (req) => {
      const issues = ISSUES[req.params.project ?? '']
      if (issues === undefined) return { status: 404, json: { detail: 'The requested resource does not exist' } }
      const cursor = Number(req.query.get('cursor') ?? '0')
      const more = cursor + 2 < issues.length
      const base = `${fake?.url}/api/0/projects/${req.params.org}/${req.params.project}/issues/`
      return {
        delayMs: delays[req.params.project ?? ''] ?? 0,
        headers: { link: `<${base}?cursor=${cursor + 2}>; rel="next"; results="${String(more)}"` },
        json: issues.slice(cursor, cursor + 2)
      }
    }
  })
  return fake
}

const projects: Endpoint = {
  name: 'projects', primaryKeys: ['id'], path: '/api/0/organizations/{org}/projects/',
  paginator: { type: 'link_header', stopWhen: { attribute: 'results', value: 'false' } }
}
const issues = (concurrency = 2, pageCap?: number): Endpoint => ({
  name: 'issues',
  primaryKeys: ['id'],
  path: '/api/0/projects/{org}/{project_slug}/issues/',
  paginator: { type: 'link_header', stopWhen: { attribute: 'results', value: 'false' } },
  responseActions: [{ status: 404, action: 'ignore' }],
  ...(pageCap !== undefined ? { pageCap } : {}),
  fanOut: {
    parent: 'projects', resolveParam: 'project_slug', resolveField: 'slug',
    includeFromParent: ['id', 'slug'], renames: { _projects_id: 'project_id' }, concurrency
  }
})

t.test('child rows carry parent fields and renames, grouped by parent in parent order', async (t) => {
  const fake = await sentryLikeFake({ web: 60, api: 0, ios: 0 })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const run = testRun()
  const client = services.createClient({ source: 'Sentry', baseUrl: fake.url, auth: { type: 'bearer', token: 'tok-abcdef' } }, run)
  const { rows, pages } = await collect(client.pages(issues(3), { catalog: [projects], pathParams: { org: 'acme' } }))
  t.same(rows[0], { id: 'web-1', title: 'Issue 1', project_id: 11, _projects_slug: 'web' }, 'row shape: _projects_id renamed, _projects_slug kept')
  t.same(rows.map((r) => r.id), [...ISSUES.web!, ...ISSUES.api!, ...ISSUES.ios!].map((i) => i.id), 'parent order, rows of one parent together')
  t.equal(pages[pages.length - 1]?.state, null)
  t.match(run.events.find((e) => e.event === 'response_ignored'), { resource: 'issues', parent: 'projects:gone', status: 404 })
  t.equal(fake.hits('/api/0/organizations/acme/projects/').length, 2, 'parent pages: results="false" stops')

  const withParams = issues(2)
  withParams.fanOut = { ...withParams.fanOut!, parentParams: { status: 'active', absent: null } }
  await collect(client.pages(withParams, { catalog: [{ ...projects, params: { status: 'all', per_page: 2 } }], pathParams: { org: 'acme' } }))
  const parentRequest = fake.hits('/api/0/organizations/acme/projects/').at(-2)
  t.equal(parentRequest?.query.get('status'), 'active', 'fan-out parent params override the parent\'s own')
  t.equal(parentRequest?.query.get('per_page'), '2')
  t.notOk(fake.hits('/api/0/projects/acme/web/issues/').at(-1)?.query.has('status'), 'children do not get parent params')
})

t.test('resume from every page state yields exactly the rest', async (t) => {
  const fake = await sentryLikeFake()
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'Sentry', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const options = { catalog: [projects], pathParams: { org: 'acme' } }
  const all = await collect(client.pages(issues(2), options))
  for (let i = 0; i < all.pages.length; i++) {
    const state = all.pages[i]?.state ?? null
    if (state === null) continue
    const before = fake.hits('/api/0/projects/acme/web/issues/').length
    const resumed = await collect(client.pages(issues(1), { ...options, resumeState: JSON.parse(JSON.stringify(state)) }))
    t.same(resumed.rows.map((r) => r.id), all.pages.slice(i + 1).flatMap((p) => p.rows).map((r) => r.id), `after page ${i + 1}`)
    if (i >= 3) t.equal(fake.hits('/api/0/projects/acme/web/issues/').length, before, 'completed parent not fetched again')
  }
})

t.test('static parents and the per-parent page cap event', async (t) => {
  const fake = await sentryLikeFake()
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const run = testRun()
  const client = services.createClient({ source: 'Sentry', baseUrl: fake.url, auth: { type: 'none' } }, run)
  const { rows } = await collect(client.pages(issues(1, 2), { parents: { projects: [PROJECTS[1]!, PROJECTS[3]!] }, pathParams: { org: 'acme' } }))
  t.same(rows.map((r) => r.id), ['api-1', 'api-2', 'api-3', 'api-4', 'ios-1', 'ios-2', 'ios-3', 'ios-4'])
  const caps = run.events.filter((e) => e.event === 'page_cap_reached')
  t.match(caps, [{ level: 'warn', resource: 'issues', parent: 'projects:api', pageCap: 2 }, { parent: 'projects:ios' }])
  t.equal(fake.hits('/api/0/organizations/acme/projects/').length, 0, 'static parents need no parent request')
})

t.test('concurrent parents overlap upstream but emit in order', async (t) => {
  let inflight = 0
  let peak = 0
  const fake = await startRestFake({
    'GET /repos/:owner/:repo/issues': async (req) => {
      inflight++
      peak = Math.max(peak, inflight)
      await new Promise((resolve) => setTimeout(resolve, req.params.repo === 'a' ? 80 : 10))
      inflight--
      return { json: [{ id: `${req.params.repo}-1` }] }
    }
  })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'Github', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const endpoint: Endpoint = {
    name: 'issues', primaryKeys: ['id'], path: '/repos/{repo}/issues', paginator: { type: 'single_page' },
    fanOut: { parent: 'repositories', resolveParam: 'repo', resolveField: 'full_name', includeFromParent: ['full_name'], concurrency: 3 }
  }
  const parents = ['a', 'b', 'c', 'd', 'e'].map((r) => ({ full_name: `octo/${r}` }))
  const { rows } = await collect(client.pages(endpoint, { parents: { repositories: parents } }))
  t.same(rows.map((r) => r.id), ['a-1', 'b-1', 'c-1', 'd-1', 'e-1'])
  t.equal(rows[0]?._repositories_full_name, 'octo/a')
  t.ok(peak >= 2 && peak <= 3, `peak concurrency ${peak} within the declared 3`)
})

t.test('multi-level fan-out: repositories → pull requests → reviews', async (t) => {
  const fake = await startRestFake({
    'GET /repos/:owner/:repo/pulls': (req) => ({ json: [{ number: 1 }, { number: 2 }].map((p) => ({ ...p, id: `${req.params.repo}#${p.number}` })) }),
    'GET /repos/:owner/:repo/pulls/:number/reviews': (req) => ({ json: [{ id: `${req.params.repo}#${req.params.number}-r1`, state: 'APPROVED' }] })
  })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const client = services.createClient({ source: 'Github', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const pulls: Endpoint = {
    name: 'pull_requests', primaryKeys: ['id'], path: '/repos/{repo}/pulls', paginator: { type: 'single_page' },
    fanOut: { parent: 'repositories', resolveParam: 'repo', resolveField: 'full_name', includeFromParent: ['full_name'] }
  }
  const reviews: Endpoint = {
    name: 'reviews', primaryKeys: ['id'], path: '/repos/{_repositories_full_name}/pulls/{pull_number}/reviews', paginator: { type: 'single_page' },
    fanOut: {
      parent: 'pull_requests', resolveParam: 'pull_number', resolveField: 'number',
      includeFromParent: ['number', '_repositories_full_name'],
      renames: { _pull_requests_number: 'pull_number', _pull_requests__repositories_full_name: 'repository' }
    }
  }
  const options = { catalog: [pulls, reviews], parents: { repositories: [{ full_name: 'octo/a' }, { full_name: 'octo/b' }] } }
  const all = await collect(client.pages(reviews, options))
  t.same(all.rows, [
    { id: 'a#1-r1', state: 'APPROVED', pull_number: 1, repository: 'octo/a' },
    { id: 'a#2-r1', state: 'APPROVED', pull_number: 2, repository: 'octo/a' },
    { id: 'b#1-r1', state: 'APPROVED', pull_number: 1, repository: 'octo/b' },
    { id: 'b#2-r1', state: 'APPROVED', pull_number: 2, repository: 'octo/b' }
  ])
  const resumed = await collect(client.pages(reviews, { ...options, resumeState: all.pages[1]?.state ?? null }))
  t.same(resumed.rows.map((r) => r.id), ['b#1-r1', 'b#2-r1'], 'resume across levels')
})

t.test('unknown parent and missing placeholder values fail clearly', async (t) => {
  const services = testServices()
  t.teardown(async () => { await services.close() })
  const client = services.createClient({ source: 'X', baseUrl: 'http://127.0.0.1:9', auth: { type: 'none' } }, testRun())
  await t.rejects(collect(client.pages(issues(), { pathParams: { org: 'acme' } })), /Parent "projects" of "issues"/)
  await t.rejects(collect(client.pages(projects)), /Path parameter "org"/)
  await t.rejects(collect(client.pages(projects, { pathParams: { org: '../admin' } })), /not a valid path segment/)
})

t.test('a parent list that changed since the state was taken restarts that child with a warning', async (t) => {
  const fake = await sentryLikeFake()
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const run = testRun()
  const client = services.createClient({ source: 'Sentry', baseUrl: fake.url, auth: { type: 'none' } }, run)
  const options = { parents: { projects: [PROJECTS[1]!, PROJECTS[3]!] }, pathParams: { org: 'acme' } }
  const first = await collect(client.pages(issues(1), options))
  const midApi = first.pages[0]?.state
  t.match(midApi, { fanout: { index: 0, key: 'api' } })
  const changed = await collect(client.pages(issues(1), { ...options, parents: { projects: [PROJECTS[3]!] }, resumeState: midApi ?? null }))
  t.same(changed.rows.map((r) => r.id), ISSUES.ios!.map((i) => i.id), 'ios from its first page')
  t.match(run.events.find((e) => e.event === 'resume_parent_changed'), { level: 'warn', parent: 'projects:ios', expected: 'projects:api' })
})

t.test('a descending child stops per parent once a whole page is older than the watermark, and the next parent walks on', async (t) => {
  // Newest first, two a page: parent "a" has 3 rows at or after the watermark, parent "b" 7.
  const newer: Record<string, number> = { a: 3, b: 7 }
  const watermark = Date.UTC(2024, 5, 1)
  const rowsOf = (parent: string): Array<{ id: string, at: string }> => Array.from({ length: 12 }, (_, i) => ({
    id: `${parent}-${i}`,
    at: new Date(watermark + (newer[parent]! - 1 - i) * 60_000).toISOString()
  }))
  const fake = await startRestFake({
    'GET /feeds/:parent/items': (req) => {
      const all = rowsOf(req.params.parent ?? '')
      const from = req.query.has('before') ? all.findIndex((r) => r.id === req.query.get('before')) + 1 : 0
      return { json: all.slice(from, from + 2) }
    }
  })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const endpoint: Endpoint = {
    name: 'items',
    primaryKeys: ['id'],
    path: '/feeds/{parent}/items',
    paginator: { type: 'last_record_cursor', recordField: 'id', param: 'before' },
    sortMode: 'desc',
    incrementalFields: [{ field: 'at', type: 'datetime' }],
    fanOut: { parent: 'feeds', resolveParam: 'parent', resolveField: 'key', concurrency: 2 }
  }
  const client = services.createClient({ source: 'Feeds', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const { rows } = await collect(client.pages(endpoint, {
    parents: { feeds: [{ key: 'a' }, { key: 'b' }] },
    incremental: { field: 'at', lastValue: new Date(watermark).toISOString() }
  }))
  // a: pages [0,1] [2,3] [4,5]; the third is wholly older. b: [0,1] … [6,7] [8,9]; the fifth is wholly older.
  t.equal(fake.hits('/feeds/a/items').length, 3, 'parent a stopped after its first wholly older page')
  t.equal(fake.hits('/feeds/b/items').length, 5, 'parent b walked on to its own stop')
  const ids = new Set(rows.map((r) => r.id))
  for (const parent of ['a', 'b']) {
    t.ok(rowsOf(parent).slice(0, newer[parent]).every((r) => ids.has(r.id)), `every row of ${parent} at or after the watermark`)
  }
  t.notOk(rows.some((r) => r.id === 'a-4' || r.id === 'b-8'), 'rows of a wholly older page are not emitted')
})

t.test('decorateChildRow gives what spreading, adding and renaming with delete gave, key order included', async (t) => {
  const { default: fc } = await import('fast-check')
  const { decorateChildRow } = await import('../../src/engine/fanout.js')
  // The decoration as it was first written (spread, add `_<parent>_<field>`, rename with delete): the reference.
  const reference = (row: Record<string, unknown>, parentRow: Record<string, unknown>, decl: { parent: string, includeFromParent?: string[], renames?: Record<string, string> }): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...row }
    for (const field of decl.includeFromParent ?? []) out[`_${decl.parent}_${field.replaceAll('.', '_')}`] = parentRow[field]
    for (const [from, to] of Object.entries(decl.renames ?? {})) {
      if (!(from in out)) continue
      out[to] = out[from]
      if (to !== from) delete out[from] // eslint-disable-line @typescript-eslint/no-dynamic-delete
    }
    return out
  }
  const key = fc.constantFrom('id', 'name', 'repository', '_p_full_name', '_p_id', 'title', '7', '12')
  fc.assert(fc.property(
    fc.dictionary(key, fc.integer()),
    fc.subarray(['full_name', 'id']),
    fc.dictionary(fc.constantFrom('_p_full_name', '_p_id', 'title', 'name'), key, { maxKeys: 2 }),
    (row, include, renames) => {
      const decl = { parent: 'p', resolveParam: 'x', resolveField: 'id', includeFromParent: include, ...(Object.keys(renames).length > 0 ? { renames } : {}) }
      const parentRow = { full_name: 'o/r', id: 5 }
      const want = reference({ ...row }, parentRow, decl)
      const got = decorateChildRow({ ...row }, parentRow, decl)
      assert.deepStrictEqual(Object.entries(got), Object.entries(want))
    }
  ), { numRuns: 2000 })
  t.pass('2000 random rows and declarations decorated as before')
})
