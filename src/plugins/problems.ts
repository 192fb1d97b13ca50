/**
 * Every 4xx/5xx answer is an RFC 9457 problem document (`application/problem+json`) with a stable
 * `code`, and `errors: [{path, message}]` for validation failures. 5xx bodies never carry internals:
 * the error is logged with the request id, the body says only what kind of failure it was.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import {
  AppError, InternalError, ProblemSchema, PROBLEM_TYPE_BASE, RouteNotFoundError, ServiceAuthError, UpstreamHttpError,
  UpstreamUnavailableError, ValidationError, toProblem, type FieldError, type ProblemDocument
} from '../errors.js'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

const STATUS_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: the problem names each bad field.',
  401: 'Missing or wrong service bearer token.',
  404: 'Unknown source, table or route.',
  409: 'The request cannot be answered in the current state.',
  413: 'Request body too large.',
  415: 'Unsupported content type.',
  500: 'Internal error (details are logged, never returned).',
  502: 'The upstream API failed or answered unexpectedly.',
  503: 'The service is shutting down or not ready.'
}

/** Route `response` entries declaring problem documents for the given statuses. */
export function problemResponses (...statuses: number[]): Record<number, { description: string, content: Record<string, { schema: typeof ProblemSchema }> }> {
  const out: Record<number, { description: string, content: Record<string, { schema: typeof ProblemSchema }> }> = {}
  for (const status of statuses) {
    out[status] = { description: STATUS_DESCRIPTIONS[status] ?? 'Problem.', content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } }
  }
  return out
}

/** Declares problem responses for `statuses` on every route registered in `scope` after this call. */
export function documentProblems (scope: { addHook: (name: 'onRoute', hook: (route: RouteOptions) => void) => unknown }, ...statuses: number[]): void {
  scope.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema ?? {}
    route.schema = { ...schema, response: { ...problemResponses(...statuses), ...(schema.response as Record<string, unknown> | undefined) } }
  })
}

/** Problems for fastify's own 4xx errors. Their messages may quote the body, so none is passed on. */
const FRAMEWORK_PROBLEMS: Record<string, { code: string, title: string, detail: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'MALFORMED_BODY', title: 'Malformed body', detail: 'The request body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'MALFORMED_BODY', title: 'Malformed body', detail: 'The request body is empty; send a JSON object.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', title: 'Unsupported media type', detail: 'Send the body as application/json.' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', title: 'Payload too large', detail: 'The request body is too large.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'MALFORMED_BODY', title: 'Malformed body', detail: 'Content-Length does not match the body.' },
  FST_ERR_BAD_URL: { code: 'MALFORMED_URL', title: 'Malformed URL', detail: 'The request URL is not validly percent-encoded.' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'URL_TOO_LONG', title: 'URL too long', detail: 'A path segment of the request URL is too long.' }
}

/** Problems Node's HTTP parser raises before fastify sees a request (`clientError`), by parser code. */
const CLIENT_ERROR_PROBLEMS: Record<string, { status: number, code: string, title: string, detail: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: 'HEADERS_TOO_LARGE', title: 'Request header fields too large', detail: 'The request headers are too large.' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'REQUEST_TIMEOUT', title: 'Request timeout', detail: 'The request was not received in time.' }
}
const MALFORMED_REQUEST = { status: 400, code: 'MALFORMED_REQUEST', title: 'Malformed request', detail: 'The request is not valid HTTP/1.1.' }

/**
 * fastify's `clientErrorHandler`: what Node's parser refuses (oversized headers, a timeout, bytes that
 * are not HTTP) is answered as a problem document too, then the socket is closed.
 */
