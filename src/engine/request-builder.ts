/** First request of an endpoint: path placeholders, declared params, page size, incremental params. */
import { UnsupportedRequestError } from '../errors.js'
import type { Endpoint, Params } from './declarations.js'
import type { RequestSpec } from './types.js'

/** Encode a placeholder value: each '/'-separated segment is escaped; '.', '..' and empty segments are refused. */
export function encodePathValue (name: string, value: string): string {
  const segments = value.split('/')
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new UnsupportedRequestError(`Value for path parameter "${name}" is not a valid path segment.`)
  }
  return segments.map((s) => encodeURIComponent(s)).join('/')
}

/** Fill `{name}` placeholders; `lookup` returns undefined for unknown names, which is an error. */
export function formatPath (path: string, lookup: (name: string) => unknown): string {
  return path.replace(/\{([^{}]+)\}/g, (_match, name: string) => {
    const value = lookup(name)
    if (value === undefined || value === null || typeof value === 'object') {
      throw new UnsupportedRequestError(`Path parameter "${name}" of "${path}" has no value.`)
    }
    return encodePathValue(name, String(value))
  })
}

export function joinUrl (baseUrl: string, path: string): string {
  if (/^https?:\/\//i.test(path)) return path
  return baseUrl.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`)
}

export function buildFirstRequest (baseUrl: string, endpoint: Endpoint, path: string, extraParams: Params = {}): RequestSpec {
  const params: Params = { ...endpoint.params, ...extraParams }
  if (endpoint.pageSize !== undefined) params[endpoint.pageSize.param] = endpoint.pageSize.value
  const request: RequestSpec = { method: endpoint.method ?? 'GET', url: joinUrl(baseUrl, path), params }
  if (endpoint.json !== undefined) request.json = endpoint.json
  if (endpoint.headers !== undefined) request.headers = endpoint.headers
  return request
}
