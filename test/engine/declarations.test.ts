/** defineEndpoints: schema errors and the rules the schema cannot express fail at load time. */
import t from 'tap'
import { defineEndpoints, type Endpoint } from '../../src/engine/declarations.js'

const base: Endpoint = { name: 'items', primaryKeys: ['id'], path: '/items', paginator: { type: 'single_page' } }

t.test('valid catalogs pass through unchanged', async (t) => {
  const catalog = defineEndpoints([base, { ...base, name: 'children', path: '/items/{item}/children', fanOut: { parent: 'items', resolveParam: 'item', resolveField: 'id' } }])
  t.equal(catalog.length, 2)
})

t.test('bad declarations fail with every problem named', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [{ ...base, paginator: { type: 'cursor', param: 'after' } }, /exactly one of cursorPath and cursorHeader/],
    [{ ...base, paginator: { type: 'cursor', cursorPath: 'a', cursorHeader: 'b', param: 'after' } }, /exactly one/],
    [{ ...base, paginator: { type: 'cursor', cursorPath: 'a', param: 'after', in: 'json' } }, /needs method POST/],
    [{ ...base, paginator: { type: 'offset', offsetParam: 'o', limitParam: 'l', limit: 10, totalPath: 't', totalHeader: 'x' } }, /at most one of totalPath/],
    [{ ...base, fanOut: { parent: 'p', resolveParam: 'repo', resolveField: 'id' } }, /has no \{repo\} placeholder/],
    [{ ...base, incrementalFields: [{ field: 'u', type: 'datetime', converter: { template: 'gt(u)' } }] }, /template has no \{value\}/],
    [{ ...base, stopOnShortPage: true }, /stopOnShortPage: needs a pageSize/],
    [{ ...base, paginator: { type: 'nope' } }, /items\/paginator/],
    [{ ...base, primaryKeys: [] }, /items\/primaryKeys/]
  ]
  for (const [endpoint, message] of cases) t.throws(() => defineEndpoints([endpoint as Endpoint]), message)
  t.throws(() => defineEndpoints([base, base]), /declared twice/)
})
