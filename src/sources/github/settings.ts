/**
 * The GitHub endpoint catalog, as definition data (see api_inventory.md for where each fact was
 * checked). Every table fans out over the configured repositories (the `defaults`); `repository`
 * (owner/name) is copied onto each row by the engine's fan-out. Primary keys are composite where a
 * value is only unique within one repository.
 */
import type { FanOutDecl } from '../../engine/declarations.js'
import type { DefinitionEndpoint, EndpointDefaults } from '../definition.js'

export const GITHUB_API_VERSION = '2022-11-28'
export const DEFAULT_API_BASE_URL = 'https://api.github.com'
export const GITHUB_MEDIA_TYPE = 'application/vnd.github+json'
export const STAR_MEDIA_TYPE = 'application/vnd.github.star+json'
/** Name of the static parent list built from the form's `repositories`: one row per configured repository. */
export const REPOSITORY_PARENT = 'configured_repositories'
/**
 * Most repositories one source may list. Each table fans out over them all, so a sync of 12 tables costs
 * at least 12 requests per repository; 100 keeps one run within GitHub's 900-requests-a-minute budget.
 */
export const MAX_REPOSITORIES = 100
/** Hard page cap per pull request for reviews (100 reviews a page): reaching it logs `page_cap_reached`. */
export const REVIEW_PAGE_CAP = 5


/** Fan-out over the configured repositories, copying `full_name` onto child rows as `repository`. */
const perRepository: FanOutDecl = {
  parent: REPOSITORY_PARENT,
  resolveParam: 'repository',
  resolveField: 'full_name',
  includeFromParent: ['full_name'],
  renames: { [`_${REPOSITORY_PARENT}_full_name`]: 'repository' },
  concurrency: 4
}

const byCreatedAt = { partitionKey: 'created_at', partitionMode: 'datetime', partitionFormat: 'month' } as const

/**
 * A secondary limit may come as a 403 with neither `retry-after` nor `x-ratelimit-remaining: 0`; it is
 * still temporary, so it is retried with backoff instead of failing as a permission error.
 */
const SECONDARY_LIMIT = { status: 403, content: 'secondary rate limit', action: 'retry' } as const

/** What every table shares: Link-header pages of 100, the secondary-limit retry, the per-repository fan-out. */
export const GITHUB_DEFAULTS = {
  // The `rel="last"` link's `page` is the page count (progress totals), and numbers the pages between:
  // those are fetched concurrently, within the budget's 8 requests in flight (api_inventory.md).
  paginator: { type: 'link_header', lastPageParam: 'page', knownPages: true },
  pageSize: { param: 'per_page', value: 100 },
  responseActions: [SECONDARY_LIMIT],
  fanOut: perRepository
} as const satisfies EndpointDefaults

