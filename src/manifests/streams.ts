/**
 * One `DeclarativeStream` → one definition endpoint: the requester's path, params, headers and body;
 * the record selector; the paginator; a substream's parent (fan-out); a datetime cursor (incremental
 * field and its request params); AddFields / RemoveFields. A problem anywhere makes this stream
 * unavailable (the caller decides whether the whole manifest still loads).
 */
import type { ExpressionNode as Node, FanOutDecl, ParamValue, ResponseAction } from '../engine/index.js'
import type { AuthDecl, DefinitionEndpoint, ParamRef, TextValue } from '../sources/definition.js'
import { child, field, items, pointerOf, refuseKeys, stringList, typeOf, type Component } from './components.js'
import { classify, compileAt, literalAt, ManifestProblems, pathFrom, type ValueRef } from './expressions.js'
import { cursorAt, intervalKeysAt, type Cursor, type Interval } from './cursor.js'
import { paginatorAt } from './paginator.js'
import { authAt, baseUrlAt, errorHandlingAt, textValueAt, type ErrorHandling } from './requester.js'
import { escapePointer } from './references.js'

export interface StreamTranslation {
  /** The stream's Airbyte name and its table name (snake_case). */
  streamName: string
  table: string
  pointer: string
  endpoint?: DefinitionEndpoint
  baseUrl?: string
  auth?: AuthDecl
  errors?: ErrorHandling
  /** Path placeholders filled from the config. */
  pathParams: Record<string, TextValue>
  /** The parent stream of a substream (its component, to translate when it is not listed itself). */
  parent?: { name: string, component: Component }
  problems: string[]
}

const PARTITION_ROOTS = ['stream_partition', 'stream_slice']
const INTERVAL_ROOTS = ['stream_interval', 'stream_slice']

/** snake_case table name of an Airbyte stream name ("Job Stages" → job_stages). */
export function tableName (name: string): string {
  const snake = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '')
  return /^[a-z]/.test(snake) ? snake : `t_${snake}`
}

interface Partition { parentKey: string, partitionField: string, queryParam?: string, parentName: string }

function toParam (ref: ValueRef): ParamRef {
  return ref as ParamRef
}

/** `{{ stream_partition.x }}`-style access of one of `roots`: the key, else undefined. */
function rootKey (node: Node | null, roots: readonly string[]): string | undefined {
  if (node === null) return undefined
  const path = pathFrom(node, roots)
  return path !== undefined && !path.includes('.') ? path : undefined
}

class StreamReader {
  readonly problems = new ManifestProblems()
  readonly pathParams: Record<string, TextValue> = {}
  partition?: Partition
  interval: Interval = {}
  /** Keys of `stream_interval` that name the start and end (DatetimeBasedCursor partition_field_start/end). */
  readonly intervalKeys: { start: string, end: string }

  constructor (readonly stream: Component) {
    this.intervalKeys = intervalKeysAt(stream, this.problems)
  }

  /** The requester's path: config parts become placeholders filled from client path params, partition parts the fan-out's. */
  path (requester: Component): string | undefined {
    const raw = field(requester, 'path') ?? ''
    const pointer = pointerOf(requester, 'path')
    if (typeof raw !== 'string') { this.problems.add(pointer, 'must be a string'); return undefined }
    const template = compileAt(raw, pointer, this.problems)
    if (template === undefined) return undefined
    let out = ''
    for (const part of template.parts) {
      if (part.kind === 'text') { out += part.text; continue }
      const classified = classify(`{{ ${part.source} }}`, requester.parameters, pointer, this.problems)
      if (classified?.kind === 'literal') { out += String(classified.value ?? ''); continue }
      const configField = classified?.kind === 'ref' && classified.ref !== null && typeof classified.ref === 'object' && 'field' in classified.ref ? classified.ref.field : undefined
      if (configField !== undefined) {
        out += `{${configField}}`
        this.pathParams[configField] = { field: configField }
        continue
      }
      const key = rootKey(part.node, PARTITION_ROOTS)
      if (key !== undefined && this.partition !== undefined && key === this.partition.partitionField) { out += `{${key}}`; continue }
      this.problems.add(pointer, `unsupported part "{{ ${part.source} }}" (a path may use config values, parameters and the partition field)`)
      return undefined
    }
    return out
  }

