/**
 * Deterministic data for the Sentry fake: one organisation with projects, teams, members (pending
 * invites have `user: null`), releases, environments (one hidden), cron monitors, issues and their
 * events, and each project's client keys — shaped like the REST API's responses (see
 * src/sources/sentry/api_inventory.md). Same spec and same day → same data. Timestamps are relative to
 * the start of the current UTC day, because Sentry only lists issues seen in the last 90 days unless told
 * otherwise: everything here is at most 60 days old.
 */
import { createHash } from 'node:crypto'

export type Json = Record<string, unknown>

export interface FakeProjectSpec {
  slug: string
  platform: string | null
  /** Client keys of the project (default 1). */
  keys?: number
}

export interface FakeOrgSpec {
  slug?: string
  projects?: FakeProjectSpec[]
  teams?: number
  members?: number
  releases?: number
  monitors?: number
  issues?: number
  /** The first issue gets this many events instead of 1–4 (page caps). */
  hotIssueEvents?: number
}

export interface FakeOrg {
  slug: string
  id: string
  projects: Json[]
  teams: Json[]
  members: Json[]
  releases: Json[]
  environments: Json[]
  monitors: Json[]
  issues: Json[]
  /** Events of every issue, newest first, by issue id. */
  eventsByIssue: Map<string, Json[]>
  /** Events of every project, newest first, by project slug. */
  eventsByProject: Map<string, Json[]>
  keysByProject: Map<string, Json[]>
  /** Epoch ms the timestamps count back from. */
  anchor: number
}

export const DEFAULT_PROJECTS: FakeProjectSpec[] = [
  { slug: 'web', platform: 'javascript-react', keys: 2 },
  { slug: 'api', platform: 'python-django' },
  { slug: 'empty', platform: null }
]

const DAY = 86_400_000
const MINUTE = 60_000

/** ISO 8601 with seconds, as Sentry writes most timestamps. */
export function isoSeconds (ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function hex (seed: string, length = 32): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length)
}

const LEVELS = ['error', 'warning', 'fatal', 'info'] as const
const STATUSES = ['unresolved', 'unresolved', 'resolved', 'ignored'] as const
const ENVIRONMENTS = ['production', 'staging', 'development']

function projectRow (org: string, spec: FakeProjectSpec, i: number, anchor: number, teams: Json[]): Json {
  const team = teams[i % Math.max(teams.length, 1)]
  const teamRef = team === undefined ? null : { id: team.id, name: team.name, slug: team.slug }
  return {
    id: String(4501 + i),
    slug: spec.slug,
    name: spec.slug.charAt(0).toUpperCase() + spec.slug.slice(1),
    platform: spec.platform,
    dateCreated: new Date(anchor - (300 - i) * DAY).toISOString(),
    isBookmarked: i === 0,
    isMember: true,
    features: ['alert-filters', 'minidump', 'servicehooks'],
    firstEvent: spec.platform === null ? null : new Date(anchor - (59 - i) * DAY).toISOString(),
    firstTransactionEvent: i === 0,
    access: ['project:read', 'event:read'],
    hasAccess: true,
    hasMinifiedStackTrace: i === 0,
    hasMonitors: i < 2,
    hasProfiles: false,
    hasReplays: i === 0,
    hasSessions: i < 2,
    isInternal: false,
    isPublic: false,
    avatar: { avatarType: 'letter_avatar', avatarUuid: null },
    color: `#${hex(`${org}/${spec.slug}/color`, 6)}`,
    status: 'active',
    team: teamRef,
    teams: teamRef === null ? [] : [teamRef]
  }
}

function teamRow (i: number, anchor: number): Json {
  const slug = ['backend', 'frontend', 'mobile', 'platform', 'data'][i % 5] + (i >= 5 ? `-${i}` : '')
  return {
    id: String(100 + i),
    slug,
    name: slug.replace(/-/g, ' '),
    dateCreated: new Date(anchor - (400 - i) * DAY).toISOString(),
    isMember: i % 2 === 0,
    teamRole: i % 2 === 0 ? 'contributor' : null,
    flags: { 'idp:provisioned': false },
    access: ['event:read', 'project:read'],
    hasAccess: true,
    isPending: false,
    memberCount: 3 + i,
    avatar: { avatarType: 'letter_avatar', avatarUuid: null }
  }
}