export const GITHUB_ENDPOINTS = [
  {
    name: 'repositories',
    label: 'Repositories',
    description: 'One row per configured repository.',
    path: '/repos/{repository}',
    paginator: { type: 'single_page' },
    pageSize: null,
    primaryKeys: ['id'],
    ...byCreatedAt
  },
  {
    name: 'issues',
    label: 'Issues',
    description: 'Issues and pull requests (pull requests carry a `pull_request` object), incremental on updated_at.',
    path: '/repos/{repository}/issues',
    params: { state: 'all', sort: 'updated', direction: 'asc' },
    incrementalFields: [{ field: 'updated_at', label: 'Updated at', type: 'datetime', param: 'since', converter: 'iso_no_millis' }],
    primaryKeys: ['id'],
    ...byCreatedAt,
    sortMode: 'asc'
  },
  {
    name: 'pull_requests',
    label: 'Pull requests',
    description: 'Pull requests, newest update first; incremental runs stop at the stored updated_at.',
    path: '/repos/{repository}/pulls',
    params: { state: 'all', sort: 'updated', direction: 'desc' },
    // No server-side filter exists for pulls: the engine reads descending pages until one is older than the watermark.
    incrementalFields: [{ field: 'updated_at', label: 'Updated at', type: 'datetime' }],
    primaryKeys: ['id'],
    ...byCreatedAt,
    sortMode: 'desc'
  },
  {
    name: 'commits',
    label: 'Commits',
    description: 'Commits on the default branch, newest first; incremental on the commit date.',
    path: '/repos/{repository}/commits',
    incrementalFields: [{ field: 'commit.committer.date', label: 'Committed at', type: 'datetime', param: 'since', converter: 'iso_no_millis' }],
    // The same sha appears in every fork, so a sha is only unique within one repository.
    primaryKeys: ['repository', 'sha'],
    // Top-level columns for partitioning and merges; the nested originals stay.
    addFields: { authored_at: 'commit.author.date', committed_at: 'commit.committer.date' },
    partitionKey: 'authored_at',
    partitionMode: 'datetime',
    partitionFormat: 'month',
    // GitHub lists commits newest first and has no direction parameter.
    sortMode: 'desc',
    responseActions: [{ status: 409, content: 'Git Repository is empty', action: 'ignore' }]
  },
  {
    name: 'releases',
    label: 'Releases',
    path: '/repos/{repository}/releases',
    primaryKeys: ['id'],
    ...byCreatedAt
  },
  {
    name: 'branches',
    label: 'Branches',
    path: '/repos/{repository}/branches',
    primaryKeys: ['repository', 'name']
  },
  {
    name: 'tags',
    label: 'Tags',
    path: '/repos/{repository}/tags',
    primaryKeys: ['repository', 'name']
  },
  {
    name: 'contributors',
    label: 'Contributors',
    description: 'Contributors by commit count (GitHub caches this data; it may lag by hours).',
    path: '/repos/{repository}/contributors',
    primaryKeys: ['repository', 'id'],
    // An empty repository answers 204 with no body.
    responseActions: [{ status: 204, action: 'ignore' }]
  },
  {
    name: 'stargazers',
    label: 'Stargazers',
    description: 'Who starred each repository, and when (starred_at).',
    path: '/repos/{repository}/stargazers',
    headers: { Accept: STAR_MEDIA_TYPE },
    // With the star media type a row is { starred_at, user }.
    addFields: { user_id: 'user.id', user_login: 'user.login' },
    primaryKeys: ['repository', 'user_id'],
    partitionKey: 'starred_at',
    partitionMode: 'datetime',
    partitionFormat: 'month'
  },
  {
    name: 'issue_comments',
    label: 'Issue comments',
    description: 'Comments on issues and pull requests, incremental on updated_at.',
    path: '/repos/{repository}/issues/comments',
    params: { sort: 'updated', direction: 'asc' },
    incrementalFields: [{ field: 'updated_at', label: 'Updated at', type: 'datetime', param: 'since', converter: 'iso_no_millis' }],
    primaryKeys: ['id'],
    ...byCreatedAt,
    sortMode: 'asc'
  },
  {
    name: 'workflow_runs',
    label: 'Workflow runs',
    description: 'GitHub Actions workflow runs (full refresh: runs change after they are created).',
    path: '/repos/{repository}/actions/runs',
    dataSelector: 'workflow_runs',
    primaryKeys: ['id'],
    ...byCreatedAt
  },
  {
    name: 'pull_request_reviews',
    label: 'Pull request reviews',
    description: 'Reviews of every pull request (repository → pull request → reviews), with hard page caps.',
    path: '/repos/{repository}/pulls/{pull_number}/reviews',
    primaryKeys: ['id'],
    pageCap: REVIEW_PAGE_CAP,
    fanOut: {
      parent: 'pull_requests',
      resolveParam: 'pull_number',
      resolveField: 'number',
      includeFromParent: ['number', 'repository'],
      renames: { _pull_requests_number: 'pull_request_number', _pull_requests_repository: 'repository' },
      parentParams: { state: 'all', sort: 'created', direction: 'asc' },
      concurrency: 4
    },
    shouldSyncDefault: false
  }
] as const satisfies readonly DefinitionEndpoint[]

export type GithubTable = typeof GITHUB_ENDPOINTS[number]['name']
