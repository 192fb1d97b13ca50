/**
 * Property: any manifest built from the supported subset translates to a definition that survives
 * JSON (and YAML) unchanged, passes the definition check as JSON, and builds a source whose table list
 * equals the original's — the translated definition is plain data, not a wrapper around code.
 */
import t from 'tap'
import fc from 'fast-check'
import { stringify } from 'yaml'
import { loadSourceText } from '../../src/manifests/source.js'
import { tableName, translateManifest } from '../../src/manifests/translate.js'
import { checkDefinition, defineRestSource } from '../../src/sources/rest-source.js'

const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/)

const authenticator = fc.oneof(
  fc.constant({ type: 'BearerAuthenticator', api_token: "{{ config['api_key'] }}" }),
  fc.constant({ type: 'NoAuth' }),
  fc.record({ type: fc.constant('ApiKeyAuthenticator'), api_token: fc.constant('Token {{ config.api_key }}'), header: fc.constantFrom('X-Api-Key', 'Authorization') }),
  fc.constant({ type: 'ApiKeyAuthenticator', api_token: '{{ config.api_key }}', inject_into: { type: 'RequestOption', inject_into: 'request_parameter', field_name: 'key' } }),
  fc.constant({ type: 'BasicHttpAuthenticator', username: "{{ config['api_key'] }}" })
)

const option = (field: string): Record<string, unknown> => ({ type: 'RequestOption', inject_into: 'request_parameter', field_name: field })

const paginator = fc.oneof(
  fc.constant({ type: 'NoPagination' }),
  fc.integer({ min: 1, max: 500 }).map((size) => ({ type: 'DefaultPaginator', page_token_option: option('page'), page_size_option: option('per_page'), pagination_strategy: { type: 'PageIncrement', page_size: size } })),
  fc.integer({ min: 1, max: 500 }).map((size) => ({ type: 'DefaultPaginator', page_token_option: option('offset'), page_size_option: option('limit'), pagination_strategy: { type: 'OffsetIncrement', page_size: size } })),
  fc.constantFrom("{{ response.next }}", "{{ response['meta']['cursor'] }}", "{{ last_record['id'] }}", "{{ headers['link']['next']['url'] }}").chain((cursor) =>
    fc.boolean().map((path) => ({
      type: 'DefaultPaginator',
      page_token_option: path ? { type: 'RequestPath' } : option('cursor'),
      pagination_strategy: { type: 'CursorPagination', cursor_value: cursor, stop_condition: '{{ not response.has_more }}' }
    })))
)

const stream = fc.record({
  name,
  path: fc.constantFrom('/items', '/v2/things', 'plain', "/accounts/{{ config['account'] }}/rows"),
  selector: fc.array(fc.constantFrom('data', 'items', 'results'), { maxLength: 2 }),
  key: fc.constantFrom('id', 'uuid'),
  params: fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.oneof(fc.constant('fixed'), fc.integer({ min: 0, max: 9 }), fc.constant("{{ config['region'] }}")), { maxKeys: 3 }),
  paginator,
  incremental: fc.boolean()
})

const manifest = fc.record({ auth: authenticator, streams: fc.uniqueArray(stream, { minLength: 1, maxLength: 4, selector: (s) => tableName(s.name) }) }).map(({ auth, streams }) => ({
  version: '6.0.0',
  type: 'DeclarativeSource',
  check: { type: 'CheckStream', stream_names: [streams[0]?.name] },
  definitions: { requester: { type: 'HttpRequester', url_base: 'https://api.example.com', authenticator: auth } },
  streams: streams.map((s) => ({
    type: 'DeclarativeStream',
    name: s.name,
    primary_key: s.key,
    retriever: {
      type: 'SimpleRetriever',
      requester: { $ref: '#/definitions/requester', path: s.path, request_parameters: s.params },
      record_selector: { type: 'RecordSelector', extractor: { type: 'DpathExtractor', field_path: s.selector } },
      paginator: s.paginator
    },
    ...(s.incremental
      ? { incremental_sync: { type: 'DatetimeBasedCursor', cursor_field: 'updated_at', datetime_format: '%Y-%m-%dT%H:%M:%SZ', start_datetime: "{{ config['start_date'] }}", start_time_option: option('since') } }
      : {})
  })),
  spec: {
    type: 'Spec',
    connection_specification: {
      type: 'object',
      required: ['api_key'],
      properties: { api_key: { type: 'string', airbyte_secret: true }, region: { type: 'string' }, account: { type: 'string' }, start_date: { type: 'string' } }
    }
  }
}))

t.test('translated definitions round-trip through JSON and YAML and rebuild the same source', async (t) => {
  fc.assert(fc.property(manifest, (m) => {
    const translation = translateManifest(m, 'Generated')
    const json = JSON.parse(JSON.stringify(translation.definition)) as unknown
    t.same(json, translation.definition)
    const checked = checkDefinition(json, 'round trip')
    const again = translateManifest(structuredClone(m), 'Generated')
    t.same(again.definition, translation.definition, 'translation is deterministic')
    const fromYaml = loadSourceText(stringify(m), { where: 'm.yaml', airbyteName: 'Generated' })
    t.same(fromYaml.definition, translation.definition, 'YAML and JSON manifests translate alike')
    return JSON.stringify(defineRestSource(checked).getSourceConfig()) === JSON.stringify(fromYaml.source.getSourceConfig())
  }), { numRuns: 150 })
})
