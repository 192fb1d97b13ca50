/**
 * Service bearer auth for the /v1 routes. With no tokens configured the hook is not installed (the
 * server then refuses non-loopback addresses, see settings.exposureProblem). Tokens are compared as
 * SHA-256 digests with timingSafeEqual, against every configured token, so timing says nothing about
 * how much of a guess matched or which token it was close to.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, onRequestAsyncHookHandler, RouteOptions } from 'fastify'
import { ServiceAuthError } from '../errors.js'
import { documentProblems } from './problems.js'

export const SECURITY_SCHEME = 'bearerAuth'

function digest (value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest()
}

export function tokenMatcher (tokens: readonly string[]): (candidate: string) => boolean {
  const digests = tokens.map(digest)
  return (candidate) => {
    const wanted = digest(candidate)
    let matched = false
    for (const d of digests) matched = timingSafeEqual(d, wanted) || matched
    return matched
  }
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i

export function bearerAuthHook (tokens: readonly string[]): onRequestAsyncHookHandler {
  const matches = tokenMatcher(tokens)
  return async (request) => {
    const header = request.headers.authorization
    if (header === undefined) throw new ServiceAuthError('Send Authorization: Bearer <token>.')
    const token = BEARER.exec(header)?.[1]
    if (token === undefined || !matches(token)) throw new ServiceAuthError('The bearer token is not accepted.')
  }
}

/**
 * Protects every route registered in `scope` (call before registering them): installs the hook when
 * tokens are set, and always documents the bearer requirement and the 401 problem in OpenAPI.
 */
export function protectScope (scope: FastifyInstance, tokens: readonly string[]): void {
  if (tokens.length > 0) scope.addHook('onRequest', bearerAuthHook(tokens))
  scope.addHook('onRoute', (route: RouteOptions) => {
    route.schema = { ...route.schema, security: [{ [SECURITY_SCHEME]: [] }] }
  })
  documentProblems(scope, 401)
}
