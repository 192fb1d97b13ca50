/** Settings from the environment: SOURCE_BUDGETS (operator budgets per source and rate-limit class). */
import t from 'tap'
import pino from 'pino'
import { createEngineServices } from '../src/engine/services.js'
import { loadSettings, SettingsError, sourceBudgetsFor } from '../src/settings.js'
import { githubSource, GITHUB_BUDGET } from '../src/sources/github/source.js'

t.test('SOURCE_BUDGETS is read as JSON, looked up case-insensitively, and defaults to none', async (t) => {
  t.same(loadSettings({}).SOURCE_BUDGETS, {})
  const settings = loadSettings({ SOURCE_BUDGETS: '{"github":{"default":{"reservoir":5000,"intervalMs":60000,"maxConcurrent":8}}}' })
  t.same(sourceBudgetsFor(settings, 'Github'), { default: { reservoir: 5000, intervalMs: 60000, maxConcurrent: 8 } })
  t.equal(sourceBudgetsFor(settings, 'Demo'), undefined)
})

t.test('a bad SOURCE_BUDGETS is a start-up error naming the setting and the field', async (t) => {
  const problems = (env: Record<string, string>): string[] => {
    try { loadSettings(env); return [] } catch (error) { return error instanceof SettingsError ? error.problems : ['not a SettingsError'] }
  }
  t.match(problems({ SOURCE_BUDGETS: '{not json' }), [/^SOURCE_BUDGETS: must be a JSON object/])
  t.match(problems({ SOURCE_BUDGETS: '{"Github":{"default":{"reservoir":0}}}' }).join('\n'), /SOURCE_BUDGETS\/Github\/default\/reservoir/)
  t.match(problems({ SOURCE_BUDGETS: '{"Github":{"default":{"resevoir":10}}}' }).join('\n'), /SOURCE_BUDGETS\/Github\/default/)
})

t.test('operator budgets replace the declared budget of their class where client options are built', async (t) => {
  const services = createEngineServices({ allowPrivateUpstreams: true })
  t.teardown(async () => { await services.close() })
  const config = { personal_access_token: 'github_pat_x', repositories: 'o/r' }
  const ctx = { services, log: pino({ level: 'silent' }), signal: new AbortController().signal }
  t.same(githubSource.clientOptionsFor(config, ctx).budgets, { default: GITHUB_BUDGET })
  t.same(githubSource.clientOptionsFor(config, { ...ctx, budgetOverrides: { default: {}, search: { reservoir: 30, intervalMs: 60_000 } } }).budgets,
    { default: {}, search: { reservoir: 30, intervalMs: 60_000 } })
})
