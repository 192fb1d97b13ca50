/**
 * POST /v1/sources/{source_type}/sync: stream one table as NDJSON (lines in src/sync/lines.ts).
 * Everything checkable is checked before the first byte (unknown source or table, bad config, sync
 * type or incremental field the table does not offer, a foreign resume token): those are 4xx problems.
 * After the headers, failures are in-band: exactly one terminal line, `end` or `error`.
 *
 * Cancellation: a client that disconnects aborts the engine run (pending upstream requests and queued
 * limiter jobs); shutdown (app.lifecycle) ends in-flight streams with a retryable error line and
 * their last state. `request.signal` is not used: fastify aborts it once a request body was read.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AbortedError, ServiceUnavailableError } from '../errors.js'
import { problemResponses } from '../plugins/problems.js'
import { parseConfig } from '../sources/config.js'
import { SyncLineSchema } from '../sync/lines.js'
import { NDJSON_CONTENT_TYPE, NdjsonWriter } from '../sync/ndjson-writer.js'
import { resolveIncrementalField } from '../sources/tables.js'
import { checkWatermarks, findTable, SyncRequestSchema } from '../sync/request.js'
import type { ResumeBinding } from '../sync/resume-state.js'
import { EventLines, streamSync, type SyncOutcome } from '../sync/run-sync.js'
import { fairTurn } from '../engine/index.js'
import { sourceContext } from './context.js'
import { SourceTypeParamsSchema } from './shared.js'
import { withTargetField } from './upstream-failures.js'

const STREAM_DESCRIPTION = 'An application/x-ndjson stream: a `schema` line, then `record`, `state` and `log` lines, then ' +
  'exactly one terminal line (`end` or `error`). A stream without a terminal line was cut. Send a `state` line\'s ' +
  '`state` back as `resume_state` to continue right after its page.'

export const syncRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/sources/:source_type/sync', {
    schema: {
      operationId: 'syncTable',
      tags: ['sync'],
      summary: 'Stream one table as NDJSON, with resume states and new watermarks',
      description: STREAM_DESCRIPTION,
      params: SourceTypeParamsSchema,
      body: SyncRequestSchema,
      response: {
        200: { description: STREAM_DESCRIPTION, content: { [NDJSON_CONTENT_TYPE]: { schema: SyncLineSchema } } },
        ...problemResponses(400, 404, 502, 503)
      }
    }
  }, async (request, reply) => {
    // Setting a sync up (config, catalog, client) takes its turn too: a burst of syncs starting together shares the loop.
    const turn = fairTurn()
    if (turn !== undefined) await turn
    const body = request.body
    const source = app.registry.get(request.params.source_type)
    const config = parseConfig(source.fields, source.prepareConfig?.(body.config) ?? body.config)
    const syncType = body.sync_type ?? 'full_refresh'

    const run = new AbortController()
    const events = new EventLines()
    const ctx = sourceContext(app, request, reply, source, { signal: run.signal, onEvent: events.onEvent })

    const table = findTable(await source.getSchemas(config, ctx).catch((error: unknown) => { throw withTargetField(error, source, config) }), source.name, body.schema)
    const incremental = resolveIncrementalField(table, syncType, body.incremental_field)
    checkWatermarks(incremental, body)
    const definition = source.definitionDigest?.(config)
    const binding: ResumeBinding = {
      source: source.name,
      schema: table.name,
      syncType,
      incrementalField: incremental?.field ?? null,
      requested: { lastValue: body.last_value ?? null, earliestValue: body.earliest_value ?? null },
      ...(definition === undefined ? {} : { definition })
    }
    const resumeToken = body.resume_state ?? null
    const resumed = resumeToken === null ? null : app.resumeTokens.decode(resumeToken, binding)
    if (app.lifecycle.shuttingDown) throw new ServiceUnavailableError('The service is shutting down; retry the sync on another instance.')

    const response = await source.sourceForPipeline(config, {
      schema: table.name,
      syncType,
      ...(incremental === null ? {} : { incrementalField: incremental.field }),
      ...(body.last_value === undefined ? {} : { lastValue: body.last_value }),
      ...(body.earliest_value === undefined ? {} : { earliestValue: body.earliest_value }),
      resumeState: resumed?.engine ?? null,
      ...(body.limits?.max_pages === undefined ? {} : { maxPages: body.limits.max_pages }),
      rowsAsText: true
    }, ctx)

    // From here on the answer is the stream.
    reply.hijack()
    const writer = new NdjsonWriter(reply.raw, run.signal)
    const onClose = (): void => { if (!reply.raw.writableFinished) run.abort(new AbortedError('The client disconnected.')) }
    const onShutdown = (): void => { run.abort(app.lifecycle.signal.reason) }
    reply.raw.on('close', onClose)
    if (reply.raw.destroyed) onClose() // the client left while the sync was being prepared
    app.lifecycle.signal.addEventListener('abort', onShutdown, { once: true })
    if (app.lifecycle.shuttingDown) onShutdown() // shutdown began while the sync was being prepared
    const started = Date.now()
    app.metrics.syncStarted(source.name, table.name)
    let outcome: SyncOutcome = 'failed'
    request.log.info({ source: source.name, schema: table.name, syncType, resumed: resumed !== null, limits: body.limits }, 'sync started')
    try {
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = String(value)
      writer.start(headers)
      const summary = await streamSync({
        source,
        binding,
        tokens: app.resumeTokens,
        response,
        incremental,
        resumedFrom: resumed === null || resumeToken === null ? null : { token: resumeToken, watermarks: resumed.watermarks },
        limits: { ...(body.limits?.max_rows === undefined ? {} : { maxRows: body.limits.max_rows }), ...(body.limits?.max_pages === undefined ? {} : { maxPages: body.limits.max_pages }) },
        writer,
        run,
        shutdown: app.lifecycle.signal,
        events,
        log: ctx.log,
        onPage: (rows) => { app.metrics.syncPage(source.name, table.name, rows) },
        progressLogIntervalMs: app.settings.SYNC_PROGRESS_LOG_INTERVAL_MS
      })
      outcome = summary.outcome
      request.accessOutcome = summary.outcome
      request.log[summary.outcome === 'failed' ? 'warn' : 'info']({
        source: source.name,
        schema: table.name,
        syncType,
        outcome: summary.outcome,
        rows: summary.rows,
        pages: summary.pages,
        code: summary.terminal?.type === 'error' ? summary.terminal.code : undefined,
        drainWaits: writer.drainWaits,
        durationMs: Date.now() - started
      }, 'sync finished')
    } catch (error) {
      request.log.error({ err: error }, 'sync stream failed')
      writer.abandon()
    } finally {
      app.metrics.syncFinished(source.name, table.name, outcome)
      run.abort(new AbortedError('The sync stream ended.'))
      reply.raw.off('close', onClose)
      app.lifecycle.signal.removeEventListener('abort', onShutdown)
    }
    return reply
  })
}
