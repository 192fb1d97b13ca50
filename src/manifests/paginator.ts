/**
 * Airbyte paginators → engine paginators: `NoPagination` → single page; `DefaultPaginator` with
 * `PageIncrement` → page numbers, `OffsetIncrement` → offset/limit, `CursorPagination` → the engine's
 * `expression` paginator (the cursor and stop condition compiled once, evaluated once per page).
 */
import type { PaginatorDecl } from '../engine/index.js'
import { MACROS } from '../engine/index.js'
import { child, pointerOf, typeOf, type Component } from './components.js'
import { compileAt, literalAt, type ManifestProblems } from './expressions.js'

/** Names a cursor expression may read, as Airbyte documents them for CursorPagination. */
const CURSOR_NAMES = new Set(['response', 'headers', 'last_record', 'last_page_size', 'last_page_token_value', 'next_page_token', 'parameters'])

export interface PaginatorTranslation {
  paginator: PaginatorDecl
  pageSize?: { param: string, value: number }
  stopOnShortPage?: boolean
}

function positiveInteger (value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined
}

function queryParamOf (option: Component | undefined, problems: ManifestProblems, what: string): string | undefined {
  if (option === undefined) return undefined
  if (typeOf(option, ['RequestOption'], problems, 'RequestOption') === undefined) return undefined
  if (option.value.inject_into !== 'request_parameter') {
    problems.add(pointerOf(option, 'inject_into'), `unsupported ${JSON.stringify(option.value.inject_into)} for the ${what} (only request_parameter)`)
    return undefined
  }
  const name = literalAt(option.value.field_name, option.parameters, pointerOf(option, 'field_name'), problems)
  return typeof name === 'string' && name !== '' ? name : undefined
}

const INJECT: Record<string, 'query' | 'header' | 'json'> = { request_parameter: 'query', header: 'header', body_json: 'json' }

export function paginatorAt (retriever: Component, method: 'GET' | 'POST', problems: ManifestProblems): PaginatorTranslation | undefined {
  const p = child(retriever, 'paginator')
  if (p === undefined) return { paginator: { type: 'single_page' } }
  const type = typeOf(p, ['NoPagination', 'DefaultPaginator'], problems, 'DefaultPaginator')
  if (type === 'NoPagination') return { paginator: { type: 'single_page' } }
  if (type === undefined) return undefined
  const strategy = child(p, 'pagination_strategy')
  if (strategy === undefined) { problems.add(pointerOf(p, 'pagination_strategy'), 'is required'); return undefined }
  const kind = typeOf(strategy, ['CursorPagination', 'PageIncrement', 'OffsetIncrement'], problems)
  if (kind === undefined) return undefined
  const size = strategy.value.page_size === undefined ? undefined : positiveInteger(literalAt(strategy.value.page_size, strategy.parameters, pointerOf(strategy, 'page_size'), problems))
  const sizeParam = queryParamOf(child(p, 'page_size_option'), problems, 'page size')
  const pageSize = size !== undefined && sizeParam !== undefined ? { param: sizeParam, value: size } : undefined
  const token = child(p, 'page_token_option')
  switch (kind) {
    case 'PageIncrement': {
      const pageParam = queryParamOf(token, problems, 'page number')
      if (pageParam === undefined) { if (token === undefined) problems.add(pointerOf(p, 'page_token_option'), 'is required for PageIncrement'); return undefined }
      const start = strategy.value.start_from_page === undefined ? 1 : positiveInteger(literalAt(strategy.value.start_from_page, strategy.parameters, pointerOf(strategy, 'start_from_page'), problems)) ?? 0
      // Airbyte's PageIncrement ends on a page shorter than page_size: the engine's stopOnShortPage, which compares with the sent page size.
      return { paginator: { type: 'page_number', pageParam, basePage: start }, ...(pageSize === undefined ? {} : { pageSize, stopOnShortPage: true }) }
    }
    case 'OffsetIncrement': {
      const offsetParam = queryParamOf(token, problems, 'offset')
      if (offsetParam === undefined) { if (token === undefined) problems.add(pointerOf(p, 'page_token_option'), 'is required for OffsetIncrement'); return undefined }
      if (size === undefined || sizeParam === undefined) { problems.add(strategy.pointer, 'OffsetIncrement needs page_size and a page_size_option (the limit sent with each request)'); return undefined }
      return { paginator: { type: 'offset', offsetParam, limitParam: sizeParam, limit: size } }
    }
    case 'CursorPagination': {
      const cursor = compiledCursor(strategy, 'cursor_value', problems)
      const stop = strategy.value.stop_condition === undefined ? undefined : compiledCursor(strategy, 'stop_condition', problems)
      if (cursor === undefined || (strategy.value.stop_condition !== undefined && stop === undefined)) return undefined
      if (token === undefined) { problems.add(pointerOf(p, 'page_token_option'), 'is required for CursorPagination'); return undefined }
      const tokenType = typeOf(token, ['RequestOption', 'RequestPath'], problems, 'RequestOption')
      if (tokenType === undefined) return undefined
      let inject: 'query' | 'header' | 'json' | 'url' = 'url'
      let param: string | undefined
      if (tokenType === 'RequestOption') {
        const where = INJECT[String(token.value.inject_into)]
        if (where === undefined) { problems.add(pointerOf(token, 'inject_into'), `unsupported ${JSON.stringify(token.value.inject_into)}`); return undefined }
        if (where === 'json' && method !== 'POST') { problems.add(pointerOf(token, 'inject_into'), 'body_json needs http_method POST'); return undefined }
        inject = where
        const name = literalAt(token.value.field_name, token.parameters, pointerOf(token, 'field_name'), problems)
        if (typeof name !== 'string' || name === '') { problems.add(pointerOf(token, 'field_name'), 'is required'); return undefined }
        param = name
      }
      const usesParameters = [cursor, stop].some((t) => t?.names.has('parameters') === true)
      return {
        paginator: {
          type: 'expression',
          cursorValue: cursor.source,
          ...(stop === undefined ? {} : { stopCondition: stop.source }),
          inject,
          ...(param === undefined ? {} : { param }),
          ...(usesParameters ? { variables: { parameters: strategy.parameters } } : {})
        },
        ...(pageSize === undefined ? {} : { pageSize })
      }
    }
  }
}

function compiledCursor (strategy: Component, key: string, problems: ManifestProblems): ReturnType<typeof compileAt> {
  const raw = strategy.value[key]
  const pointer = pointerOf(strategy, key)
  if (typeof raw !== 'string' || raw === '') { problems.add(pointer, 'is required (an interpolated string)'); return undefined }
  const template = compileAt(raw, pointer, problems)
  if (template === undefined) return undefined
  const foreign = [...template.names].filter((n) => !CURSOR_NAMES.has(n) && !MACROS.has(n))
  if (foreign.length > 0) {
    problems.add(pointer, `may read ${[...CURSOR_NAMES].join(', ')} and macros; not ${foreign.join(', ')}${foreign.includes('config') ? ' (a page cursor cannot depend on the config here)' : ''}`)
    return undefined
  }
  return template
}