export function clientErrorHandler (error: NodeJS.ErrnoException, socket: import('node:net').Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const known = CLIENT_ERROR_PROBLEMS[error.code ?? ''] ?? MALFORMED_REQUEST
  const problem: ProblemDocument = {
    type: PROBLEM_TYPE_BASE + known.code.toLowerCase().replaceAll('_', '-'),
    title: known.title,
    status: known.status,
    detail: known.detail,
    code: known.code
  }
  const body = JSON.stringify(problem)
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${known.status} ${known.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroy()
}

interface AjvError {
  instancePath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
}

/** fastify/ajv schema errors → field errors. Body paths point into the body; others are prefixed. */
export function fieldErrorsFromValidation (errors: readonly AjvError[], context: string | undefined): FieldError[] {
  const prefix = context === undefined || context === 'body' ? '' : `/${context === 'querystring' ? 'query' : context}`
  const out: FieldError[] = []
  for (const error of errors) {
    let path = prefix + error.instancePath
    let message = error.message ?? 'is invalid'
    if (error.keyword === 'required' && typeof error.params.missingProperty === 'string') {
      path += '/' + error.params.missingProperty
      message = 'is required'
    } else if (error.keyword === 'additionalProperties' && typeof error.params.additionalProperty === 'string') {
      path += '/' + error.params.additionalProperty
      message = 'unknown property'
    }
    if (!out.some((e) => e.path === path && e.message === message)) out.push({ path: path || '/', message })
  }
  return out
}

function problemFor (error: unknown): ProblemDocument {
  if (error instanceof AppError) {
    const problem = toProblem(error)
    if (problem.status >= 500) {
      // Say what kind of failure it was, nothing more: messages may name internal hosts.
      problem.detail = error instanceof UpstreamHttpError
        ? `The upstream API answered HTTP ${error.status}.`
        : error instanceof InternalError || error instanceof UpstreamUnavailableError ? problem.detail : `${error.title}.`
    }
    return problem
  }
  const fastifyError = error as Partial<FastifyError> & { validation?: AjvError[] }
  if (Array.isArray(fastifyError.validation)) {
    return toProblem(new ValidationError(fieldErrorsFromValidation(fastifyError.validation, fastifyError.validationContext)))
  }
  const status = fastifyError.statusCode ?? 500
  if (status >= 400 && status < 500) {
    const known = FRAMEWORK_PROBLEMS[fastifyError.code ?? '']
    const code = known?.code ?? 'BAD_REQUEST'
    return {
      type: PROBLEM_TYPE_BASE + code.toLowerCase().replaceAll('_', '-'),
      title: known?.title ?? 'Bad request',
      status,
      detail: known?.detail ?? 'The request could not be processed.',
      code
    }
  }
  return toProblem(new InternalError('unexpected'))
}

export function sendProblem (reply: FastifyReply, problem: ProblemDocument): FastifyReply {
  if (problem.status === 401) reply.header('www-authenticate', 'Bearer')
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem)
}

/** fastify's `frameworkErrors`: a bad URL (and an over-long path parameter) before routing, as a problem. */
export function frameworkErrorHandler (error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  void sendProblem(reply, problemFor(error))
}

/** Installs the error and not-found handlers on the root instance (children inherit them). */
export function registerProblemHandlers (app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const problem = problemFor(error)
    if (problem.code === 'INTERNAL') {
      // A bug: the only problem logged at error level, with its stack.
      request.log.error({ err: error, code: problem.code }, 'request failed')
    } else if (problem.status >= 500) {
      // Expected failures (the upstream failed, the service is draining): what happened, no stack.
      const upstreamStatus = error instanceof UpstreamHttpError ? error.status : undefined
      request.log[problem.status === 503 ? 'info' : 'warn']({ code: problem.code, upstreamStatus, detail: (error as Error).message }, 'request failed')
    } else if (!(error instanceof ServiceAuthError)) {
      request.log.info({ code: problem.code, errors: problem.errors }, 'request rejected')
    }
    return sendProblem(reply, problem)
  })
  app.setNotFoundHandler((request, reply) => {
    return sendProblem(reply, toProblem(new RouteNotFoundError(`No route ${request.method} ${request.url.split('?')[0] ?? ''}.`)))
  })
}
