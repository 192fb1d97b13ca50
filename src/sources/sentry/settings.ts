/**
 * The Sentry endpoint catalog, as definition data (api_inventory.md says where each fact was checked).
 * Organisation-level tables come first, then the per-project fan-out (rows carry `project_id` and
 * `project_slug`), then the per-issue fan-out with a hard page cap. `{organization}` in every path is the
 * configured organisation (the definition's `client.pathParams`). Every list pages with Sentry's cursor
 * `Link` header, which always names a next page: its `results="false"` attribute is the stop signal.
 */
import type { FanOutDecl } from '../../engine/declarations.js'
import type { DefinitionEndpoint, EndpointDefaults } from '../definition.js'

export const DEFAULT_API_BASE_URL = 'https://sentry.io'
/** Most pages of events read per issue (100 a page, newest first); reaching it logs `page_cap_reached`. */
export const ISSUE_EVENTS_PAGE_CAP = 5
/** Sentry caps `per_page` (issues: `limit`) at 100. */
export const MAX_PAGE_SIZE = 100

const ORG = '/api/0/organizations/{organization}'
const PROJECT = '/api/0/projects/{organization}/{project}'

/** Pages of 100 through the cursor Link header, stopping where the next part says results="false". */
export const SENTRY_DEFAULTS = {
  paginator: { type: 'link_header', stopWhen: { attribute: 'results', value: 'false' } },
  pageSize: { param: 'per_page', value: MAX_PAGE_SIZE }
} as const satisfies EndpointDefaults

/** Fan-out over the organisation's projects, copying the project's id and slug onto every child row. */
const perProject: FanOutDecl = {
  parent: 'projects',
  resolveParam: 'project',
  resolveField: 'slug',
  includeFromParent: ['id', 'slug'],
  renames: { _projects_id: 'project_id', _projects_slug: 'project_slug' },
  concurrency: 4
}

const byDateCreated = { partitionKey: 'dateCreated', partitionMode: 'datetime', partitionFormat: 'month' } as const

export const SENTRY_ENDPOINTS = [
  {
    name: 'projects',
    label: 'Projects',
    path: `${ORG}/projects/`,
    primaryKeys: ['id'],
    ...byDateCreated
  },
  {
    name: 'teams',
    label: 'Teams',
    path: `${ORG}/teams/`,
    primaryKeys: ['id'],
    ...byDateCreated
  },
  {
    name: 'members',
    label: 'Members',
    description: 'Organisation members and pending invitations (an invitation has `user: null`).',
    path: `${ORG}/members/`,
    primaryKeys: ['id'],
    ...byDateCreated
  },
  {
    name: 'releases',
    label: 'Releases',
    path: `${ORG}/releases/`,
    primaryKeys: ['id'],
    ...byDateCreated
  },
  {
    name: 'environments',
    label: 'Environments',
    description: 'Every environment of the organisation, hidden ones included.',
    path: `${ORG}/environments/`,
    params: { visibility: 'all' },
    // One unpaginated list.
    paginator: { type: 'single_page' },
    pageSize: null,
    primaryKeys: ['id']
  },
  {
    name: 'monitors',
    label: 'Cron monitors',
    path: `${ORG}/monitors/`,
    primaryKeys: ['id'],
    ...byDateCreated
  },
  {
    name: 'issues',
    label: 'Issues',
    description: 'Issues of every status (an empty query lifts the default is:unresolved), most recently seen first; incremental on lastSeen.',
    path: `${ORG}/issues/`,
    params: { query: '', sort: 'date' },
    pageSize: { param: 'limit', value: MAX_PAGE_SIZE },
    // Sentry's time filter needs both ends (start without end is a 400): the window is [last value, now].
    incrementalFields: [{ field: 'lastSeen', label: 'Last seen', type: 'datetime', param: 'start', endAtNowParam: 'end', converter: 'iso_no_millis' }],
    primaryKeys: ['id'],
    partitionKey: 'firstSeen',
    partitionMode: 'datetime',
    partitionFormat: 'month',
    // sort=date is last seen, newest first; the API offers no ascending order.
    sortMode: 'desc'
  },
  {
    name: 'project_events',
    label: 'Project events',
    description: 'Error events of every project, newest first (full refresh: the endpoint documents no time filter).',
    path: `${PROJECT}/events/`,
    fanOut: perProject,
    // An event id is unique only within its project.
    primaryKeys: ['project_id', 'id'],
    ...byDateCreated
  },
  {
    name: 'project_client_keys',
    label: 'Project client keys',
    description: 'Client keys (DSNs) of every project; the legacy secret key is not copied.',
    path: `${PROJECT}/keys/`,
    fanOut: perProject,
    primaryKeys: ['id'],
    ...byDateCreated
  },
  {
    name: 'issue_events',
    label: 'Issue events',
    description: `The newest events of every issue (at most ${ISSUE_EVENTS_PAGE_CAP * MAX_PAGE_SIZE} per issue).`,
    path: `${ORG}/issues/{issue_id}/events/`,
    fanOut: {
      parent: 'issues',
      resolveParam: 'issue_id',
      resolveField: 'id',
      includeFromParent: ['id', 'project.id'],
      renames: { _issues_id: 'issue_id', _issues_project_id: 'project_id' },
      // Most issues need one request: more parents at once than the budget's 5 in flight keeps the budget full.
      concurrency: 8
    },
    primaryKeys: ['issue_id', 'id'],
    pageCap: ISSUE_EVENTS_PAGE_CAP,
    ...byDateCreated,
    // One request per issue (and more for busy ones): chosen explicitly.
    shouldSyncDefault: false
  }
] as const satisfies readonly DefinitionEndpoint[]

export type SentryTable = typeof SENTRY_ENDPOINTS[number]['name']
