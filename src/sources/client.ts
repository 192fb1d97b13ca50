/**
 * What every API source does the same way when it talks to its vendor: pick the base URL (a URL typed
 * into the form wins over the operator's UPSTREAM_BASE_URLS override, which wins over the vendor's
 * default) and bind an engine client to the run's signal, logger, event sink and retry policy (interactive
 for credential checks, so no source has to ask for it).
 */
import type { ClientOptions, RestClient } from '../engine/types.js'
import type { SourceContext } from './types.js'

export function chooseBaseUrl (typed: string | undefined, ctx: Pick<SourceContext, 'baseUrlOverride'>, fallback: string): string {
  const trimmed = typed?.trim()
  const base = trimmed !== undefined && trimmed !== '' ? trimmed : ctx.baseUrlOverride ?? fallback
  return base.replace(/\/+$/, '')
}

export function sourceClient (options: ClientOptions, ctx: SourceContext): RestClient {
  return ctx.services.createClient(options, {
    signal: ctx.signal,
    log: ctx.log,
    ...(ctx.onEvent === undefined ? {} : { onEvent: ctx.onEvent }),
    ...(ctx.interactive === true ? { interactive: true } : {})
  })
}
