/**
 * What a route hands a source call: engine services, the operator's base URL override, a child
 * logger and a cancellation signal (client disconnect by default).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { upstreamBaseUrlFor } from '../settings.js'
import type { AnySource, SourceContext } from '../sources/types.js'

export function sourceContext (
  app: FastifyInstance,
  request: FastifyRequest,
  source: AnySource,
  extra: Partial<Pick<SourceContext, 'signal' | 'onEvent'>> = {}
): SourceContext {
  const baseUrlOverride = upstreamBaseUrlFor(app.settings, source.name)
  return {
    services: app.engine,
    ...(baseUrlOverride === undefined ? {} : { baseUrlOverride }),
    log: request.log.child({ source: source.name }) as Logger, // buildApp's logger is pino
    signal: extra.signal ?? request.signal,
    ...(extra.onEvent === undefined ? {} : { onEvent: extra.onEvent })
  }
}
