/**
 * buildApp(options): the whole service except listening. server.ts and the tests build the same app.
 * Plugins and routes are registered explicitly, in the order they apply to a request.
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { DestinationStream, Logger } from 'pino'
import { createEngineServices, type EngineServices } from './engine/services.js'
import { ServiceUnavailableError } from './errors.js'
import { createLogger, requestId, REQUEST_ID_HEADER } from './logging.js'
import { ServiceMetrics } from './metrics.js'
import { swaggerOptions } from './openapi.js'
import { registerAccessLog, QuietRequestLog } from './plugins/access-log.js'
import { protectScope } from './plugins/auth.js'
import { Lifecycle } from './plugins/lifecycle.js'
import { clientErrorHandler, documentProblems, frameworkErrorHandler, registerProblemHandlers } from './plugins/problems.js'
import { assetRoutes } from './routes/assets.js'
import { catalogRoutes } from './routes/catalog.js'
import { definitionSchemaRoutes } from './routes/definition-schema.js'
import { credentialRoutes } from './routes/credentials.js'
import { healthRoutes } from './routes/health.js'
import { metricsRoutes } from './routes/metrics.js'
import { schemaRoutes } from './routes/schemas.js'
import { syncRoutes } from './routes/sync.js'
import { loadSettings, SettingsError, type Settings } from './settings.js'
import { loadManifestsDir } from './manifests/folder.js'
import { createRegistry, SOURCES, sourceRegistry, type SourceRegistry } from './sources/registry.js'
import type { AnySource } from './sources/types.js'
import { randomBytes } from 'node:crypto'
import { generateResumeSecret, ResumeTokens } from './sync/resume-state.js'

declare module 'fastify' {
  interface FastifyInstance {
    settings: Settings
    registry: SourceRegistry
    engine: EngineServices
    lifecycle: Lifecycle
    /** Token the service sends to its own protected source routes (set when API_TOKENS is). */
    serviceToken: string | undefined
    resumeTokens: ResumeTokens
    metrics: ServiceMetrics
  }
}

export interface BuildAppOptions {
  /** Settings over the defaults (the process environment is read by server.ts only). */
  settings?: Partial<Settings>
  /** Where log lines go (default stdout). Tests pass a stream to read them. */
  logStream?: DestinationStream
  /** A ready logger instead (its redaction is then the caller's business). */
  logger?: Logger
  /** Engine services to share (default: created from the settings, closed with the app). */
  services?: EngineServices
  /** Sources instead of the registered ones (tests with fixture sources). */
  sources?: readonly AnySource[]
}

/** How long buildApp() waits for Redis (REDIS_URL) before serving on the local fallback budgets. */
export const REDIS_STARTUP_WAIT_MS = 2_000

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>

/** UPSTREAM_BASE_URLS may only name registered sources (a typo would silently route nowhere). */
function checkUpstreamNames (settings: Settings, registry: SourceRegistry): void {
  const unknown = Object.keys(settings.UPSTREAM_BASE_URLS).filter((name) => registry.find(name) === undefined)
  if (unknown.length === 0) return
  const known = registry.list({ includeUnreleased: true }).map((s) => s.name).join(', ')
  throw new SettingsError(unknown.map((name) => `UPSTREAM_BASE_URLS.${name}: no source is named "${name}" (sources: ${known})`))
}

