/**
 * Deterministic data for the GitHub fake: repositories with issues (some of them pull requests), pull
 * requests with reviews, commits, releases, branches, tags, contributors, stargazers, issue comments and
 * workflow runs, shaped like the REST API's responses (API version 2022-11-28). Same spec → same data.
 */

export interface FakeRepoSpec {
  owner: string
  name: string
  private?: boolean
  /** No commits: `/commits` answers 409 and every other list is empty. */
  empty?: boolean
  issues?: number
  /** How many of the issues are pull requests (they also appear in `/pulls`). */
  pulls?: number
  commits?: number
  releases?: number
  branches?: number
  tags?: number
  contributors?: number
  stargazers?: number
  comments?: number
  runs?: number
  /** Reviews per pull request. */
  reviewsPerPull?: number
}

export type Json = Record<string, unknown>

export interface FakeRepo {
  spec: FakeRepoSpec
  id: number
  fullName: string
  repository: Json
  issues: Json[]
  pulls: Json[]
  commits: Json[]
  releases: Json[]
  branches: Json[]
  tags: Json[]
  contributors: Json[]
  stargazers: Array<{ starred_at: string, user: Json }>
  comments: Json[]
  runs: Json[]
  /** Reviews by pull request number. */
  reviews: Map<number, Json[]>
}

export const API_ORIGIN_PLACEHOLDER = 'https://api.github.test'
const BASE_TIME = Date.parse('2024-01-01T00:00:00Z')
const HOUR = 3_600_000

