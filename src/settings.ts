/**
 * Service settings: declared once as a TypeBox schema, read from the environment (the only reader of
 * process.env) or passed to buildApp() directly. Every bad value is reported at once, by name.
 */
import Type, { type Static } from 'typebox'
import { Compile } from 'typebox/compile'
import { isIP } from 'node:net'
import { RateBudgetSchema, type RateBudget } from './engine/client-options.js'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

export const SettingsSchema = Type.Object({
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Address to listen on.' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8000, description: 'Port to listen on.' }),
  LOG_LEVEL: Type.Enum(LOG_LEVELS, { default: 'info', description: 'pino log level.' }),
  API_TOKENS: Type.Array(Type.String({ minLength: 16 }), {
    default: [],
    description: 'Bearer tokens accepted on /v1 routes (comma-separated, each at least 16 characters). Empty: no auth, loopback only.'
  }),
  UPSTREAM_BASE_URLS: Type.Record(Type.String(), Type.String({ pattern: '^https?://' }), {
    default: {},
    description: 'JSON object: source name (case-insensitive) → base URL replacing the default one. A base URL typed into a form still wins.'
  }),
  SOURCE_BUDGETS: Type.Record(Type.String(), Type.Record(Type.String(), RateBudgetSchema), {
    default: {},
    description: 'JSON object: source name (case-insensitive) → rate-limit class (`default` for endpoints without one) → budget ' +
      '(`reservoir` per `intervalMs`, `maxConcurrent`, `minTimeMs`) replacing the source\'s declared one, e.g. for GitHub Enterprise ' +
      'Server limits: {"Github":{"default":{"reservoir":5000,"intervalMs":60000,"maxConcurrent":8}}}. `{}` lifts the declared budget.'
  }),
  ALLOW_PRIVATE_UPSTREAMS: Type.Boolean({
    default: false,
    description: 'Allow upstream requests to loopback, private, link-local and other non-public addresses.'
  }),
  RESUME_TOKEN_SECRET: Type.Array(Type.String({ minLength: 32 }), {
    default: [],
    description: 'Secret(s) that sign resume tokens (HMAC-SHA-256), each at least 32 bytes; comma-separated to rotate: the first signs, any verifies. ' +
      'Unset: a random one per start (tokens then die with the process; a warning is logged). Set it in production.'
  }),
  CREDENTIAL_CHECK_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 10, default: 2, description: 'Attempts per upstream request of a credential check (/validate), retries included.' }),
  CREDENTIAL_CHECK_DEADLINE_MS: Type.Integer({ minimum: 100, default: 5_000, description: 'Total time a credential check may take before it answers 502 UPSTREAM_UNAVAILABLE.' }),
  SYNC_PROGRESS_LOG_INTERVAL_MS: Type.Integer({
    minimum: 0,
    default: 5000,
    description: 'Least time between two `progress` log lines (with an ETA) of one sync stream; only sent while the API states a total.'
  }),
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, default: 10_000, description: 'On SIGTERM, how long in-flight syncs may take to end with an error line.' }),
  UPSTREAM_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 10_000, description: 'Upstream connect timeout.' }),
  UPSTREAM_HEADERS_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 60_000, description: 'Upstream response headers timeout.' }),
  UPSTREAM_BODY_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 120_000, description: 'Upstream body idle timeout.' }),
  KNOWN_PAGES_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 50,
    default: 6,
    description: 'Pages of a known run (a stated page count, or GitHub\'s numbered Link pages) one page loop (a table, or each parent of a fan-out) fetches at once, within the source\'s budget. 1: one page at a time.'
  }),
  KNOWN_PAGES_IN_FLIGHT: Type.Integer({
    minimum: 0,
    maximum: 10_000,
    default: 32,
    description: 'Known pages in flight beyond each sync\'s own request, across all syncs of the process: bounds what many syncs at once buffer. 0: every sync reads one page at a time.'
  }),
  REDIS_URL: Type.String({
    default: '',
    pattern: '^(rediss?://.+)?$',
    description: 'redis:// or rediss:// URL: share rate-limit budgets and pauses across replicas (see "Scaling out"). Empty: each process limits on its own.'
  }),
  REDIS_KEY_PREFIX: Type.String({ default: 'warehouse-sources:', maxLength: 100, description: 'Prefix of every Redis key this service writes.' }),
  RATE_LIMIT_REPLICAS: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 2,
    description: 'With REDIS_URL, while Redis is unreachable each replica uses its source budgets divided by this: set it to the number of replicas.'
  }),
  MANIFESTS_DIR: Type.String({
    default: '',
    description: 'Folder of source definitions loaded at start: every *.json, *.yaml and *.yml file (our definition format or an Airbyte low-code manifest) becomes a source. Empty: none.'
  })
})
export type Settings = Static<typeof SettingsSchema>

const checkSettings = Compile(SettingsSchema)