  /** request_parameters → params; interval and partition values become the cursor's and fan-out's params. */
  params (requester: Component): Record<string, ParamRef> | undefined {
    const raw = field(requester, 'request_parameters')
    const pointer = pointerOf(requester, 'request_parameters')
    if (raw === undefined || raw === null) return undefined
    if (typeof raw !== 'object' || Array.isArray(raw)) { this.problems.add(pointer, 'must be an object of param → value (an interpolated string of a whole object is not supported)'); return undefined }
    const out: Record<string, ParamRef> = {}
    for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
      const at = `${pointer}/${escapePointer(name)}`
      const classified = classify(value, requester.parameters, at, this.problems)
      if (classified === undefined) continue
      if (classified.kind === 'literal') {
        if (classified.value === undefined || (typeof classified.value === 'object' && classified.value !== null)) { this.problems.add(at, 'must be a string, number or boolean'); continue }
        out[name] = classified.value as ParamValue
        continue
      }
      if (classified.kind === 'ref') { out[name] = toParam(classified.ref); continue }
      const node = classified.template.expression
      const intervalKey = rootKey(node, INTERVAL_ROOTS)
      if (intervalKey === this.intervalKeys.start) { this.interval.startParam = name; continue }
      if (intervalKey === this.intervalKeys.end) { this.interval.endParam = name; continue }
      const partitionKey = rootKey(node, PARTITION_ROOTS)
      if (partitionKey !== undefined && this.partition !== undefined && partitionKey === this.partition.partitionField) { this.partition.queryParam = name; continue }
      this.problems.add(at, `unsupported value (reads ${classified.names.join(', ')}): a request param may use config values, parameters, the partition field and the cursor interval's start and end`)
    }
    return out
  }

  headers (requester: Component): Record<string, TextValue> | undefined {
    const raw = field(requester, 'request_headers')
    if (raw === undefined || raw === null) return undefined
    if (typeof raw !== 'object' || Array.isArray(raw)) { this.problems.add(pointerOf(requester, 'request_headers'), 'must be an object of header → value'); return undefined }
    const holder: Component = { value: raw as Record<string, unknown>, pointer: pointerOf(requester, 'request_headers'), parameters: requester.parameters }
    const out: Record<string, TextValue> = {}
    for (const name of Object.keys(raw)) {
      const value = textValueAt(holder, name, this.problems)
      if (value !== undefined) out[name] = value
    }
    return out
  }

  body (requester: Component): Record<string, unknown> | undefined {
    const raw = field(requester, 'request_body_json')
    if (raw === undefined || raw === null) return undefined
    const pointer = pointerOf(requester, 'request_body_json')
    const fixed = (value: unknown, at: string): unknown => {
      if (Array.isArray(value)) return value.map((v, i) => fixed(v, `${at}/${i}`))
      if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fixed(v, `${at}/${escapePointer(k)}`)]))
      return literalAt(value, requester.parameters, at, this.problems)
    }
    const out = fixed(raw, pointer)
    if (out === null || typeof out !== 'object' || Array.isArray(out)) { this.problems.add(pointer, 'must be an object'); return undefined }
    return out as Record<string, unknown>
  }

  primaryKeys (): string[] | undefined {
    const raw = field(this.stream, 'primary_key')
    const pointer = pointerOf(this.stream, 'primary_key')
    const list = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : []
    const keys: string[] = []
    for (const key of list) {
      if (typeof key === 'string') keys.push(key)
      else if (Array.isArray(key) && key.length === 1 && typeof key[0] === 'string') keys.push(key[0])
      else { this.problems.add(pointer, 'nested primary key paths are not supported (name top-level fields)'); return undefined }
    }
    if (keys.length === 0) { this.problems.add(pointer, 'is required: this service merges rows by primary key'); return undefined }
    return keys
  }

  selector (retriever: Component): string | undefined {
    const selector = child(retriever, 'record_selector')
    if (selector === undefined) return undefined
    if (typeOf(selector, ['RecordSelector'], this.problems, 'RecordSelector') === undefined) return undefined
    refuseKeys(selector, { record_filter: 'record filters (an expression evaluated per row) are not supported' }, this.problems)
    const extractor = child(selector, 'extractor')
    if (extractor === undefined) return undefined
    if (typeOf(extractor, ['DpathExtractor'], this.problems, 'DpathExtractor') === undefined) return undefined
    const path = field(extractor, 'field_path') ?? []
    if (!Array.isArray(path)) { this.problems.add(pointerOf(extractor, 'field_path'), 'must be a list of keys'); return undefined }
    const keys = path.map((key, i) => literalAt(key, extractor.parameters, `${pointerOf(extractor, 'field_path')}/${i}`, this.problems))
    if (keys.some((k) => typeof k !== 'string' || k.includes('.'))) { this.problems.add(pointerOf(extractor, 'field_path'), 'keys must be strings without dots'); return undefined }
    return keys.join('.')
  }

  partitionRouter (retriever: Component): void {
    const raw = retriever.value.partition_router
    if (raw === undefined || raw === null) return
    if (Array.isArray(raw)) { this.problems.add(pointerOf(retriever, 'partition_router'), 'a list of partition routers is not supported (one SubstreamPartitionRouter)'); return }
    const router = child(retriever, 'partition_router')
    if (router === undefined || typeOf(router, ['SubstreamPartitionRouter'], this.problems) === undefined) return
    const configs = items(router, 'parent_stream_configs')
    if (configs.length !== 1) { this.problems.add(pointerOf(router, 'parent_stream_configs'), 'exactly one parent stream is supported'); return }
    const config = configs[0] as Component
    if (typeOf(config, ['ParentStreamConfig'], this.problems, 'ParentStreamConfig') === undefined) return
    refuseKeys(config, { extra_fields: 'extra parent fields in the partition', lazy_read_pointer: 'lazy reads of embedded child records' }, this.problems)
    const parentKey = literalAt(config.value.parent_key, config.parameters, pointerOf(config, 'parent_key'), this.problems)
    const partitionField = literalAt(config.value.partition_field, config.parameters, pointerOf(config, 'partition_field'), this.problems)
    const parent = child(config, 'stream')
    const parentName = parent === undefined ? undefined : field(parent, 'name')
    if (typeof parentKey !== 'string' || typeof partitionField !== 'string' || parent === undefined || typeof parentName !== 'string') {
      this.problems.add(config.pointer, 'needs stream (with a name), parent_key and partition_field')
      return
    }
    this.partition = { parentKey, partitionField, parentName }
    this.parentComponent = parent
    const option = child(config, 'request_option')
    if (option !== undefined) {
      if (option.value.inject_into !== 'request_parameter') { this.problems.add(pointerOf(option, 'inject_into'), `unsupported ${JSON.stringify(option.value.inject_into)} (only request_parameter)`); return }
      const name = literalAt(option.value.field_name, option.parameters, pointerOf(option, 'field_name'), this.problems)
      if (typeof name === 'string') this.partition.queryParam = name
    }
  }

  parentComponent?: Component

  cursor (params: Record<string, ParamRef>): Cursor | undefined {
    return cursorAt(this.stream, this.interval, params, this.problems)
  }

  transformations (): { addFields?: Record<string, string>, removeFields?: string[], fromParent?: Record<string, string> } {
    const out: { addFields?: Record<string, string>, removeFields?: string[], fromParent?: Record<string, string> } = {}
    for (const t of items(this.stream, 'transformations')) {
      const type = typeOf(t, ['AddFields', 'RemoveFields'], this.problems)
      if (type === 'RemoveFields') {
        refuseKeys(t, { condition: 'conditional removal' }, this.problems)
        const pointers = Array.isArray(t.value.field_pointers) ? t.value.field_pointers : []
        for (const [i, p] of pointers.entries()) {
          const keys = stringList(p)
          if (keys?.length !== 1) { this.problems.add(`${pointerOf(t, 'field_pointers')}/${i}`, 'only top-level fields can be removed'); continue }
          (out.removeFields ??= []).push(keys[0] as string)
        }
      }
      if (type !== 'AddFields') continue
      for (const added of items(t, 'fields')) {
        const path = stringList(added.value.path)
        const at = pointerOf(added, 'value')
        if (path?.length !== 1) { this.problems.add(pointerOf(added, 'path'), 'only a top-level field can be added'); continue }
        const template = typeof added.value.value === 'string' ? compileAt(added.value.value, at, this.problems) : undefined
        const node = template?.expression ?? null
        const fromRecord = node === null ? undefined : pathFrom(node, ['record'])
        const fromPartition = rootKey(node, PARTITION_ROOTS)
        if (fromRecord !== undefined) (out.addFields ??= {})[path[0] as string] = fromRecord
        else if (fromPartition !== undefined && this.partition !== undefined && fromPartition === this.partition.partitionField) (out.fromParent ??= {})[path[0] as string] = this.partition.parentKey
        else this.problems.add(at, 'only {{ record[…] }} and {{ stream_partition.<partition_field> }} values are supported')
      }
    }
    return out
  }
}

