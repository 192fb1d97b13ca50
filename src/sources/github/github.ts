/**
 * GitHub transport: client options (bearer auth, media type, pinned API version, rate-limit headers,
 * budgets), the configured repositories as the fan-out parent list, row normalisation and the
 * SourceResponse. Pagination, retries and rate-limit waits are the engine's.
 */
import type { ClientOptions, Page, RestClient, Row } from '../../engine/types.js'
import { ValidationError } from '../../errors.js'
import { checkPipelineInputs, findEndpoint, responseMetadata } from '../catalog.js'
import { chooseBaseUrl, sourceClient } from '../client.js'
import type { ConfigOf } from '../fields.js'
import type { PipelineInputs, SourceContext, SourceResponse } from '../types.js'
import type { GITHUB_FIELDS } from './source.js'
import {
  DEFAULT_API_BASE_URL, GITHUB_API_VERSION, GITHUB_ENDPOINTS, GITHUB_MEDIA_TYPE, REPOSITORY_PARENT
} from './settings.js'

export const SOURCE_NAME = 'Github'

/**
 * Request budget per token, from GitHub's secondary limits: at most 900 points a minute for REST (a GET
 * costs 1) and no more than 100 concurrent requests (we stay far below). The hourly primary budget
 * (5,000 per token) is enforced from `x-ratelimit-remaining` / `x-ratelimit-reset` by the engine.
 */
export const GITHUB_BUDGET = { reservoir: 900, intervalMs: 60_000, maxConcurrent: 8 }

export type GithubConfig = ConfigOf<typeof GITHUB_FIELDS>

export interface RepositoryRef {
  owner: string
  name: string
  full_name: string
}

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/
const NAME = /^[A-Za-z0-9._-]{1,100}$/

/**
 * The configured repositories: `owner/name` items separated by commas, whitespace or new lines
 * (a pasted `https://github.com/owner/name` URL is accepted too). Duplicates are dropped, case-insensitively.
 * Throws a ValidationError naming the field and every bad item.
 */
export function parseRepositories (value: string | readonly string[]): RepositoryRef[] {
  const items = (typeof value === 'string' ? [value] : value).flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== '')
  const refs: RepositoryRef[] = []
  const bad: string[] = []
  const seen = new Set<string>()
  for (const item of items) {
    const cleaned = item.replace(/^https?:\/\/[^/]+\//i, '').replace(/\.git$/i, '').replace(/\/+$/, '')
    const [owner, name, ...extra] = cleaned.split('/')
    if (owner === undefined || name === undefined || extra.length > 0 || !OWNER.test(owner) || !NAME.test(name) || name === '.' || name === '..') {
      bad.push(item)
      continue
    }
    const key = `${owner}/${name}`.toLowerCase()
    if (seen.has(key)) continue
    seen.add(key)
    refs.push({ owner, name, full_name: `${owner}/${name}` })
  }
  const path = '/config/repositories'
  if (bad.length > 0) {
    const list = bad.slice(0, 5).map((b) => JSON.stringify(b.slice(0, 120))).join(', ')
    throw new ValidationError([{ path, message: `must list repositories as owner/name; not a repository: ${list}` }])
  }
  if (refs.length === 0) throw new ValidationError([{ path, message: 'must list at least one repository as owner/name' }])
  return refs
}

/** A URL typed into the form wins over the operator's override, which wins over api.github.com. */
export function githubBaseUrl (config: Pick<GithubConfig, 'api_base_url'>, ctx: Pick<SourceContext, 'baseUrlOverride'>): string {
  return chooseBaseUrl(config.api_base_url, ctx, DEFAULT_API_BASE_URL)
}

export function githubClientOptions (config: GithubConfig, ctx: Pick<SourceContext, 'baseUrlOverride'>): ClientOptions {
  return {
    source: SOURCE_NAME,
    baseUrl: githubBaseUrl(config, ctx),
    auth: { type: 'bearer', token: config.personal_access_token },
    headers: { Accept: GITHUB_MEDIA_TYPE, 'X-GitHub-Api-Version': GITHUB_API_VERSION },
    budgets: { default: GITHUB_BUDGET },
    rateLimitHeaders: { remaining: 'x-ratelimit-remaining', reset: 'x-ratelimit-reset', resetKind: 'epoch_seconds' },
    // GitHub signals an exhausted primary limit with 403 as well as 429 (x-ratelimit-remaining: 0).
    rateLimitStatuses: [403, 429]
  }
}

export function githubClient (config: GithubConfig, ctx: SourceContext): RestClient {
  return sourceClient(githubClientOptions(config, ctx), ctx)
}

/** The static parent list the engine fans out over: one row per configured repository. */
export function repositoryParents (refs: readonly RepositoryRef[]): Row[] {
  return refs.map((ref) => ({ full_name: ref.full_name, owner: ref.owner, name: ref.name }))
}

function at (row: Row, path: string): unknown {
  let value: unknown = row
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

/** Table-specific additions that give merges and partitions top-level columns. Original fields stay. */
export function normaliseRow (table: string, row: Row): Row {
  switch (table) {
    case 'commits':
      return { ...row, authored_at: at(row, 'commit.author.date') ?? null, committed_at: at(row, 'commit.committer.date') ?? null }
    case 'stargazers':
      // With the star media type a row is { starred_at, user }.
      return { ...row, user_id: at(row, 'user.id') ?? null, user_login: at(row, 'user.login') ?? null }
    default:
      return row
  }
}

async function * normalisedPages (table: string, pages: AsyncIterable<Page>): AsyncIterable<Page> {
  for await (const page of pages) {
    yield { rows: page.rows.map((row) => normaliseRow(table, row)), state: page.state, progress: page.progress }
  }
}

export function githubSourceResponse (config: GithubConfig, inputs: PipelineInputs, ctx: SourceContext): SourceResponse {
  const endpoint = findEndpoint(GITHUB_ENDPOINTS, inputs.schema, SOURCE_NAME)
  const field = checkPipelineInputs(endpoint, inputs)
  const refs = parseRepositories(config.repositories)
  const client = githubClient(config, ctx)
  const pages = client.pages(endpoint, {
    catalog: GITHUB_ENDPOINTS,
    parents: { [REPOSITORY_PARENT]: repositoryParents(refs) },
    ...(field === null
      ? {}
      : { incremental: { field: field.field, lastValue: inputs.lastValue, earliestValue: inputs.earliestValue } }),
    ...(inputs.resumeState === undefined ? {} : { resumeState: inputs.resumeState }),
    ...(inputs.maxPages === undefined ? {} : { maxPages: inputs.maxPages })
  })
  return { name: endpoint.name, pages: normalisedPages(endpoint.name, pages), ...responseMetadata(endpoint) }
}