export class SettingsError extends Error {
  constructor (readonly problems: string[]) {
    super(`Invalid settings:\n  ${problems.join('\n  ')}`)
    this.name = 'SettingsError'
  }
}

function defaults (): Settings {
  const out: Record<string, unknown> = {}
  for (const [key, schema] of Object.entries(SettingsSchema.properties)) {
    out[key] = structuredClone((schema as unknown as { default: unknown }).default)
  }
  return out as Settings
}

/** Settings read from the environment as JSON, with the example an error shows. */
const JSON_EXAMPLES: Partial<Record<keyof Settings, string>> = {
  UPSTREAM_BASE_URLS: '{"Github":"https://proxy.internal/github"}',
  SOURCE_BUDGETS: '{"Github":{"default":{"reservoir":5000,"intervalMs":60000}}}'
}

/** Environment strings → typed values (before validation); unparseable values are reported by name. */
function fromEnvironment (env: Record<string, string | undefined>, problems: string[]): Partial<Record<keyof Settings, unknown>> {
  const raw: Partial<Record<keyof Settings, unknown>> = {}
  for (const key of Object.keys(SettingsSchema.properties) as Array<keyof Settings>) {
    const value = env[key]
    if (value === undefined || value === '') continue
    const schema = SettingsSchema.properties[key] as { type?: string }
    switch (schema.type) {
      case 'integer': {
        const n = Number(value)
        raw[key] = /^-?\d+$/.test(value.trim()) ? n : value
        break
      }
      case 'boolean': {
        const v = value.trim().toLowerCase()
        if (['1', 'true', 'yes', 'on'].includes(v)) raw[key] = true
        else if (['0', 'false', 'no', 'off'].includes(v)) raw[key] = false
        else raw[key] = value
        break
      }
      case 'array':
        raw[key] = value.split(',').map((t) => t.trim()).filter((t) => t.length > 0)
        break
      default:
        if (key in JSON_EXAMPLES) {
          try {
            raw[key] = JSON.parse(value)
          } catch {
            problems.push(`${key}: must be a JSON object such as ${JSON_EXAMPLES[key] ?? '{}'}`)
          }
        } else {
          raw[key] = value.trim()
        }
    }
  }
  return raw
}

/** Merge defaults, environment and explicit overrides; validate; throw SettingsError naming each bad value. */
export function loadSettings (
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<Settings> = {}
): Settings {
  const problems: string[] = []
  const merged = { ...defaults(), ...fromEnvironment(env, problems), ...overrides }
  for (const error of checkSettings.Errors(merged)) {
    const key = error.instancePath.split('/')[1] ?? ''
    // Never echo values: API_TOKENS are secrets.
    problems.push(`${key}${error.instancePath.slice(key.length + 1)}: ${error.message}`)
  }
  if (problems.length > 0) throw new SettingsError([...new Set(problems)])
  const settings = merged as Settings
  for (const [name, url] of Object.entries(settings.UPSTREAM_BASE_URLS)) {
    try {
      new URL(url) // eslint-disable-line no-new
    } catch {
      problems.push(`UPSTREAM_BASE_URLS.${name}: not a valid URL`)
    }
  }
  if (settings.REDIS_URL !== '') {
    try {
      new URL(settings.REDIS_URL) // eslint-disable-line no-new
    } catch {
      problems.push('REDIS_URL: not a valid URL') // never echoed: it may carry a password
    }
  }
  if (problems.length > 0) throw new SettingsError(problems)
  return settings
}

/** Hosts that only this machine can reach. Without API_TOKENS the server listens on these only. */
export function isLoopbackHost (host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (h === 'localhost' || h.endsWith('.localhost')) return true
  if (isIP(h) === 4) return h.startsWith('127.')
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h)
  return false
}

/** Refuse to run an unauthenticated service on a reachable address. Returns a reason, or null. */
export function exposureProblem (settings: Settings): string | null {
  if (settings.API_TOKENS.length > 0 || isLoopbackHost(settings.HOST)) return null
  return `Refusing to listen on ${settings.HOST} without API_TOKENS: an open service must stay on loopback. ` +
    'Set API_TOKENS to one or more bearer tokens, or HOST to 127.0.0.1.'
}

function bySourceName<T> (entries: Record<string, T>, sourceName: string): T | undefined {
  const wanted = sourceName.toLowerCase()
  for (const [name, value] of Object.entries(entries)) {
    if (name.toLowerCase() === wanted) return value
  }
  return undefined
}

/** Case-insensitive lookup of a source's operator base URL override. */
export function upstreamBaseUrlFor (settings: Settings, sourceName: string): string | undefined {
  return bySourceName(settings.UPSTREAM_BASE_URLS, sourceName)
}

/** Case-insensitive lookup of a source's operator budget overrides (by rate-limit class). */
export function sourceBudgetsFor (settings: Settings, sourceName: string): Record<string, RateBudget> | undefined {
  return bySourceName(settings.SOURCE_BUDGETS, sourceName)
}
