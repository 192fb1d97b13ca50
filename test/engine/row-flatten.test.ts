/** Declared row flattening (JSON:API): hoisted attributes, relationship ids, omitted links; fast objects; through pages and fan-out. */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { defineEndpoints, type Endpoint } from '../../src/engine/declarations.js'
import { createRowFlattener, relationshipIds } from '../../src/engine/row-flatten.js'
import { startRestFake } from '../fakes/rest-fake.js'
import { collect, testRun, testServices } from './helpers.js'

const JSON_API = { hoist: ['attributes'], relationshipIds: ['relationships'], omit: ['links'] }

const resource = {
  type: 'event',
  id: 'e1',
  attributes: { datetime: '2024-01-01T00:00:00+00:00', event_properties: { value: 9.99, items: [{ sku: 'A' }] }, uuid: null },
  relationships: {
    profile: { data: { type: 'profile', id: 'p1' }, links: { self: 'x', related: 'y' } },
    tags: { data: [{ type: 'tag', id: 't1' }, { type: 'tag', id: 't2' }] },
    owner: { data: null },
    lists: { links: { self: 'x', related: 'y' } }
  },
  links: { self: 'https://a.example/api/events/e1/' }
}

t.test('JSON:API resources: id, type and attributes at the top level; relationships as ids; links left out', async (t) => {
  const row = createRowFlattener(JSON_API)(resource)
  t.same(row, {
    type: 'event',
    id: 'e1',
    datetime: '2024-01-01T00:00:00+00:00',
    event_properties: { value: 9.99, items: [{ sku: 'A' }] },
    uuid: null,
    relationships: { profile: 'p1', tags: ['t1', 't2'], owner: null }
  })
  t.same(Object.keys(row), ['type', 'id', 'datetime', 'event_properties', 'uuid', 'relationships'], 'top level, then attributes, then relationships')
  t.equal(row.event_properties, resource.attributes.event_properties, 'nested values are moved, not copied')
})

t.test('name clashes, odd values and prototype keys', async (t) => {
  const flatten = createRowFlattener(JSON_API)
  t.same(flatten({ id: 'top', attributes: { id: 'inner', name: 'n' } }), { id: 'top', name: 'n' }, 'a top-level key wins over an attribute')
  t.same(flatten({ id: 'x', attributes: null }), { id: 'x' }, 'null attributes hoist nothing')
  t.same(flatten({ id: 'x', attributes: ['a'] }), { id: 'x' }, 'an array is not hoisted')
  t.same(flatten({ id: 'x', relationships: null }), { id: 'x', relationships: null })
  t.same(flatten({ id: 'x', attributes: { constructor: 'c', toString: 's' } }), { id: 'x', constructor: 'c', toString: 's' }, 'keys named like Object.prototype members are kept')
  const hostile = flatten(JSON.parse('{"id":"x","attributes":{"__proto__":{"polluted":true},"a":1}}') as Record<string, unknown>)
  t.equal(Object.getPrototypeOf(hostile), Object.prototype, 'a __proto__ attribute does not replace the prototype')
  t.same(Object.keys(hostile), ['id', '__proto__', 'a'])
  t.equal(({} as Record<string, unknown>).polluted, undefined)
  t.same(relationshipIds({ a: { data: [{ id: 1 }, { type: 'no-id' }] } }), { a: [1, null] })
})

t.test('flattened and fan-out rows keep fast properties and one shape per table (V8 natives, in a child process)', async (t) => {
  const script = fileURLToPath(new URL('./fixtures/flatten-shape.ts', import.meta.url))
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', script], { encoding: 'utf8' })
  t.same(JSON.parse(out), { flattened: true, decorated: true, sharedShape: true, keyedControl: false },
    'fromEntries-built rows are fast; the keyed-store control shows what the check detects')
})

t.test('declared on an endpoint: applied before pagination, watermarks and fan-out read the rows', async (t) => {
  const fake = await startRestFake({
    'GET /lists': (req, f) => {
      const page = req.query.get('page') ?? '1'
      return {
        json: {
          data: [{ type: 'list', id: `L${page}`, attributes: { name: `list ${page}`, updated: `2024-01-0${page}T00:00:00Z` }, links: { self: 'x' } }],
          links: page === '1' ? { self: 'x', next: `${f.url}/lists?page=2` } : { self: 'x' }
        }
      }
    },
    'GET /lists/:id/profiles': (req) => ({
      json: { data: [{ type: 'profile', id: `p-${req.params.id ?? ''}`, attributes: { email: `${req.params.id ?? ''}@example.com` }, relationships: { lists: { links: {} } }, links: { self: 'x' } }], links: { self: 'x' } }
    })
  })
  const services = testServices()
  t.teardown(async () => { await services.close(); await fake.close() })
  const catalog = defineEndpoints([
    { name: 'lists', path: '/lists', dataSelector: 'data', paginator: { type: 'next_url', path: 'links.next' }, primaryKeys: ['id'], flatten: JSON_API,
      incrementalFields: [{ field: 'updated', type: 'datetime' }] },
    {
      name: 'list_profiles', path: '/lists/{list}/profiles', dataSelector: 'data', paginator: { type: 'next_url', path: 'links.next' }, primaryKeys: ['list_id', 'id'],
      flatten: JSON_API, fanOut: { parent: 'lists', resolveParam: 'list', resolveField: 'id', includeFromParent: ['id', 'name'], renames: { _lists_id: 'list_id' } }
    }
  ] satisfies Endpoint[])
  const client = services.createClient({ source: 'F', baseUrl: fake.url, auth: { type: 'none' } }, testRun())
  const lists = await collect(client.pages(catalog[0] as Endpoint, { catalog }))
  t.same(lists.rows, [{ type: 'list', id: 'L1', name: 'list 1', updated: '2024-01-01T00:00:00Z' }, { type: 'list', id: 'L2', name: 'list 2', updated: '2024-01-02T00:00:00Z' }])
  const members = await collect(client.pages(catalog[1] as Endpoint, { catalog }))
  t.same(members.rows, [
    { type: 'profile', id: 'p-L1', email: 'L1@example.com', relationships: {}, list_id: 'L1', _lists_name: 'list 1' },
    { type: 'profile', id: 'p-L2', email: 'L2@example.com', relationships: {}, list_id: 'L2', _lists_name: 'list 2' }
  ], 'parents resolved from flattened rows; renamed parent fields keep their place')
})

t.test('a bad flatten declaration fails at load time', async (t) => {
  t.throws(() => defineEndpoints([{ name: 'x', path: '/x', paginator: { type: 'single_page' }, primaryKeys: ['id'], flatten: { hoist: [] } }]), /flatten\/hoist/)
  t.throws(() => defineEndpoints([{ name: 'x', path: '/x', paginator: { type: 'single_page' }, primaryKeys: ['id'], flatten: { hoist: ['a'], ids: ['b'] } as never }]), /flatten/)
})
