/**
 * What a route hands a source call: engine services, the operator's base URL and budget overrides, a child
 * logger and a cancellation signal that fires when the client goes away.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { AbortedError } from '../errors.js'
import { listeningOrigin } from '../service-origin.js'
import { sourceBudgetsFor, upstreamBaseUrlFor } from '../settings.js'
import type { AnySource, SourceContext } from '../sources/types.js'

/**
 * Aborts when the client disconnects before the response is finished. Not `request.signal`: fastify
 * ties that to the request stream's 'close', which Node emits as soon as a POST body has been read.
 */
export function disconnectSignal (reply: FastifyReply): AbortSignal {
  const controller = new AbortController()
  const response = reply.raw
  const onClose = (): void => {
    if (!response.writableFinished) controller.abort(new AbortedError('The client disconnected.'))
  }
  if (response.closed) onClose()
  else response.once('close', onClose)
  return controller.signal
}

export function sourceContext (
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  source: AnySource,
  extra: Partial<Pick<SourceContext, 'signal' | 'onEvent' | 'interactive'>> = {}
): SourceContext {
  const baseUrlOverride = upstreamBaseUrlFor(app.settings, source.name)
  const budgetOverrides = sourceBudgetsFor(app.settings, source.name)
  return {
    services: app.engine,
    ...(baseUrlOverride === undefined ? {} : { baseUrlOverride }),
    ...(budgetOverrides === undefined ? {} : { budgetOverrides }),
    serviceOrigin: listeningOrigin(app.server.listening ? app.server.address() : null, app.settings),
    ...(app.serviceToken === undefined ? {} : { serviceToken: app.serviceToken }),
    log: request.log.child({ source: source.name }) as Logger, // buildApp's logger is pino
    signal: extra.signal ?? disconnectSignal(reply),
    ...(extra.onEvent === undefined ? {} : { onEvent: extra.onEvent }),
    ...(extra.interactive === true ? { interactive: true } : {})
  }
}
