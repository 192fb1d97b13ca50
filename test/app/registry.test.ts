import t from 'tap'
import { SourceNotFoundError } from '../../src/errors.js'
import { UpstreamAuthError, UpstreamHttpError, UpstreamNetworkError } from '../../src/errors.js'
import { describeError } from '../../src/sources/error-rules.js'
import { createRegistry, SOURCES, sourceRegistry } from '../../src/sources/registry.js'
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

t.test('error rules: ordered, on code, status and vendor message; null keeps the message', async (t) => {
  const rules = [
    { status: 401, vendorMessage: 'unauthorized', message: 'The API key is wrong.' },
    { status: 401, message: 'Second match never wins.' },
    { code: 'UPSTREAM_HTTP_ERROR', vendorMessage: 'rate limit exceeded for plan', message: null }
  ] as const
  const unauthorized = new UpstreamAuthError('Upstream returned 401 for GET https://x/me: UNAUTHORIZED.', 401, 'https://x/me', { vendorMessage: 'UNAUTHORIZED' })
  t.same(describeError(rules, unauthorized), { message: 'The API key is wrong.', retryable: false })
  const plan = new UpstreamHttpError('Upstream returned 429 for GET https://x/a: Rate limit exceeded for plan free.', 429, 'https://x/a', { vendorMessage: 'Rate limit exceeded for plan free' })
  t.same(describeError(rules, plan), { message: plan.message, retryable: false })
  t.equal(describeError(rules, new UpstreamNetworkError('socket hang up', 'https://x/a')), null)
})
