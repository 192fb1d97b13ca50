/**
 * The `Github` source: form, table list, credential check and pipeline handoff. Endpoint facts live in
 * settings.ts, transport in github.ts.
 */
import { existsSync, readFileSync } from 'node:fs'
import type { RestClient } from '../../engine/types.js'
import { UpstreamAuthError } from '../../errors.js'
import type { FieldDecl } from '../fields.js'
import { schemasFromEndpoints } from '../catalog.js'
import { defineSource, type CredentialCheck, type SourceContext } from '../types.js'
import { githubClient, githubSourceResponse, parseRepositories, SOURCE_NAME, type GithubConfig } from './github.js'
import { DEFAULT_API_BASE_URL, GITHUB_ENDPOINTS } from './settings.js'

export const GITHUB_FIELDS = [
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
    caption: 'One or more repositories as owner/name, separated by commas or new lines.'
  },
  {
    type: 'url',
    name: 'api_base_url',
    label: 'API base URL',
    required: false,
    placeholder: DEFAULT_API_BASE_URL,
    caption: 'Only for GitHub Enterprise Server, e.g. https://github.example.com/api/v3. Leave empty for github.com.'
  }
] as const satisfies readonly FieldDecl[]

const PERMISSIONS_HINT = 'A classic token needs the "repo" scope for private repositories; a fine-grained token must include the repository with "Metadata: read" (plus "Contents", "Issues", "Pull requests" and "Actions: read" for those tables).'

function loadIcon (): string {
  // Beside the module (src/, or dist/ as staged by scripts/stage-runtime.sh), else from the source tree.
  const candidates = [new URL('./icon.svg', import.meta.url), new URL('../../../src/sources/github/icon.svg', import.meta.url)]
  for (const candidate of candidates) if (existsSync(candidate)) return readFileSync(candidate, 'utf8')
  return ''
}

/** Status → friendly result for `GET /user` (null: the token works). */
function checkUser (status: number): CredentialCheck | null {
  if (status === 401) {
    return { valid: false, code: 'INVALID_CREDENTIALS', message: 'GitHub rejected the personal access token (bad credentials). Check that it was copied whole and has not expired or been revoked.' }
  }
  if (status === 403) {
    return { valid: false, code: 'MISSING_PERMISSION', message: 'GitHub refused the personal access token (403). The token may be blocked by an organization policy or need SSO authorization.' }
  }
  return null
}

function checkRepository (fullName: string, status: number): CredentialCheck | null {
  if (status === 404) {
    return { valid: false, code: 'REPOSITORY_NOT_FOUND', message: `Repository "${fullName}" was not found, or the token cannot see it (GitHub answers 404 for private repositories a token cannot read). ${PERMISSIONS_HINT}` }
  }
  if (status === 403) {
    return { valid: false, code: 'MISSING_PERMISSION', message: `The token may not read repository "${fullName}" (403): the organization may require SSO authorization or approval of fine-grained tokens. ${PERMISSIONS_HINT}` }
  }
  if (status === 401) return checkUser(401)
  return null
}

/** GET with 404 accepted; a 401/403 (never retried as a rate limit) comes back as its status. */
async function statusOf (client: RestClient, path: string): Promise<number> {
  try {
    return (await client.request({ method: 'GET', path }, { acceptStatuses: [404] })).status
  } catch (error) {
    if (error instanceof UpstreamAuthError) return error.status
    throw error
  }
}

async function validateCredentials (config: GithubConfig, ctx: SourceContext): Promise<CredentialCheck> {
  const refs = parseRepositories(config.repositories)
  const client = githubClient(config, ctx)
  const userProblem = checkUser(await statusOf(client, '/user'))
  if (userProblem !== null) return userProblem
  for (const ref of refs) {
    const problem = checkRepository(ref.full_name, await statusOf(client, `/repos/${ref.full_name}`))
    if (problem !== null) return problem
  }
  return { valid: true }
}

export const githubSource = defineSource({
  name: SOURCE_NAME,
  fields: GITHUB_FIELDS,
  getSourceConfig: () => ({
    name: SOURCE_NAME,
    label: 'GitHub',
    caption: 'Sync issues, pull requests, commits, releases, stargazers, workflow runs and more from GitHub repositories.',
    category: 'Engineering & monitoring',
    iconPath: '/static/services/github.svg',
    docsUrl: 'https://docs.github.com/en/rest',
    releaseStatus: 'beta',
    betaSource: true,
    keywords: ['github', 'git', 'issues', 'pull requests', 'commits'],
    permissionsCaption: PERMISSIONS_HINT,
    suggestedTables: [{ table: 'issues' }, { table: 'pull_requests' }, { table: 'commits' }],
    fields: GITHUB_FIELDS.map((field) => ({ ...field }))
  }),
  validateCredentials,
  getSchemas: async () => schemasFromEndpoints(GITHUB_ENDPOINTS),
  sourceForPipeline: async (config, inputs, ctx) => githubSourceResponse(config, inputs, ctx),
  // Matched against engine errors ("Upstream returned 401 for GET <url>: Bad credentials."). Only
  // vendor messages and statuses that a rate limit never produces: an exhausted 403 limit stays retryable.
  getNonRetryableErrors: () => new Map<string, string | null>([
    ['Bad credentials', 'GitHub rejected the personal access token (bad credentials). Reconnect the source with a valid token.'],
    ['Requires authentication', 'GitHub did not accept the personal access token. Reconnect the source with a valid token.'],
    ['returned 401 for', 'GitHub rejected the personal access token (HTTP 401). Reconnect the source with a valid token.'],
    ['Resource not accessible by personal access token', `The token lacks a permission this table needs. ${PERMISSIONS_HINT}`],
    ['SAML enforcement', 'The organization requires SSO: authorize the token for the organization in GitHub settings.'],
    ['returned 404 for', `A repository was not found or the token cannot see it. ${PERMISSIONS_HINT}`]
  ]),
  assets: { 'github.svg': { contentType: 'image/svg+xml', body: loadIcon() } }
})