function memberRow (i: number, anchor: number, teams: Json[]): Json {
  const pending = i % 7 === 3
  const role = i === 0 ? 'owner' : i % 10 === 1 ? 'manager' : i % 5 === 2 ? 'admin' : 'member'
  const email = `person${i}@acme.example`
  const joined = anchor - (200 - (i % 150)) * DAY
  return {
    id: String(200000 + i),
    email,
    name: pending ? email : `Person ${i}`,
    user: pending
      ? null
      : {
          id: String(700000 + i),
          name: `Person ${i}`,
          username: email,
          email,
          avatarUrl: `https://gravatar.com/avatar/${hex(email)}?s=32&d=mm`,
          isActive: true,
          hasPasswordAuth: i % 3 !== 0,
          isManaged: false,
          dateJoined: new Date(joined).toISOString(),
          lastLogin: i % 4 === 0 ? null : new Date(anchor - (i % 30) * DAY).toISOString(),
          has2fa: i % 2 === 0,
          lastActive: i % 4 === 0 ? null : new Date(anchor - (i % 30) * DAY).toISOString(),
          isSuperuser: false,
          isStaff: false,
          experiments: {},
          emails: [{ id: String(800000 + i), email, is_verified: true }],
          avatar: { avatarType: 'letter_avatar', avatarUuid: null }
        },
    orgRole: role,
    role,
    roleName: role.charAt(0).toUpperCase() + role.slice(1),
    pending,
    expired: pending && i % 2 === 0,
    flags: { 'idp:provisioned': false, 'idp:role-restricted': false, 'sso:linked': false, 'sso:invalid': false, 'member-limit:restricted': false, 'partnership:restricted': false },
    dateCreated: new Date(joined).toISOString(),
    inviteStatus: pending ? 'requested_to_be_invited' : 'approved',
    inviterName: pending ? 'Person 0' : null,
    teams: teams.length === 0 ? [] : [String(teams[i % teams.length]?.slug)],
    teamRoles: teams.length === 0 ? [] : [{ teamSlug: String(teams[i % teams.length]?.slug), role: null }]
  }
}

function releaseRow (i: number, anchor: number, projects: Json[]): Json {
  const project = projects[i % projects.length] as Json
  const created = anchor - (58 - i) * DAY / 1.5
  const released = i % 3 === 0 ? null : created + 20 * MINUTE
  const sha = hex(`release-${i}`, 40)
  return {
    id: 9000 + i,
    version: `${String(project.slug)}@1.${i}.0`,
    shortVersion: `1.${i}.0`,
    status: 'open',
    versionInfo: { package: String(project.slug), version: { raw: `1.${i}.0`, major: 1, minor: i, patch: 0, pre: null, buildCode: null, components: 3 }, description: `1.${i}.0`, buildHash: null },
    ref: i % 2 === 0 ? sha : null,
    url: null,
    dateCreated: new Date(created).toISOString(),
    dateReleased: released === null ? null : new Date(released).toISOString(),
    data: {},
    newGroups: i % 4,
    owner: null,
    commitCount: i % 2 === 0 ? 3 : 0,
    lastCommit: i % 2 === 0 ? { id: sha, message: `Release ${i}`, dateCreated: new Date(created - MINUTE).toISOString() } : null,
    deployCount: i % 3 === 0 ? 0 : 1,
    lastDeploy: i % 3 === 0 ? null : { id: String(30000 + i), environment: 'production', dateStarted: null, dateFinished: new Date(created + 30 * MINUTE).toISOString(), name: null, url: null },
    authors: [],
    projects: [{ id: Number(project.id), slug: project.slug, name: project.name, newGroups: i % 4, platform: project.platform, platforms: project.platform === null ? [] : [project.platform], hasHealthData: false }],
    firstEvent: i % 5 === 4 ? null : new Date(created + 40 * MINUTE).toISOString(),
    lastEvent: i % 5 === 4 ? null : new Date(created + 3 * DAY).toISOString(),
    currentProjectMeta: {},
    userAgent: null
  }
}

function monitorRow (i: number, anchor: number, projects: Json[], teams: Json[]): Json {
  const project = projects[i % projects.length] as Json
  const slug = ['nightly-backup', 'billing-sync', 'cleanup', 'digest-mails', 'reindex'][i % 5] + (i >= 5 ? `-${i}` : '')
  const created = anchor - (90 - i) * DAY
  const team = teams[i % Math.max(teams.length, 1)]
  return {
    id: `${hex(`monitor-${i}`, 8)}-${hex(`monitor-${i}-b`, 4)}-4${hex(`monitor-${i}-c`, 3)}-8${hex(`monitor-${i}-d`, 3)}-${hex(`monitor-${i}-e`, 12)}`,
    slug,
    name: slug.replace(/-/g, ' '),
    status: i % 4 === 3 ? 'disabled' : 'active',
    isMuted: i % 4 === 2,
    isUpserting: false,
    config: {
      schedule_type: i % 2 === 0 ? 'crontab' : 'interval',
      schedule: i % 2 === 0 ? `${i} 3 * * *` : [1, 'hour'],
      checkin_margin: i % 3 === 0 ? null : 5,
      max_runtime: 30,
      timezone: 'UTC',
      failure_issue_threshold: null,
      recovery_threshold: null,
      alert_rule_id: null
    },
    dateCreated: new Date(created).toISOString(),
    project: { id: project.id, slug: project.slug, name: project.name, platform: project.platform },
    environments: [{
      name: 'production',
      status: i % 4 === 3 ? 'disabled' : 'ok',
      isMuted: false,
      dateCreated: new Date(created).toISOString(),
      lastCheckIn: new Date(anchor - (i + 1) * 60 * MINUTE).toISOString(),
      nextCheckIn: new Date(anchor + 60 * MINUTE).toISOString(),
      nextCheckInLatest: new Date(anchor + 65 * MINUTE).toISOString(),
      activeIncident: null
    }],
    owner: team === undefined || i % 2 === 1 ? null : { type: 'team', id: String(team.id), name: String(team.slug) }
  }
}

