/**
 * The `Github` source: its definition (form, client, credential check, error rules) registered with
 * defineRestSource. The endpoint catalog lives in settings.ts, the one hook in github.ts.
 */
import type { SourceDefinition } from '../definition.js'
import { defineRestSource } from '../rest-source.js'
import { githubHooks } from './github.js'
import {
  DEFAULT_API_BASE_URL, GITHUB_API_VERSION, GITHUB_DEFAULTS, GITHUB_ENDPOINTS, GITHUB_MEDIA_TYPE, MAX_REPOSITORIES, REPOSITORY_PARENT
} from './settings.js'

export const SOURCE_NAME = 'Github'

const PERMISSIONS_HINT = 'A classic token needs the "repo" scope for private repositories; a fine-grained token must include the repository with "Metadata: read" (plus "Contents", "Issues", "Pull requests" and "Actions: read" for those tables).'
const REJECTED = 'GitHub rejected the personal access token (bad credentials). Check that it was copied whole and has not expired or been revoked.'

/**
 * Request budget per token, from GitHub's secondary limits: at most 900 points a minute for REST (a GET
 * costs 1) and no more than 100 concurrent requests (we stay far below). The hourly primary budget
 * (5,000 per token) is enforced from `x-ratelimit-remaining` / `x-ratelimit-reset` by the engine.
 */
export const GITHUB_BUDGET = { reservoir: 900, intervalMs: 60_000, maxConcurrent: 8 }

export const GITHUB_DEFINITION = {
  name: SOURCE_NAME,
  label: 'GitHub',
  caption: 'Sync issues, pull requests, commits, releases, stargazers, workflow runs and more from GitHub repositories.',
  category: 'Engineering & monitoring',
  icon: 'icon.svg',
  docsUrl: 'https://docs.github.com/en/rest',
  releaseStatus: 'beta',
  betaSource: true,
  keywords: ['github', 'git', 'issues', 'pull requests', 'commits'],
  permissionsCaption: PERMISSIONS_HINT,
  suggestedTables: [{ table: 'issues' }, { table: 'pull_requests' }, { table: 'commits' }],
  fields: [
    {
      type: 'password',
      name: 'personal_access_token',
      label: 'Personal access token',
      required: true,
      placeholder: 'github_pat_...',
      secret: true,
      caption: 'A fine-grained token with read access (Metadata, Contents, Issues, Pull requests, Actions) to the repositories, or a classic token with the `repo` scope for private repositories.'
    },
    {
      type: 'textarea',
      name: 'repositories',
      label: 'Repositories',
      required: true,
      placeholder: 'octo-org/website\nocto-org/api',
      caption: `One or more repositories as owner/name, separated by commas or new lines (at most ${MAX_REPOSITORIES}).`
    },
    {
      type: 'url',
      name: 'api_base_url',
      label: 'API base URL',
      required: false,
      placeholder: DEFAULT_API_BASE_URL,
      caption: 'Only for GitHub Enterprise Server, e.g. https://github.example.com/api/v3. Leave empty for github.com.'
    }
  ],
  client: {
    baseUrl: { default: DEFAULT_API_BASE_URL, field: 'api_base_url' },
    auth: { type: 'bearer', token: { field: 'personal_access_token' } },
    headers: { Accept: GITHUB_MEDIA_TYPE, 'X-GitHub-Api-Version': GITHUB_API_VERSION },
    budgets: { default: GITHUB_BUDGET },
    rateLimitHeaders: { remaining: 'x-ratelimit-remaining', reset: 'x-ratelimit-reset', resetKind: 'epoch_seconds' },
    // GitHub signals an exhausted primary limit with 403 as well as 429 (x-ratelimit-remaining: 0).
    rateLimitStatuses: [403, 429]
  },
  defaults: GITHUB_DEFAULTS,
  endpoints: GITHUB_ENDPOINTS,
  parents: { [REPOSITORY_PARENT]: { field: 'repositories', key: 'full_name', maxItems: MAX_REPOSITORIES } },
  check: {
    steps: [
      { path: '/user' },
      { path: '/repos/{full_name}', forEachParent: REPOSITORY_PARENT, concurrency: 4 }
    ],
    outcomes: [
      { status: 401, code: 'INVALID_CREDENTIALS', message: REJECTED },
      { status: 404, code: 'REPOSITORY_NOT_FOUND', message: `Repository "{parent}" was not found, or the token cannot see it (GitHub answers 404 for private repositories a token cannot read). ${PERMISSIONS_HINT}` },
      { status: 403, code: 'MISSING_PERMISSION', message: `The token may not read repository "{parent}" (403): the organization may require SSO authorization or approval of fine-grained tokens. ${PERMISSIONS_HINT}` }
    ]
  },
  // Only vendor messages and statuses a rate limit never produces: an exhausted 403 limit stays retryable.
  errors: [
    { status: 401, vendorMessage: 'Bad credentials', message: 'GitHub rejected the personal access token (bad credentials). Reconnect the source with a valid token.' },
    { status: 401, message: 'GitHub rejected the personal access token (HTTP 401). Reconnect the source with a valid token.' },
    { status: 403, vendorMessage: 'Resource not accessible by personal access token', message: `The token lacks a permission this table needs. ${PERMISSIONS_HINT}` },
    { status: 403, vendorMessage: 'SAML enforcement', message: 'The organization requires SSO: authorize the token for the organization in GitHub settings.' },
    { status: 404, message: `A repository was not found or the token cannot see it. ${PERMISSIONS_HINT}` }
  ]
} as const satisfies SourceDefinition

export const githubSource = defineRestSource(GITHUB_DEFINITION, githubHooks, { baseDir: new URL('.', import.meta.url) })