export function translateStream (stream: Component): StreamTranslation {
  const reader = new StreamReader(stream)
  const problems = reader.problems
  const rawName = field(stream, 'name')
  const streamName = typeof rawName === 'string' && rawName !== '' ? rawName : ''
  const base: StreamTranslation = { streamName, table: tableName(streamName || 'stream'), pointer: stream.pointer, pathParams: reader.pathParams, problems: problems.list }
  if (typeOf(stream, ['DeclarativeStream'], problems, 'DeclarativeStream') === undefined) return base
  if (streamName === '') { problems.add(pointerOf(stream, 'name'), 'is required'); return base }
  const retriever = child(stream, 'retriever')
  if (retriever === undefined) { problems.add(pointerOf(stream, 'retriever'), 'is required'); return base }
  if (typeOf(retriever, ['SimpleRetriever'], problems, 'SimpleRetriever') === undefined) return base
  const decoder = child(retriever, 'decoder')
  if (decoder !== undefined) typeOf(decoder, ['JsonDecoder'], problems)
  const requester = child(retriever, 'requester')
  if (requester === undefined) { problems.add(pointerOf(retriever, 'requester'), 'is required'); return base }
  if (typeOf(requester, ['HttpRequester'], problems, 'HttpRequester') === undefined) return base
  refuseKeys(requester, {
    request_body_data: 'form-encoded request bodies', request_body: 'request body components (use request_body_json)',
    query_properties: 'query property chunking', fetch_properties_from_endpoint: 'properties fetched from an endpoint'
  }, problems)
  const method = field(requester, 'http_method') ?? 'GET'
  if (method !== 'GET' && method !== 'POST') problems.add(pointerOf(requester, 'http_method'), `unsupported ${JSON.stringify(method)} (GET or POST)`)
  reader.partitionRouter(retriever)
  const baseUrl = baseUrlAt(requester, problems)
  const auth = authAt(requester, problems)
  const errors = errorHandlingAt(requester, problems)
  const path = reader.path(requester)
  const params = reader.params(requester) ?? {}
  const headers = reader.headers(requester)
  const json = reader.body(requester)
  const primaryKeys = reader.primaryKeys()
  const dataSelector = reader.selector(retriever)
  const paging = paginatorAt(retriever, method === 'POST' ? 'POST' : 'GET', problems)
  const cursor = reader.cursor(params)
  const transformed = reader.transformations()
  const partition = reader.partition
  let fanOut: FanOutDecl | undefined
  if (partition !== undefined) {
    const parentTable = tableName(partition.parentName)
    const inPath = path?.includes(`{${partition.partitionField}}`) === true
    if (!inPath && partition.queryParam === undefined) problems.add(`${retriever.pointer}/partition_router`, `the partition field "${partition.partitionField}" is used neither in the path nor in a request param`)
    const renames: Record<string, string> = {}
    for (const [column, parentField] of Object.entries(transformed.fromParent ?? {})) renames[`_${parentTable}_${parentField.replaceAll('.', '_')}`] = column
    fanOut = {
      parent: parentTable,
      resolveParam: inPath ? partition.partitionField : partition.queryParam ?? partition.partitionField,
      resolveField: partition.parentKey,
      ...(inPath ? {} : { resolveIn: 'query' as const }),
      ...(Object.keys(renames).length === 0 ? {} : { includeFromParent: [...new Set(Object.values(transformed.fromParent ?? {}))], renames })
    }
  }
  if (problems.list.length > 0 || path === undefined || primaryKeys === undefined || paging === undefined || auth === undefined || baseUrl === undefined) {
    return { ...base, ...(partition === undefined || reader.parentComponent === undefined ? {} : { parent: { name: partition.parentName, component: reader.parentComponent } }) }
  }
  const responseActions: ResponseAction[] = errors.responseActions
  const endpoint: DefinitionEndpoint = {
    name: base.table,
    label: streamName,
    path: path === '' ? '/' : path,
    ...(method === 'POST' ? { method: 'POST' as const } : {}),
    ...(Object.keys(params).length === 0 ? {} : { params }),
    ...(headers === undefined || Object.keys(headers).length === 0 ? {} : { headers }),
    ...(json === undefined ? {} : { json }),
    ...(dataSelector === undefined || dataSelector === '' ? {} : { dataSelector, dataSelectorRequired: false }),
    paginator: paging.paginator,
    ...(paging.pageSize === undefined ? {} : { pageSize: paging.pageSize }),
    ...(paging.stopOnShortPage === true ? { stopOnShortPage: true } : {}),
    primaryKeys,
    ...(cursor === undefined ? {} : { incrementalFields: cursor.fields }),
    ...(cursor?.windows === undefined ? {} : { timeWindows: cursor.windows }),
    ...(responseActions.length === 0 ? {} : { responseActions }),
    ...(fanOut === undefined ? {} : { fanOut }),
    ...(transformed.addFields === undefined ? {} : { addFields: transformed.addFields }),
    ...(transformed.removeFields === undefined ? {} : { removeFields: transformed.removeFields })
  }
  return {
    ...base,
    endpoint,
    baseUrl,
    auth,
    errors,
    ...(partition === undefined || reader.parentComponent === undefined ? {} : { parent: { name: partition.parentName, component: reader.parentComponent } })
  }
}
