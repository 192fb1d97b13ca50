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
import { documentProblems, registerProblemHandlers } from './plugins/problems.js'
import { assetRoutes } from './routes/assets.js'
import { catalogRoutes } from './routes/catalog.js'
import { credentialRoutes } from './routes/credentials.js'
import { healthRoutes } from './routes/health.js'
import { metricsRoutes } from './routes/metrics.js'
import { schemaRoutes } from './routes/schemas.js'
import { syncRoutes } from './routes/sync.js'
import { loadSettings, type Settings } from './settings.js'
import { createRegistry, sourceRegistry, type SourceRegistry } from './sources/registry.js'
import { adoptListeningPort, serviceOrigin, withDemoUpstream } from './sources/demo/local-upstream.js'
import { SAMPLE_API_PREFIX, sampleApi } from './sources/demo/sample-api.js'
import type { AnySource } from './sources/types.js'

declare module 'fastify' {
  interface FastifyInstance {
    settings: Settings
    registry: SourceRegistry
    engine: EngineServices
    lifecycle: Lifecycle
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

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>

export async function buildApp (options: BuildAppOptions = {}): Promise<App> {
  const settings = withDemoUpstream(loadSettings({}, options.settings))
  const registry = options.sources === undefined ? sourceRegistry() : createRegistry(options.sources)
  const logger = options.logger ?? createLogger({
    level: settings.LOG_LEVEL,
    secretFieldNames: registry.secretFieldNames()
  }, options.logStream)

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    genReqId: requestId,
    logController: new QuietRequestLog(),
    ajv: { customOptions: { allErrors: true } },
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
    trustedOrigins: [serviceOrigin(settings)]
  })
  app.decorate('settings', settings)
  app.decorate('registry', registry)
  app.decorate('engine', services)
  app.addHook('onListen', async () => {
    const address = app.server.address()
    if (address !== null && typeof address === 'object') adoptListeningPort(settings, services.settings.trustedOrigins, address.port)
  })
  app.decorate('lifecycle', new Lifecycle())
  const metrics = new ServiceMetrics()
  app.decorate('metrics', metrics)
  const stopObserving = services.observe(metrics.engineObserver)
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
  documentProblems(app, 500)

  await app.register(swagger, swaggerOptions)
  await app.register(swaggerUi, { routePrefix: '/docs' })

  await app.register(healthRoutes)
  await app.register(assetRoutes)
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
  await app.register(sampleApi, { prefix: SAMPLE_API_PREFIX })

  return app
}