/** ISO 8601 without milliseconds, as GitHub writes timestamps. */
export function isoSeconds (ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** Mulberry32: a small deterministic PRNG (the Stripe fake's data uses it too). */
export function rng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function hex (random: () => number, length: number): string {
  let out = ''
  while (out.length < length) out += Math.floor(random() * 16).toString(16)
  return out
}

function user (id: number, login: string): Json {
  return {
    login,
    id,
    node_id: `U_${id}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    url: `${API_ORIGIN_PLACEHOLDER}/users/${login}`,
    html_url: `https://github.com/${login}`,
    type: 'User',
    site_admin: false
  }
}

const USERS = Array.from({ length: 40 }, (_, i) => user(9000 + i, `dev-${i}`))

export function buildRepo (spec: FakeRepoSpec, index: number): FakeRepo {
  const random = rng(index * 7919 + 17)
  const id = 100_000 + index
  const fullName = `${spec.owner}/${spec.name}`
  const apiRepo = `${API_ORIGIN_PLACEHOLDER}/repos/${fullName}`
  const created = BASE_TIME + index * 24 * HOUR
  const empty = spec.empty === true
  const count = (n: number | undefined, fallback: number): number => empty ? 0 : (n ?? fallback)
  const idBase = (kind: number): number => kind * 10_000_000 + index * 100_000
  const pick = (): Json => USERS[Math.floor(random() * USERS.length)] as Json

  const owner = user(5000 + index, spec.owner)
  const repository: Json = {
    id,
    node_id: `R_${id}`,
    name: spec.name,
    full_name: fullName,
    private: spec.private === true,
    owner,
    html_url: `https://github.com/${fullName}`,
    description: `Fake repository ${fullName}`,
    fork: false,
    url: apiRepo,
    created_at: isoSeconds(created),
    updated_at: isoSeconds(created + 500 * HOUR),
    pushed_at: isoSeconds(created + 400 * HOUR),
    default_branch: 'main',
    visibility: spec.private === true ? 'private' : 'public',
    stargazers_count: count(spec.stargazers, 12),
    watchers_count: count(spec.stargazers, 12),
    forks_count: 0,
    open_issues_count: 0,
    archived: false,
    disabled: false
  }

  // Issues: numbers 1..n; the first `pulls` of them are pull requests.
  const issueCount = count(spec.issues, 45)
  const pullCount = Math.min(count(spec.pulls, 12), issueCount)
  const issues: Json[] = []
  const pulls: Json[] = []
  const reviews = new Map<number, Json[]>()
  for (let i = 0; i < issueCount; i++) {
    const number = i + 1
    const createdAt = created + (i + 1) * HOUR
    const updatedAt = createdAt + Math.floor(random() * 900) * HOUR
    const closed = random() < 0.4
    const author = pick()
    const isPull = i < pullCount
    const issue: Json = {
      id: idBase(1) + number,
      node_id: `I_${idBase(1) + number}`,
      url: `${apiRepo}/issues/${number}`,
      html_url: `https://github.com/${fullName}/${isPull ? 'pull' : 'issues'}/${number}`,
      number,
      title: `${isPull ? 'Change' : 'Problem'} ${number} in ${spec.name}`,
      user: author,
      labels: random() < 0.3 ? [{ id: 77, name: 'bug', color: 'd73a4a', default: true }] : [],
      state: closed ? 'closed' : 'open',
      locked: false,
      assignee: null,
      assignees: [],
      comments: 0,
      created_at: isoSeconds(createdAt),
      updated_at: isoSeconds(updatedAt),
      closed_at: closed ? isoSeconds(updatedAt) : null,
      author_association: 'CONTRIBUTOR',
      body: `Body of ${number}`
    }
    if (isPull) {
      issue.pull_request = {
        url: `${apiRepo}/pulls/${number}`,
        html_url: `https://github.com/${fullName}/pull/${number}`,
        diff_url: `https://github.com/${fullName}/pull/${number}.diff`,
        patch_url: `https://github.com/${fullName}/pull/${number}.patch`,
        merged_at: closed ? isoSeconds(updatedAt) : null
      }
      const pullId = idBase(2) + number
      pulls.push({
        id: pullId,
        node_id: `PR_${pullId}`,
        url: `${apiRepo}/pulls/${number}`,
        html_url: `https://github.com/${fullName}/pull/${number}`,
        number,
        state: issue.state,
        locked: false,
        title: issue.title,
        user: author,
        body: issue.body,
        labels: issue.labels,
        created_at: issue.created_at,
        updated_at: issue.updated_at,
        closed_at: issue.closed_at,
        merged_at: closed ? issue.closed_at : null,
        merge_commit_sha: closed ? hex(random, 40) : null,
        draft: false,
        head: { label: `${spec.owner}:feature-${number}`, ref: `feature-${number}`, sha: hex(random, 40) },
        base: { label: `${spec.owner}:main`, ref: 'main', sha: hex(random, 40), repo: { id, full_name: fullName } },
        author_association: 'CONTRIBUTOR'
      })
      const reviewCount = count(spec.reviewsPerPull, 2)
      const list: Json[] = []
      for (let r = 0; r < reviewCount; r++) {
        const reviewId = idBase(3) + number * 100 + r
        list.push({
          id: reviewId,
          node_id: `PRR_${reviewId}`,
          user: pick(),
          body: r % 2 === 0 ? 'Looks good' : 'Please change this',
          state: r % 2 === 0 ? 'APPROVED' : 'CHANGES_REQUESTED',
          html_url: `https://github.com/${fullName}/pull/${number}#pullrequestreview-${reviewId}`,
          pull_request_url: `${apiRepo}/pulls/${number}`,
          submitted_at: isoSeconds(createdAt + (r + 1) * HOUR),
          commit_id: hex(random, 40),
          author_association: 'COLLABORATOR'
        })
      }
      reviews.set(number, list)
    }
    issues.push(issue)
  }

  const commits: Json[] = []
  const commitCount = count(spec.commits, 60)
  for (let i = 0; i < commitCount; i++) {
    const at = created + (i + 1) * 2 * HOUR
    const sha = hex(random, 40)
    const author = pick()
    commits.push({
      sha,
      node_id: `C_${sha}`,
      url: `${apiRepo}/commits/${sha}`,
      html_url: `https://github.com/${fullName}/commit/${sha}`,
      commit: {
        author: { name: author.login, email: `${String(author.login)}@example.com`, date: isoSeconds(at - HOUR) },
        committer: { name: author.login, email: `${String(author.login)}@example.com`, date: isoSeconds(at) },
        message: `Commit ${i + 1}`,
        comment_count: 0
      },
      author,
      committer: author,
      parents: i === 0 ? [] : [{ sha: String((commits[i - 1] as Json).sha) }]
    })
  }

  const releases: Json[] = []
  for (let i = 0; i < count(spec.releases, 5); i++) {
    const at = created + (i + 1) * 100 * HOUR
    releases.push({
      id: idBase(4) + i,
      node_id: `RE_${idBase(4) + i}`,
      tag_name: `v1.${i}.0`,
      name: `Release 1.${i}.0`,
      draft: false,
      prerelease: false,
      author: pick(),
      created_at: isoSeconds(at),
      published_at: isoSeconds(at + HOUR),
      body: `Notes for 1.${i}.0`
    })
  }

  const branches: Json[] = []
  for (let i = 0; i < count(spec.branches, 4); i++) {
    const sha = hex(random, 40)
    branches.push({ name: i === 0 ? 'main' : `branch-${String(i).padStart(3, '0')}`, commit: { sha, url: `${apiRepo}/commits/${sha}` }, protected: i === 0 })
  }

  const tags: Json[] = []
  for (let i = 0; i < count(spec.tags, 5); i++) {
    const sha = hex(random, 40)
    tags.push({
      name: `v1.${i}.0`,
      commit: { sha, url: `${apiRepo}/commits/${sha}` },
      zipball_url: `${apiRepo}/zipball/refs/tags/v1.${i}.0`,
      tarball_url: `${apiRepo}/tarball/refs/tags/v1.${i}.0`,
      node_id: `REF_${sha.slice(0, 12)}`
    })
  }

  const contributors: Json[] = []
  for (let i = 0; i < count(spec.contributors, 6); i++) {
    contributors.push({ ...(USERS[i % USERS.length] as Json), contributions: 100 - i * 3 })
  }

  const stargazers: Array<{ starred_at: string, user: Json }> = []
  for (let i = 0; i < count(spec.stargazers, 12); i++) {
    // A user stars a repository once: stargazers are distinct users.
    stargazers.push({ starred_at: isoSeconds(created + (i + 1) * 5 * HOUR), user: user(20_000 + i, `fan-${i}`) })
  }

  const comments: Json[] = []
  for (let i = 0; i < count(spec.comments, 30); i++) {
    const issueNumber = (i % Math.max(issueCount, 1)) + 1
    const createdAt = created + (i + 1) * 3 * HOUR
    const commentId = idBase(5) + i
    comments.push({
      id: commentId,
      node_id: `IC_${commentId}`,
      url: `${apiRepo}/issues/comments/${commentId}`,
      html_url: `https://github.com/${fullName}/issues/${issueNumber}#issuecomment-${commentId}`,
      issue_url: `${apiRepo}/issues/${issueNumber}`,
      user: pick(),
      created_at: isoSeconds(createdAt),
      updated_at: isoSeconds(createdAt + Math.floor(random() * 600) * HOUR),
      body: `Comment ${i + 1}`,
      author_association: 'CONTRIBUTOR'
    })
  }

  const runs: Json[] = []
  for (let i = 0; i < count(spec.runs, 8); i++) {
    const at = created + (i + 1) * 7 * HOUR
    runs.push({
      id: idBase(6) + i,
      name: 'CI',
      node_id: `WFR_${idBase(6) + i}`,
      head_branch: 'main',
      head_sha: hex(random, 40),
      run_number: i + 1,
      event: 'push',
      status: 'completed',
      conclusion: random() < 0.8 ? 'success' : 'failure',
      workflow_id: 42,
      url: `${apiRepo}/actions/runs/${idBase(6) + i}`,
      created_at: isoSeconds(at),
      updated_at: isoSeconds(at + HOUR),
      run_started_at: isoSeconds(at),
      run_attempt: 1
    })
  }

  return { spec, id, fullName, repository, issues, pulls, commits, releases, branches, tags, contributors, stargazers, comments, runs, reviews }
}

/** The repositories a fake serves unless told otherwise. */
export const DEFAULT_REPOS: FakeRepoSpec[] = [
  // Big enough that every paginated table needs several pages at per_page=100 or at a small per_page.
  { owner: 'octo-org', name: 'alpha', issues: 230, pulls: 40, commits: 150, comments: 120, stargazers: 130, runs: 110, branches: 5, tags: 6 },
  { owner: 'octo-org', name: 'beta' },
  { owner: 'octo-org', name: 'empty', empty: true },
  { owner: 'octo-org', name: 'secret', private: true }
]
