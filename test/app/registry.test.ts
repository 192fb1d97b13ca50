import t from 'tap'
import { SourceNotFoundError } from '../../src/errors.js'
import { createRegistry, matchNonRetryableError, SOURCES, sourceRegistry } from '../../src/sources/registry.js'
import { defineSource } from '../../src/sources/types.js'
import { acmeSource, lockedSource } from '../routes/fixtures.js'

t.test('lookups are case-insensitive; unknown names are SourceNotFoundError', async (t) => {
  const registry = createRegistry([acmeSource, lockedSource])
  for (const name of ['Acme', 'acme', 'aCmE']) t.equal(registry.get(name), acmeSource, name)
  t.equal(registry.find('nope'), undefined)
  t.throws(() => registry.get('nope'), SourceNotFoundError)
  t.same(registry.list().map((s) => s.name), ['Acme'])
  t.same(registry.list({ includeUnreleased: true }).map((s) => s.name), ['Acme', 'LockedBox'])
  t.same(registry.secretFieldNames(), ['api_key', 'proxy_password'])
  t.same([...registry.assets().keys()], ['/static/services/acme.svg'])
})

t.test('a source registered twice (any letter case) or misnamed is refused at start', async (t) => {
  const shout = defineSource({ ...acmeSource, name: 'ACME', getSourceConfig: () => ({ ...acmeSource.getSourceConfig(), name: 'ACME' }) })
  t.throws(() => createRegistry([acmeSource, shout]), /registered twice/)
  const misnamed = defineSource({ ...acmeSource, name: 'Other' })
  t.throws(() => createRegistry([misnamed]), /returns a config named "Acme"/)
})

t.test('the default registry: every source in SOURCES, each once', async (t) => {
  const registry = sourceRegistry()
  t.equal(registry.list({ includeUnreleased: true }).length, SOURCES.length)
  t.ok(registry.find('demo'), 'the built-in Demo source keeps the catalog non-empty')
})

t.test('non-retryable map: ordered, case-insensitive, null keeps the message', async (t) => {
  const source = defineSource({
    ...acmeSource,
    getNonRetryableErrors: () => new Map<string, string | null>([
      ['401 Unauthorized', 'The API key is wrong.'],
      ['unauthorized', 'Second match never wins.'],
      ['rate limit exceeded for plan', null]
    ])
  })
  t.same(matchNonRetryableError(source, 'HTTP 401 UNAUTHORIZED from /me'), { message: 'The API key is wrong.' })
  t.same(matchNonRetryableError(source, 'Rate limit exceeded for plan free'), { message: 'Rate limit exceeded for plan free' })
  t.equal(matchNonRetryableError(source, 'socket hang up'), null)
})