function eventRow (issue: Json, n: number, at: number, project: Json): Json {
  const id = hex(`event-${String(issue.id)}-${n}`)
  const withUser = n % 3 !== 0
  return {
    id,
    eventID: id,
    groupID: issue.id,
    projectID: project.id,
    title: issue.title,
    message: n % 2 === 0 ? '' : `${String(issue.title)} (occurrence ${n})`,
    culprit: issue.culprit,
    location: n % 4 === 0 ? null : 'app/handlers.py',
    dateCreated: isoSeconds(at),
    'event.type': 'error',
    platform: project.platform ?? 'other',
    crashFile: null,
    user: withUser ? { id: String(n % 17), email: `user${n % 17}@customer.example`, username: null, ip_address: '{{auto}}', name: null, data: null } : null,
    tags: [
      { key: 'environment', value: ENVIRONMENTS[n % ENVIRONMENTS.length] },
      { key: 'level', value: issue.level },
      { key: 'release', value: `${String(project.slug)}@1.${n % 7}.0` },
      ...(withUser ? [{ key: 'user', value: `id:${n % 17}` }] : [])
    ]
  }
}

function issueRow (org: string, i: number, project: Json, firstSeen: number, lastSeen: number, count: number): Json {
  const status = STATUSES[i % STATUSES.length] as string
  const level = LEVELS[i % LEVELS.length] as string
  const kind = ['TypeError', 'KeyError', 'TimeoutError', 'ValueError', 'ConnectionResetError'][i % 5] as string
  const shortPrefix = String(project.slug).toUpperCase()
  return {
    id: String(6000000 + i),
    shareId: null,
    shortId: `${shortPrefix}-${(i + 1).toString(36).toUpperCase()}`,
    title: `${kind}: failure number ${i}`,
    culprit: `app.handlers in handle_${i % 9}`,
    permalink: `https://${org}.sentry.io/issues/${6000000 + i}/`,
    logger: i % 3 === 0 ? null : 'root',
    level,
    status,
    statusDetails: status === 'ignored' ? { ignoreCount: 10 } : {},
    substatus: status === 'unresolved' ? (i % 2 === 0 ? 'ongoing' : 'new') : status === 'ignored' ? 'archived_until_condition_met' : null,
    isPublic: false,
    platform: project.platform ?? 'other',
    project: { id: project.id, name: project.name, slug: project.slug, platform: project.platform },
    type: 'error',
    metadata: { type: kind, value: `failure number ${i}`, filename: i % 2 === 0 ? 'app/handlers.py' : null, function: `handle_${i % 9}`, in_app_frame_mix: 'mixed' },
    numComments: i % 3,
    assignedTo: i % 4 === 1 ? { type: 'user', id: '700001', name: 'Person 1', email: 'person1@acme.example' } : null,
    isBookmarked: false,
    isSubscribed: i % 2 === 0,
    subscriptionDetails: i % 2 === 0 ? { reason: 'unknown' } : null,
    hasSeen: i % 3 !== 0,
    annotations: [],
    issueType: 'error',
    issueCategory: 'error',
    priority: ['high', 'medium', 'low'][i % 3],
    priorityLockedAt: null,
    isUnhandled: i % 5 === 0,
    count: String(count),
    userCount: Math.floor(count / 2),
    firstSeen: new Date(firstSeen).toISOString(),
    lastSeen: new Date(lastSeen).toISOString(),
    stats: { '24h': [[Math.floor(lastSeen / 3_600_000) * 3600, Math.min(count, 3)]] }
  }
}

