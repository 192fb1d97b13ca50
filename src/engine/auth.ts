/**
 * Auth: turns an AuthConfig into request headers or query params, registers every secret with the
 * run's redactor, and fingerprints the credential (limiters are shared per source + fingerprint).
 * OAuth2 access tokens are cached per credential and refreshed shortly before they expire.
 */
import { createHash } from 'node:crypto'
import { UpstreamAuthError } from '../errors.js'
import type { AuthConfig } from './types.js'
import type { Redactor } from './redact.js'
import { redactUrl } from './redact.js'

/** Refresh an OAuth2 access token this long before its stated expiry. */
export const TOKEN_REFRESH_MARGIN_MS = 60_000
/** Lifetime assumed when a token response has no `expires_in`. */
export const DEFAULT_TOKEN_LIFETIME_MS = 3_600_000

export interface AuthParts {
  headers: Record<string, string>
  params: Record<string, string>
}

/** Posts a form to a token endpoint and returns status + parsed JSON body. */
export type TokenPoster = (url: string, form: Record<string, string>, headers: Record<string, string>) => Promise<{ status: number, body: unknown }>

interface CachedToken { accessToken: string, expiresAt: number, refreshToken?: string }

/** Access-token cache shared by all runs of one app, keyed by credential fingerprint. */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>()
  private readonly inflight = new Map<string, Promise<CachedToken>>()

  async get (key: string, fetch: () => Promise<CachedToken>, now = Date.now()): Promise<CachedToken> {
    const cached = this.tokens.get(key)
    if (cached !== undefined && cached.expiresAt - TOKEN_REFRESH_MARGIN_MS > now) return cached
    let pending = this.inflight.get(key)
    if (pending === undefined) {
      pending = fetch().then((token) => { this.tokens.set(key, token); return token })
        .finally(() => this.inflight.delete(key))
      this.inflight.set(key, pending)
    }
    return await pending
  }

  peek (key: string): CachedToken | undefined { return this.tokens.get(key) }
  invalidate (key: string): void { this.tokens.delete(key) }
}

/** A stable, non-reversible id of a credential (hex). */
export function credentialFingerprint (auth: AuthConfig): string {
  return createHash('sha256').update(JSON.stringify(auth)).digest('hex').slice(0, 16)
}

export function registerSecrets (auth: AuthConfig, redactor: Redactor): void {
  switch (auth.type) {
    case 'none': return
    case 'bearer': redactor.add(auth.token); return
    case 'api_key': redactor.add(auth.key); return
    case 'basic':
      redactor.add(auth.password)
      redactor.add(Buffer.from(`${auth.username}:${auth.password}`).toString('base64'))
      return
    case 'oauth2_refresh_token': redactor.add(auth.refreshToken); redactor.add(auth.clientSecret); return
    case 'oauth2_client_credentials': redactor.add(auth.clientSecret)
  }
}

/** Header names that carry the credential (dropped on cross-origin redirects). */
export function credentialHeaderNames (auth: AuthConfig): string[] {
  if (auth.type === 'api_key') return auth.in === 'query' ? [] : [auth.name.toLowerCase()]
  return auth.type === 'none' ? [] : ['authorization']
}

/** Credentials that fetch an OAuth2 access token (from `tokenUrl`, cached, refreshed); every other kind never changes. */
export type TokenAuth = Extract<AuthConfig, { type: 'oauth2_refresh_token' | 'oauth2_client_credentials' }>

export function isTokenAuth (auth: AuthConfig): auth is TokenAuth {
  return auth.type === 'oauth2_refresh_token' || auth.type === 'oauth2_client_credentials'
}

async function fetchToken (auth: TokenAuth,
  refreshToken: string | undefined, post: TokenPoster, redactor: Redactor): Promise<CachedToken> {
  const form: Record<string, string> = auth.type === 'oauth2_refresh_token'
    ? { grant_type: 'refresh_token', refresh_token: refreshToken ?? auth.refreshToken }
    : { grant_type: 'client_credentials' }
  if (auth.scopes !== undefined && auth.scopes.length > 0) form.scope = auth.scopes.join(' ')
  form.client_id = auth.clientId
  form.client_secret = auth.clientSecret
  const started = Date.now()
  const response = await post(auth.tokenUrl, form, {})
  const body = (response.body ?? {}) as Record<string, unknown>
  const accessToken = body.access_token
  if (response.status < 200 || response.status >= 300 || typeof accessToken !== 'string' || accessToken === '') {
    const reason = typeof body.error === 'string' ? ` (${redactor.redact(body.error.slice(0, 100))})` : ''
    throw new UpstreamAuthError(`OAuth2 token request failed with status ${response.status}${reason}.`, response.status >= 400 ? response.status : 401, redactUrl(auth.tokenUrl))
  }
  redactor.add(accessToken)
  const expiresIn = typeof body.expires_in === 'number' ? body.expires_in * 1000 : Number(body.expires_in) * 1000
  const token: CachedToken = {
    accessToken,
    expiresAt: started + (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : DEFAULT_TOKEN_LIFETIME_MS)
  }
  if (typeof body.refresh_token === 'string') { token.refreshToken = body.refresh_token; redactor.add(body.refresh_token) }
  return token
}

/** Headers/params that authenticate one request. */
export async function authParts (auth: AuthConfig, deps: { cache: TokenCache, post: TokenPoster, redactor: Redactor, fingerprint: string }): Promise<AuthParts> {
  switch (auth.type) {
    case 'none': return { headers: {}, params: {} }
    case 'bearer': return { headers: { authorization: `Bearer ${auth.token}` }, params: {} }
    case 'api_key': {
      if (auth.in === 'query') return { headers: {}, params: { [auth.name]: auth.key } }
      const value = auth.scheme !== undefined && auth.scheme !== '' ? `${auth.scheme} ${auth.key}` : auth.key
      return { headers: { [auth.name.toLowerCase()]: value }, params: {} }
    }
    case 'basic':
      return { headers: { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` }, params: {} }
    case 'oauth2_refresh_token':
    case 'oauth2_client_credentials': {
      const { cache, fingerprint } = deps
      const token = await cache.get(fingerprint, async () => await fetchToken(auth, cache.peek(fingerprint)?.refreshToken, deps.post, deps.redactor))
      deps.redactor.add(token.accessToken)
      return { headers: { authorization: `Bearer ${token.accessToken}` }, params: {} }
    }
  }
}
