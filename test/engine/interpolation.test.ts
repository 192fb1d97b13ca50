/**
 * The `{{ … }}` evaluator: the expressions Airbyte manifests use, Jinja's undefined semantics, bounds,
 * and escape attempts that must end as a compile error or Undefined — never as code execution.
 */
import t from 'tap'
import fc from 'fast-check'
import { compileTemplate, InterpolationError, MAX_DEPTH, MAX_TEMPLATE_LENGTH } from '../../src/engine/interpolation/index.js'

const context = {
  config: { api_key: 'k-123', page_size: 50, start_date: '2024-01-02T03:04:05Z', region: 'eu', nested: { a: [1, 2, 3] } },
  parameters: { name: 'jobs', path: 'jobs' },
  response: { paging: { next: 'https://api.example.test/jobs?after=abc' }, entries: [{ uuid: 'u1' }, { uuid: 'u2' }], meta: { has_more: false } },
  last_record: { id: 42, updated_at: '2024-05-01T00:00:00Z' },
  last_page_size: 2,
  next_page_token: { next_page_token: 'tok' },
  stream_partition: { id: 7 },
  stream_interval: { start_time: '2024-01-01', end_time: '2024-02-01' },
  headers: { link: { next: { url: 'https://api.example.test/next' } } }
}

const value = (source: string, ctx: Record<string, unknown> = context): unknown => compileTemplate(source).evaluate(ctx)

t.test('the expressions manifests use', async (t) => {
  const cases: Array<[string, unknown]> = [
    ["{{ config['api_key'] }}", 'k-123'],
    ['{{ config.api_key }}', 'k-123'],
    ['Bearer {{ config.api_key }}', 'Bearer k-123'],
    ['{{ config.page_size }}', 50],
    ['{{ response.paging.next }}', 'https://api.example.test/jobs?after=abc'],
    ["{{ response['entries'][-1]['uuid'] }}", 'u2'],
    ["{{ last_record['id'] }}", 42],
    ['{{ last_page_size }}', 2],
    ["{{ next_page_token['next_page_token'] }}", 'tok'],
    ['{{ stream_partition.id }}', 7],
    ['/jobs/{{ stream_partition.id }}/candidates', '/jobs/7/candidates'],
    ['{{ stream_interval.start_time }}', '2024-01-01'],
    ["{{ parameters['path'] }}", 'jobs'],
    ["{{ headers['link']['next']['url'] }}", 'https://api.example.test/next'],
    ["{{ 'next' not in response['paging'] }}", false],
    ["{{ 'next' in response['paging'] }}", true],
    ['{{ not response.meta.has_more }}', true],
    ['{{ last_page_size < config.page_size }}', true],
    ['{{ last_page_size == 2 and config.region == "eu" }}', true],
    ['{{ last_page_size == 3 or config.region }}', 'eu'],
    ["{{ 'a' if config.region == 'eu' else 'b' }}", 'a'],
    ["{{ 'a' if config.region == 'us' else 'b' }}", 'b'],
    ["{{ config.region ~ '-' ~ config.page_size }}", 'eu-50'],
    ["{{ config.missing | default('fallback') }}", 'fallback'],
    ["{{ config.get('missing', 'x') }}", 'x'],
    ['{{ config.nested.a | length }}', 3],
    ['{{ config.nested.a[1:] }}', [2, 3]],
    ['{{ 7 // 2 }}', 3],
    ['{{ -7 % 3 }}', 2],
    ['{{ 2 ** 10 }}', 1024],
    ['{{ [1, 2] + [3] }}', [1, 2, 3]],
    ["{{ {'a': 1}['a'] }}", 1],
    ['{{ config.page_size is defined }}', true],
    ['{{ config.nope is not defined }}', true],
    ["{{ format_datetime(config.start_date, '%Y-%m-%d') }}", '2024-01-02'],
    ["{{ format_datetime('2024-01-02 03:04', '%s', '%Y-%m-%d %H:%M') }}", '1704164640'],
    ["{{ format_datetime(config.start_date, '%ms') }}", '1704164645000'],
    ["{{ timestamp('2022-02-28T00:00:00Z') }}", 1646006400],
    ["{{ timestamp('2022-02-28T00:00:00-08:00') }}", 1646035200],
    ['{{ max(2, 3) }}', 3],
    ['{{ max([2, 5, 3]) }}', 5],
    ['{{ min(2, 3) }}', 2],
    ["{{ (str_to_datetime('2024-01-02T00:00:00Z') - duration('P1D')).strftime('%Y-%m-%d') }}", '2024-01-01'],
    ["{{ 'a,b'.split(',') }}", ['a', 'b']],
    ["{{ 'x' | upper }}", 'X'],
    ["{{ ['a', 'b'] | join('-') }}", 'a-b'],
    ['{{ None }}', null],
    ['{{ true }} and {{ none }}', 'True and None']
  ]
  for (const [source, expected] of cases) t.same(value(source), expected, source)
})

