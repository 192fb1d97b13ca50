/**
 * An Airbyte low-code manifest (`type: DeclarativeSource`, version 0.x–6.x) → a SourceDefinition the
 * engine runs unchanged. Problems outside the streams (spec, check, references, the manifest's own
 * shape) stop the load; a problem inside a stream makes only that stream unavailable, with its reason,
 * unless no stream is left. Every problem starts with the JSON pointer of the part of the file it is about.
 */
import { DefinitionError, type CheckStep, type ClientDecl, type DefinitionEndpoint, type SourceDefinition, type TextValue } from '../sources/definition.js'
import { child, component, items, typeOf, type Component } from './components.js'
import { isObject, ManifestProblems } from './expressions.js'
import { resolveReferences } from './references.js'
import { budgetAt } from './requester.js'
import { specForm, type SpecForm } from './spec-form.js'
import { tableName, translateStream, type StreamTranslation } from './streams.js'

export interface UnavailableStream { stream: string, reason: string }

export interface ManifestTranslation {
  definition: SourceDefinition
  form: SpecForm
  unavailable: UnavailableStream[]
  /** The manifest's url_base with `{field}` placeholders: the base URL every request stays under. */
  baseUrl: string
}

const SUPPORTED_MAJOR_VERSIONS = [0, 1, 2, 3, 4, 5, 6]

/** Top-level keys that need parts of Airbyte this service does not have. */
const UNSUPPORTED_TOP_LEVEL: Record<string, string> = {
  dynamic_streams: 'dynamic streams (streams generated from an API response) are not supported'
}

/** True when a parsed file looks like an Airbyte manifest rather than our own definition format. */
export function isAirbyteManifest (value: unknown): boolean {
  return isObject(value) && (value.type === 'DeclarativeSource' || (Array.isArray(value.streams) && 'check' in value && !('endpoints' in value)))
}

function same (a: unknown, b: unknown): boolean { return JSON.stringify(a) === JSON.stringify(b) }

/** The credential check: each named stream's first request (a substream's root parent). */
function checkSteps (top: Component, byStream: Map<string, StreamTranslation>, endpoints: Map<string, DefinitionEndpoint>, problems: ManifestProblems): CheckStep[] {
  const check = child(top, 'check')
  if (check === undefined) { problems.add('/check', 'is required (a CheckStream naming the streams to read)'); return [] }
  if (typeOf(check, ['CheckStream'], problems, 'CheckStream') === undefined) return []
  const names = Array.isArray(check.value.stream_names) ? check.value.stream_names : []
  if (names.length === 0) problems.add(`${check.pointer}/stream_names`, 'must name at least one stream')
  const steps: CheckStep[] = []
  names.forEach((name, i) => {
    const at = `${check.pointer}/stream_names/${i}`
    const stream = typeof name === 'string' ? byStream.get(name) : undefined
    if (stream === undefined) { problems.add(at, `no stream named ${JSON.stringify(name)}`); return }
    let endpoint = stream.endpoint
    if (endpoint === undefined) { problems.add(at, `stream "${String(name)}" is unavailable: ${stream.problems[0] ?? ''}`); return }
    for (let depth = 0; endpoint?.fanOut !== undefined && endpoint.fanOut !== null && depth < 8; depth++) endpoint = endpoints.get(endpoint.fanOut.parent)
    if (endpoint === undefined) return
    steps.push({
      path: endpoint.path ?? '/',
      ...(endpoint.method === undefined ? {} : { method: endpoint.method }),
      ...(endpoint.params === undefined ? {} : { params: endpoint.params }),
      ...(endpoint.headers === undefined ? {} : { headers: endpoint.headers })
    })
  })
  return steps
}

function checkTop (manifest: Record<string, unknown>, problems: ManifestProblems): void {
  if (manifest.type !== 'DeclarativeSource') problems.add('/type', manifest.type === undefined ? 'is required ("DeclarativeSource")' : `unsupported ${JSON.stringify(manifest.type)}`)
  const version = typeof manifest.version === 'string' ? /^(\d+)\./.exec(manifest.version) : null
  if (version === null) problems.add('/version', 'is required (the CDK version the manifest was written for, 0.x to 6.x)')
  else if (!SUPPORTED_MAJOR_VERSIONS.includes(Number(version[1]))) problems.add('/version', `unsupported "${String(manifest.version)}" (0.x to 6.x)`)
  for (const [key, why] of Object.entries(UNSUPPORTED_TOP_LEVEL)) if (manifest[key] !== undefined) problems.add(`/${key}`, `unsupported: ${why}`)
}

