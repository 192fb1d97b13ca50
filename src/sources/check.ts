/**
 * The credential check as data (definition `check`): steps sent in order, a per-parent step for each
 * parent with bounded concurrency, and answers mapped to friendly outcomes by status, vendor message
 * or body shape. A status no outcome names fails the check with the engine's typed error (a 401/403 is
 * turned into a rejected credential by the route; anything else says the vendor failed).
 */
import { formatPath, getPath, type HttpResult, type Params, type RestClient, type Row } from '../engine/index.js'
import { UpstreamHttpError } from '../errors.js'
import type { CheckDecl, CheckOutcome, CheckStep, ParamRef, TextValue } from './definition.js'
import type { CredentialCheck } from './types.js'

export interface CheckContext {
  client: RestClient
  baseUrl: string
  /** A static parent list's rows and the key naming each parent in messages. */
  parents: (name: string) => { key: string, rows: Row[] }
  resolveParams: (params: Record<string, ParamRef> | undefined) => Params
  resolveHeaders: (headers: Record<string, TextValue> | undefined) => Record<string, string>
  pathParams: Record<string, string>
}

function statusMatches (outcome: CheckOutcome, status: number): boolean {
  if (outcome.status === undefined) return true
  return Array.isArray(outcome.status) ? outcome.status.includes(status) : outcome.status === status
}

function findOutcome (outcomes: readonly CheckOutcome[], answer: { status: number, vendorMessage: string, unexpectedBody: boolean }): CheckOutcome | undefined {
  return outcomes.find((outcome) => {
    if ((outcome.unexpectedBody ?? false) !== answer.unexpectedBody) return false
    if (!answer.unexpectedBody && !statusMatches(outcome, answer.status)) return false
    if (outcome.vendorMessage !== undefined && !answer.vendorMessage.toLowerCase().includes(outcome.vendorMessage.toLowerCase())) return false
    return true
  })
}

function fill (message: string, values: Record<string, string>): string {
  return message.replace(/\{(parent|base_url)\}/g, (whole, name: string) => values[name] ?? whole)
}

function hasShape (body: unknown, step: CheckStep): boolean {
  if (step.expect === undefined) return true
  const value = getPath(body, step.dataSelector)
  return step.expect === 'list' ? Array.isArray(value) : value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** Every status some outcome names is accepted, so it comes back as an answer instead of an error. */
function namedStatuses (outcomes: readonly CheckOutcome[]): number[] {
  return outcomes.flatMap((o) => (o.status === undefined ? [] : Array.isArray(o.status) ? o.status : [o.status])).filter((s) => s >= 300)
}

interface StepRun { step: CheckStep, outcomes: readonly CheckOutcome[], values: Record<string, string>, parent: string }

async function send (ctx: CheckContext, run: StepRun): Promise<{ problem: CredentialCheck | null, body: unknown }> {
  const { step, outcomes, values, parent } = run
  const path = formatPath(step.path, (name) => values[name] ?? ctx.pathParams[name])
  let result: HttpResult
  try {
    result = await ctx.client.request({
      method: step.method ?? 'GET',
      path,
      params: ctx.resolveParams(step.params),
      headers: ctx.resolveHeaders(step.headers)
    }, { acceptStatuses: namedStatuses(outcomes) })
  } catch (error) {
    // A refusal no outcome names by status may still be named by a status-free outcome with a vendor message.
    if (!(error instanceof UpstreamHttpError)) throw error
    const outcome = findOutcome(outcomes.filter((o) => o.status !== undefined || o.vendorMessage !== undefined),
      { status: error.status, vendorMessage: error.vendorMessage ?? '', unexpectedBody: false })
    if (outcome === undefined) throw error
    return { problem: { valid: false, code: outcome.code, message: fill(outcome.message, { parent, base_url: ctx.baseUrl }) }, body: undefined }
  }
  const ok = result.status >= 200 && result.status < 300
  const unexpectedBody = ok && !hasShape(result.body, step)
  if (ok && !unexpectedBody) return { problem: null, body: result.body }
  const outcome = findOutcome(outcomes, { status: result.status, vendorMessage: vendorText(result.body), unexpectedBody })
  if (outcome === undefined) {
    return { problem: { valid: false, code: 'UNEXPECTED_RESPONSE', message: `The API answered ${step.path} with HTTP ${result.status}, not as expected.` }, body: undefined }
  }
  return { problem: { valid: false, code: outcome.code, message: fill(outcome.message, { parent, base_url: ctx.baseUrl }) }, body: undefined }
}

function vendorText (body: unknown): string {
  for (const path of ['message', 'error.message', 'detail', 'description', 'errors.0.detail', 'errors.0.message', 'error']) {
    const value = getPath(body, path)
    if (typeof value === 'string') return value
  }
  return ''
}

/** Run a definition's check; the first failing step decides. */
export async function runCheck (check: CheckDecl, ctx: CheckContext): Promise<CredentialCheck> {
  let previous: unknown
  for (const step of check.steps) {
    const outcomes = [...(step.outcomes ?? []), ...(check.outcomes ?? [])]
    const values: Record<string, string> = {}
    if (step.fromPrevious !== undefined) {
      const value = getPath(previous, step.fromPrevious.path)
      if (value === undefined || value === null || value === '') continue
      values[step.fromPrevious.as] = String(value)
    }
    if (step.forEachParent === undefined) {
      const answer = await send(ctx, { step, outcomes, values, parent: '' })
      if (answer.problem !== null) return answer.problem
      previous = answer.body
      continue
    }
    const problem = await forEachParent(ctx, step, outcomes, values, ctx.parents(step.forEachParent))
    if (problem !== null) return problem
  }
  return { valid: true }
}

/** One request per parent (its fields fill the path's placeholders), `concurrency` at a time; the first problem in parent order wins. */
async function forEachParent (ctx: CheckContext, step: CheckStep, outcomes: readonly CheckOutcome[], values: Record<string, string>,
  parents: { key: string, rows: Row[] }): Promise<CredentialCheck | null> {
  const { rows } = parents
  const results: Array<CredentialCheck | null> = new Array(rows.length).fill(null)
  let next = 0
  let failed = false
  const worker = async (): Promise<void> => {
    while (!failed && next < rows.length) {
      const index = next++
      const row = rows[index] as Row
      const own: Record<string, string> = { ...values }
      for (const [name, value] of Object.entries(row)) if (own[name] === undefined && value !== null && typeof value !== 'object') own[name] = String(value)
      const answer = await send(ctx, { step, outcomes, values: own, parent: String(getPath(row, parents.key) ?? '') })
      results[index] = answer.problem
      if (answer.problem !== null) failed = true
    }
  }
  await Promise.all(Array.from({ length: Math.min(step.concurrency ?? 4, rows.length) }, worker))
  return results.find((r) => r !== null) ?? null
}