function keyRow (org: string, project: Json, i: number, anchor: number): Json {
  const publicKey = hex(`key-${String(project.id)}-${i}`)
  const secretKey = hex(`secret-${String(project.id)}-${i}`)
  const host = `o${4500000}.ingest.sentry.io`
  return {
    id: publicKey,
    name: i === 0 ? 'Default' : `Key ${i}`,
    label: i === 0 ? 'Default' : `Key ${i}`,
    public: publicKey,
    secret: secretKey,
    projectId: Number(project.id),
    isActive: i % 2 === 0,
    rateLimit: i === 1 ? { window: 60, count: 1000 } : null,
    dsn: {
      secret: `https://${publicKey}:${secretKey}@${host}/${String(project.id)}`,
      public: `https://${publicKey}@${host}/${String(project.id)}`,
      csp: `https://${host}/api/${String(project.id)}/csp-report/?sentry_key=${publicKey}`,
      security: `https://${host}/api/${String(project.id)}/security/?sentry_key=${publicKey}`,
      minidump: `https://${host}/api/${String(project.id)}/minidump/?sentry_key=${publicKey}`,
      nel: `https://${host}/api/${String(project.id)}/nel/?sentry_key=${publicKey}`,
      unreal: `https://${host}/api/${String(project.id)}/unreal/${publicKey}/`,
      cdn: `https://js.sentry-cdn.com/${publicKey}.min.js`,
      crons: `https://${host}/api/${String(project.id)}/cron/___MONITOR_SLUG___/${publicKey}/`
    },
    browserSdkVersion: '8.x',
    browserSdk: { choices: [['latest', 'latest'], ['8.x', '8.x'], ['7.x', '7.x']] },
    dateCreated: new Date(anchor - (250 - i) * DAY).toISOString(),
    dynamicSdkLoaderOptions: { hasReplay: i === 0, hasPerformance: true, hasDebug: false },
    useCase: 'user',
    organization: org
  }
}

export function buildOrg (spec: FakeOrgSpec = {}, anchor = Math.floor(Date.now() / DAY) * DAY): FakeOrg {
  const slug = spec.slug ?? 'acme'
  const teams = Array.from({ length: spec.teams ?? 4 }, (_, i) => teamRow(i, anchor))
  const projects = (spec.projects ?? DEFAULT_PROJECTS).map((p, i) => projectRow(slug, p, i, anchor, teams))
  const withEvents = projects.filter((p) => p.platform !== null)
  const members = Array.from({ length: spec.members ?? 200 }, (_, i) => memberRow(i, anchor, teams))
  const releases = Array.from({ length: spec.releases ?? 45 }, (_, i) => releaseRow(i, anchor, withEvents.length > 0 ? withEvents : projects))
  const environments = [...ENVIRONMENTS, 'qa'].map((name, i) => ({ id: String(10 + i), name, isHidden: name === 'qa' }))
  const monitors = Array.from({ length: spec.monitors ?? 5 }, (_, i) => monitorRow(i, anchor, projects, teams))
  const issues: Json[] = []
  const eventsByIssue = new Map<string, Json[]>()
  const eventsByProject = new Map<string, Json[]>(projects.map((p) => [String(p.slug), []]))
  const issueCount = withEvents.length === 0 ? 0 : spec.issues ?? 120
  for (let i = 0; i < issueCount; i++) {
    const project = withEvents[i % withEvents.length] as Json
    const count = i === 0 && spec.hotIssueEvents !== undefined ? spec.hotIssueEvents : (i % 4) + 1
    // Issue i was last seen (i % 50) days and (i * 7 + 60) minutes before the anchor; its earlier events
    // go back 37 minutes apart (one minute apart for a hot issue).
    const last = anchor - (i % 50) * DAY - (i * 7 + 60) * MINUTE
    const gap = count > 10 ? MINUTE : 37 * MINUTE
    const times = Array.from({ length: count }, (_, n) => last - n * gap)
    const issue = issueRow(slug, i, project, times[times.length - 1] as number, last, count)
    const events = times.map((at, n) => eventRow(issue, n, at, project))
    issues.push(issue)
    eventsByIssue.set(String(issue.id), events)
    eventsByProject.get(String(project.slug))?.push(...events)
  }
  for (const list of eventsByProject.values()) list.sort((a, b) => Date.parse(String(b.dateCreated)) - Date.parse(String(a.dateCreated)) || String(a.id).localeCompare(String(b.id)))
  const keysByProject = new Map(projects.map((p, i) => [String(p.slug), Array.from({ length: (spec.projects ?? DEFAULT_PROJECTS)[i]?.keys ?? 1 }, (_, k) => keyRow(slug, p, k, anchor))]))
  return { slug, id: '4500000', projects, teams, members, releases, environments, monitors, issues, eventsByIssue, eventsByProject, keysByProject, anchor }
}