t.test('now_utc, today_utc and day_delta read the clock in UTC', async (t) => {
  const now = new Date()
  t.equal(value("{{ now_utc().strftime('%Y-%m-%d') }}"), now.toISOString().slice(0, 10))
  t.match(value('{{ now_utc() }}'), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$/)
  t.equal(compileTemplate('{{ today_utc() }}').render({}), now.toISOString().slice(0, 10))
  t.match(value('{{ day_delta(-1) }}'), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+0000$/)
  t.equal(value("{{ day_delta(1, format='%Y-%m-%d') }}"), new Date(Date.now() + 86_400_000).toISOString().slice(0, 10))
})

t.test('a missing value is Undefined: falsy, empty, never an exception', async (t) => {
  const empty = {}
  const cases: Array<[string, unknown]> = [
    ["{{ 'next' not in response['paging'] }}", true],
    ['{{ response.paging.next }}', undefined],
    ["{{ response['entries'][-1]['uuid'] }}", undefined],
    ['{{ not last_record }}', true],
    ['{{ last_page_size + 1 }}', undefined],
    ['{{ missing() }}', undefined],
    ['{{ missing.a.b.c() }}', undefined],
    ['{{ response.x | default("d") }}', 'd'],
    ['{{ response.x < 3 }}', false],
    ['{{ response.x == none }}', false],
    ['{{ 1 / 0 }}', undefined]
  ]
  for (const [source, expected] of cases) t.same(value(source, empty), expected, source)
  t.equal(compileTemplate('a{{ nothing }}b').render(empty), 'ab')
})

t.test('escape attempts reach nothing: Undefined or a compile error', async (t) => {
  const undefinedCases = [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    '{{ config.constructor }}',
    "{{ config['constructor'] }}",
    '{{ config.__proto__ }}',
    "{{ config['__proto__'] }}",
    "{{ [].constructor.constructor('return process')() }}",
    "{{ ''.constructor.constructor('return process')() }}",
    '{{ now_utc.constructor }}',
    "{{ now_utc().constructor.constructor('return 1')() }}",
    '{{ config.toString() }}',
    '{{ config.hasOwnProperty }}',
    '{{ response.entries.map }}',
    '{{ process }}',
    '{{ globalThis }}',
    '{{ require }}',
    "{{ config.get.__globals__ }}",
    "{{ cycler.__init__.__globals__.os }}",
    '{{ lipsum }}',
    '{{ self }}'
  ]
  for (const source of undefinedCases) t.equal(value(source), undefined, source)
  // A JSON body may hold a "__proto__" key: it is plain data, and reading it is harmless.
  const parsed = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>
  t.same(value("{{ response['__proto__'] }}", { response: parsed }), { polluted: true })
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'nothing was polluted')
  const compileErrors = [
    "{% for x in range(10) %}{{ x }}{% endfor %}",
    '{# comment #}',
    '{{ x | attr("__class__") }}',
    "{{ x | map('upper') }}",
    '{{ x is callable }}',
    '{{ config.api_key',
    '{{ }}',
    '{{ a = 1 }}',
    '{{ lambda: 1 }}',
    '{{ `x` }}'
  ]
  for (const source of compileErrors) t.throws(() => compileTemplate(source), InterpolationError, source)
})

t.test('bounded length and depth', async (t) => {
  t.throws(() => compileTemplate('x'.repeat(MAX_TEMPLATE_LENGTH + 1)), InterpolationError)
  t.throws(() => compileTemplate(`{{ ${'('.repeat(MAX_DEPTH + 1)}1${')'.repeat(MAX_DEPTH + 1)} }}`), InterpolationError)
  t.throws(() => compileTemplate(`{{ ${'not '.repeat(MAX_DEPTH + 1)}x }}`), InterpolationError)
  t.equal(value(`{{ ${'('.repeat(10)}1${')'.repeat(10)} }}`), 1)
  // A string that doubles itself stops growing at the bound (Undefined), it never fills memory.
  const big = 'x'.repeat(600_000)
  t.equal(value('{{ a ~ a }}', { a: big }), undefined)
})

t.test('arbitrary input either compiles or is refused with InterpolationError, and never throws on evaluation', async () => {
  fc.assert(fc.property(fc.string({ maxLength: 60 }), (inner) => {
    let compiled
    try { compiled = compileTemplate(`{{ ${inner} }}`) } catch (error) {
      if (!(error instanceof InterpolationError)) throw error
      return
    }
    compiled.evaluate(context)
    compiled.render({})
  }), { numRuns: 2000 })
})