/** Translate a parsed manifest; throws DefinitionError naming every problem that stops the load. */
export function translateManifest (manifest: unknown, name: string, where = `manifest of source "${name}"`): ManifestTranslation {
  const problems = new ManifestProblems()
  if (!isObject(manifest)) throw new DefinitionError([': must be an object'], where)
  checkTop(manifest, problems)
  const resolved = resolveReferences(manifest)
  for (const problem of resolved.problems) problems.list.push(problem)
  const top = component(resolved.value, '', {})
  if (top === undefined || problems.list.length > 0) throw new DefinitionError(problems.list, where)

  const spec = child(top, 'spec')
  let form: SpecForm = { fields: [], shape: {}, defaults: {} }
  if (spec === undefined) problems.add('/spec', 'is required (its connection_specification is the form)')
  else if (typeOf(spec, ['Spec'], problems, 'Spec') !== undefined) {
    const read = specForm(spec.value.connection_specification, `${spec.pointer}/connection_specification`)
    form = read.form
    problems.list.push(...read.problems)
  }

  const streams = items(top, 'streams')
  if (streams.length === 0) problems.add('/streams', 'must list at least one stream')
  const translations = streams.map(translateStream)
  const byStream = new Map<string, StreamTranslation>()
  const unavailable: UnavailableStream[] = []
  for (const t of translations) {
    if (byStream.has(t.streamName) || [...byStream.values()].some((o) => o.table === t.table)) problems.add(t.pointer, `stream "${t.streamName}" is listed twice (or its table name "${t.table}" clashes)`)
    byStream.set(t.streamName, t)
  }
  // A substream's parent that is not listed itself is still needed: it is added as a table not synced by default.
  for (const t of [...byStream.values()]) {
    if (t.parent !== undefined && !byStream.has(t.parent.name)) {
      const parent = translateStream(t.parent.component)
      if (parent.endpoint !== undefined) parent.endpoint = { ...parent.endpoint, shouldSyncDefault: false }
      byStream.set(t.parent.name, parent)
    }
  }
  const available = [...byStream.values()].filter((t) => t.endpoint !== undefined)
  const reference = available[0]
  for (const t of byStream.values()) {
    if (t.endpoint !== undefined && reference !== undefined && t !== reference) {
      if (!same(t.baseUrl, reference.baseUrl)) t.problems.push(`${t.pointer}: its url_base differs from stream "${reference.streamName}"'s (one source has one API root)`)
      else if (!same(t.auth, reference.auth)) t.problems.push(`${t.pointer}: its authenticator differs from stream "${reference.streamName}"'s (one source has one credential)`)
      if (t.problems.length > 0) delete t.endpoint
    }
  }
  // A substream of an unavailable parent is unavailable too (repeat for chains).
  for (let changed = true; changed;) {
    changed = false
    for (const t of byStream.values()) {
      if (t.endpoint === undefined || t.parent === undefined) continue
      if (byStream.get(t.parent.name)?.endpoint === undefined) { t.problems.push(`${t.pointer}: its parent stream "${t.parent.name}" is unavailable`); delete t.endpoint; changed = true }
    }
  }
  for (const t of byStream.values()) if (t.endpoint === undefined) unavailable.push({ stream: t.streamName, reason: t.problems.join('; ') })
  const endpoints = new Map([...byStream.values()].flatMap((t) => t.endpoint === undefined ? [] : [[t.endpoint.name, t.endpoint] as const]))
  if (endpoints.size === 0) {
    for (const t of byStream.values()) problems.list.push(...t.problems)
    if (problems.list.length === 0) problems.add('/streams', 'no stream can be loaded')
    throw new DefinitionError(problems.list, where)
  }

  const steps = checkSteps(top, byStream, endpoints, problems)
  const budget = budgetAt(top, problems)
  if (problems.list.length > 0) throw new DefinitionError(problems.list, where)

  const first = reference as StreamTranslation
  const pathParams: Record<string, TextValue> = {}
  for (const t of byStream.values()) if (t.endpoint !== undefined) Object.assign(pathParams, t.pathParams)
  const waitHeader = first.errors?.waitHeader
  const client: ClientDecl = {
    baseUrl: { default: first.baseUrl as string },
    auth: first.auth ?? { type: 'none' },
    ...(Object.keys(pathParams).length === 0 ? {} : { pathParams }),
    ...(budget === undefined || Object.keys(budget.budget).length === 0 ? {} : { budgets: { default: budget.budget } }),
    ...(budget?.rateLimitStatuses === undefined ? {} : { rateLimitStatuses: budget.rateLimitStatuses }),
    ...(budget?.remaining !== undefined || budget?.reset !== undefined || waitHeader !== undefined
      ? { rateLimitHeaders: { ...(budget?.remaining === undefined ? {} : { remaining: budget.remaining }), ...(budget?.reset ?? waitHeader) === undefined ? {} : { reset: (budget?.reset ?? waitHeader) as string, resetKind: 'delta_seconds' as const } } }
      : {}),
    ...(first.errors?.maxAttempts === undefined ? {} : { retry: { maxAttempts: first.errors.maxAttempts } })
  }
  const title = isObject(spec?.value.connection_specification) && typeof spec.value.connection_specification.title === 'string' ? spec.value.connection_specification.title : name
  const definition: SourceDefinition = {
    name,
    label: title,
    caption: unavailable.length === 0
      ? `Loaded from an Airbyte low-code manifest (${endpoints.size} streams).`
      : `Loaded from an Airbyte low-code manifest. Unavailable streams: ${unavailable.map((u) => u.stream).join(', ')}.`,
    category: 'Custom',
    releaseStatus: 'alpha',
    fields: form.fields as SourceDefinition['fields'],
    client,
    endpoints: [...endpoints.values()],
    check: { steps }
  }
  return { definition, form, unavailable, baseUrl: client.baseUrl.default }
}

export { tableName }