export async function buildApp (options: BuildAppOptions = {}): Promise<App> {
  const settings = loadSettings({}, options.settings)
  const manifests = settings.MANIFESTS_DIR === '' ? [] : loadManifestsDir(settings.MANIFESTS_DIR, (options.sources ?? SOURCES).map((s) => s.name))
  const registry = options.sources === undefined && manifests.length === 0
    ? sourceRegistry()
    : createRegistry([...(options.sources ?? SOURCES), ...manifests.map((m) => m.source)])
  checkUpstreamNames(settings, registry)
  const logger = options.logger ?? createLogger({
    level: settings.LOG_LEVEL,
    secretFieldNames: registry.secretFieldNames()
  }, options.logStream)

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    genReqId: requestId,
    logController: new QuietRequestLog(),
    // Unknown body keys are refused (400 naming each), not stripped: a typo must not change what a request means.
    ajv: { customOptions: { allErrors: true, removeAdditional: false } },
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler,
    forceCloseConnections: 'idle',
    // Draining is answered by the hook below, as a problem document, not by fastify's plain 503 body.
    return503OnClosing: false,
    routerOptions: { ignoreTrailingSlash: true }
  }).withTypeProvider<TypeBoxTypeProvider>()

  const services = options.services ?? createEngineServices({
    allowPrivateUpstreams: settings.ALLOW_PRIVATE_UPSTREAMS,
    connectTimeoutMs: settings.UPSTREAM_CONNECT_TIMEOUT_MS,
    headersTimeoutMs: settings.UPSTREAM_HEADERS_TIMEOUT_MS,
    bodyTimeoutMs: settings.UPSTREAM_BODY_TIMEOUT_MS,
    knownPagesConcurrency: settings.KNOWN_PAGES_CONCURRENCY,
    knownPagesInFlight: settings.KNOWN_PAGES_IN_FLIGHT,
    interactive: { maxAttempts: settings.CREDENTIAL_CHECK_ATTEMPTS, deadlineMs: settings.CREDENTIAL_CHECK_DEADLINE_MS },
    log: logger.child({ component: 'engine' }),
    ...(settings.REDIS_URL === ''
      ? {}
      : { sharedBudget: { url: settings.REDIS_URL, keyPrefix: settings.REDIS_KEY_PREFIX, replicas: settings.RATE_LIMIT_REPLICAS } })
  })
  // Start on shared budgets when Redis answers soon; otherwise on the local share until it does.
  await services.sharedBudget?.whenConnected(REDIS_STARTUP_WAIT_MS)
  app.decorate('settings', settings)
  app.decorate('registry', registry)
  for (const manifest of manifests) {
    app.log.info({ source: manifest.source.name, file: manifest.file, format: manifest.format, tables: manifest.definition.endpoints.length }, 'definition loaded')
    for (const { stream, reason } of manifest.unavailable) app.log.warn({ source: manifest.source.name, file: manifest.file, stream, reason }, 'stream unavailable')
  }
  app.decorate('engine', services)
  // Only the service's own clients know it; accepted by source routes (never by /v1).
  const serviceToken = settings.API_TOKENS.length > 0 ? randomBytes(32).toString('base64url') : undefined
  app.decorate('serviceToken', serviceToken)
  app.decorate('lifecycle', new Lifecycle())
  const secrets = settings.RESUME_TOKEN_SECRET.length > 0 ? settings.RESUME_TOKEN_SECRET : [generateResumeSecret()]
  if (settings.RESUME_TOKEN_SECRET.length === 0) {
    app.log.warn('RESUME_TOKEN_SECRET is not set: resume tokens are signed with a random secret made at start, so they do not survive ' +
      'a restart and are refused by other instances. Set RESUME_TOKEN_SECRET in production.')
  }
  app.decorate('resumeTokens', new ResumeTokens(secrets))
  const metrics = new ServiceMetrics()
  app.decorate('metrics', metrics)
  const stopObserving = services.observe(metrics.engineObserver)
  if (services.sharedBudget !== undefined) metrics.watchSharedBudget(services.sharedBudget)
  app.addHook('onClose', async () => {
    stopObserving()
    if (options.services === undefined) await services.close()
  })

  registerAccessLog(app)
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id)
    // Once shutdown begins, refuse new API work (health and readiness still answer).
    if (app.lifecycle.shuttingDown && request.url.startsWith('/v1/')) {
      reply.header('connection', 'close')
      throw new ServiceUnavailableError('The service is shutting down; retry on another instance.')
    }
  })
  registerProblemHandlers(app)
  // Only JSON bodies: fastify's default text/plain parser would turn a JSON text into a string (400 "must be object").
  app.removeContentTypeParser('text/plain')
  documentProblems(app, 500)

  await app.register(swagger, swaggerOptions)
  await app.register(swaggerUi, { routePrefix: '/docs' })

  await app.register(healthRoutes)
  await app.register(assetRoutes)
  await app.register(definitionSchemaRoutes)
  await app.register(async (scope) => {
    protectScope(scope, settings.API_TOKENS)
    await scope.register(metricsRoutes)
  })
  await app.register(async (v1) => {
    protectScope(v1, settings.API_TOKENS)
    documentProblems(v1, 503) // every /v1 route refuses new work while draining (onRequest hook above)
    await v1.register(catalogRoutes)
    await v1.register(credentialRoutes)
    await v1.register(schemaRoutes)
    await v1.register(syncRoutes)
  }, { prefix: '/v1' })
  // Routes sources serve themselves (the Demo sample API), behind the same tokens when they ask for it.
  for (const source of registry.list({ includeUnreleased: true })) {
    const routes = source.routes
    if (routes === undefined) continue
    await app.register(async (scope) => {
      if (routes.protected) protectScope(scope, [...settings.API_TOKENS, ...(serviceToken === undefined ? [] : [serviceToken])])
      await scope.register(routes.plugin)
    }, { prefix: routes.prefix })
  }

  return app
}
