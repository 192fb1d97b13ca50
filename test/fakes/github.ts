/**
 * A fake GitHub REST API (version 2022-11-28) on 127.0.0.1, following the contract in
 * src/sources/github/api_inventory.md: bearer tokens, bare JSON arrays, `per_page` (max 100) and `page`,
 * `Link` headers with next/prev/first/last (absent on a single page) whose absolute URLs switch to the
 * `/repositories/{id}/...` path shape, the documented filters and orders, rate-limit headers on every
 * response, primary (403/429 + remaining 0 + reset) and secondary (retry-after) limits on demand,
 * 401 `Bad credentials`, 404 for repositories the token cannot see, 409 for an empty repository's commits.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { buildRepo, DEFAULT_REPOS, type FakeRepo, type FakeRepoSpec, type Json } from './github-data.js'

export { DEFAULT_REPOS, type FakeRepo, type FakeRepoSpec } from './github-data.js'

export const FAKE_GITHUB_TOKEN = 'github_pat_fake_0123456789abcdefghij'
export const SUPPORTED_API_VERSIONS = ['2022-11-28', '2026-03-10']
const DOCS = 'https://docs.github.com/rest'

export interface TokenGrant {
  login: string
  id: number
  /** Private repositories (owner/name) this token can read; public ones are always readable. */
  privateRepos?: string[]
}

export interface FakeGithubOptions {
  repos?: FakeRepoSpec[]
  /** Valid tokens. Default: FAKE_GITHUB_TOKEN, which can read every repository. */
  tokens?: Record<string, TokenGrant>
  /** Primary budget per token per hour (x-ratelimit-limit). */
  rateLimit?: number
}

export interface LoggedRequest {
  method: string
  /** Path without the query string. */
  path: string
  query: Record<string, string>
  headers: Record<string, string | undefined>
  status: number
  at: number
}

type Injected =
  | { kind: 'primary', status: 403 | 429, resetInSeconds: number }
  | { kind: 'secondary', status: 403 | 429, retryAfterSeconds: number | null }
  | { kind: 'status', status: number, body: Json }

export interface FakeGithub {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  url: string
  token: string
  requests: LoggedRequest[]
  repos: Map<string, FakeRepo>
  repo: (fullName: string) => FakeRepo
  /** The next `count` requests hit an exhausted primary limit (remaining 0, reset in `resetInSeconds`). */
  exhaustPrimary: (options?: { count?: number, status?: 403 | 429, resetInSeconds?: number }) => void
  /** The next `count` requests hit a secondary limit, with `retry-after` unless `retryAfterSeconds` is null. */
  secondaryLimit: (options?: { count?: number, status?: 403 | 429, retryAfterSeconds?: number | null }) => void
  /** The next request answers `status` with `body`. */
  failNext: (status: number, body?: Json) => void
  /** Requests whose path ends with `suffix` (e.g. `/issues`). */
  requestsTo: (suffix: string) => LoggedRequest[]
  close: () => Promise<void>
}

interface Visible { repo: FakeRepo, grant: TokenGrant | null }

function json (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body)
  res.writeHead(status, {
    ...(text === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    'x-github-media-type': 'github.v3; format=json',
    ...headers
  })
  res.end(text)
}

function problem (message: string, status: number, docs = DOCS): Json {
  return { message, documentation_url: docs, status: String(status) }
}

function byTime (field: string, direction: 'asc' | 'desc') {
  return (a: Json, b: Json): number => {
    const d = Date.parse(String(a[field])) - Date.parse(String(b[field]))
    return direction === 'asc' ? d : -d
  }
}

export async function startFakeGithub (options: FakeGithubOptions = {}): Promise<FakeGithub> {
  const specs = options.repos ?? DEFAULT_REPOS
  const repos = new Map<string, FakeRepo>()
  specs.forEach((spec, i) => {
    const repo = buildRepo(spec, i)
    repos.set(repo.fullName.toLowerCase(), repo)
  })
  const byId = new Map([...repos.values()].map((r) => [String(r.id), r]))
  const tokens: Record<string, TokenGrant> = options.tokens ?? {
    [FAKE_GITHUB_TOKEN]: { login: 'octocat', id: 583231, privateRepos: [...repos.values()].map((r) => r.fullName) }
  }
  const limit = options.rateLimit ?? 5000
  const used = new Map<string, number>()
  const resetAt = Math.floor(Date.now() / 1000) + 3600
  const injected: Injected[] = []
  const requests: LoggedRequest[] = []
  let origin = ''

  function rateHeaders (key: string, override?: { remaining: number, reset: number }): Record<string, string> {
    const count = used.get(key) ?? 0
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(override?.remaining ?? Math.max(limit - count, 0)),
      'x-ratelimit-used': String(override === undefined ? count : limit),
      'x-ratelimit-reset': String(override?.reset ?? resetAt),
      'x-ratelimit-resource': 'core'
    }
  }

  function paginate (res: ServerResponse, url: URL, items: unknown[], linkPath: string, rate: Record<string, string>, wrap?: (page: unknown[]) => unknown): void {
    const perPageRaw = Number.parseInt(url.searchParams.get('per_page') ?? '', 10)
    const perPage = Number.isFinite(perPageRaw) && perPageRaw > 0 ? Math.min(perPageRaw, 100) : 30
    const pageRaw = Number.parseInt(url.searchParams.get('page') ?? '', 10)
    const page = Number.isFinite(pageRaw) && pageRaw > 0 ? pageRaw : 1
    const last = Math.max(Math.ceil(items.length / perPage), 1)
    const slice = items.slice((page - 1) * perPage, page * perPage)
    const headers: Record<string, string> = { ...rate }
    if (last > 1 || page > 1) {
      const link = (n: number, rel: string): string => {
        const next = new URL(linkPath, origin)
        for (const [k, v] of url.searchParams) if (k !== 'page') next.searchParams.append(k, v)
        next.searchParams.set('page', String(n))
        return `<${next.toString()}>; rel="${rel}"`
      }
      const parts: string[] = []
      if (page > 1) parts.push(link(Math.min(page - 1, last), 'prev'))
      if (page < last) parts.push(link(page + 1, 'next'), link(last, 'last'))
      if (page > 1) parts.push(link(1, 'first'))
      headers.link = parts.join(', ')
    }
    json(res, 200, wrap === undefined ? slice : wrap(slice), headers)
  }

  function since (url: URL, res: ServerResponse, rate: Record<string, string>): number | null | false {
    const raw = url.searchParams.get('since')
    if (raw === null) return null
    const at = Date.parse(raw)
    if (Number.isNaN(at)) {
      json(res, 422, problem('Validation Failed', 422), rate)
      return false
    }
    return at
  }

  function listRoute (req: IncomingMessage, res: ServerResponse, url: URL, visible: Visible, rest: string[], rate: Record<string, string>): void {
    const { repo } = visible
    const linkPath = `/repositories/${repo.id}${rest.length > 0 ? '/' + rest.join('/') : ''}`
    const route = rest.join('/')
    const q = url.searchParams
    if (route === '') return json(res, 200, repo.repository, rate)
    if (route === 'issues' || route === 'pulls') {
      const state = q.get('state') ?? 'open'
      const sort = q.get('sort') ?? 'created'
      const isPulls = route === 'pulls'
      const defaultDirection = isPulls ? (sort === 'created' ? 'desc' : 'asc') : 'desc'
      const direction = q.get('direction') === 'asc' ? 'asc' : q.get('direction') === 'desc' ? 'desc' : defaultDirection
      let rows = (isPulls ? repo.pulls : repo.issues).filter((r) => state === 'all' || r.state === state)
      if (!isPulls) {
        const from = since(url, res, rate)
        if (from === false) return
        if (from !== null) rows = rows.filter((r) => Date.parse(String(r.updated_at)) >= from)
      }
      const field = sort === 'updated' ? 'updated_at' : 'created_at'
      rows = [...rows].sort((a, b) => byTime(field, direction)(a, b) || (Number(a.id) - Number(b.id)))
      return paginate(res, url, rows, linkPath, rate)
    }
    if (route === 'issues/comments') {
      const from = since(url, res, rate)
      if (from === false) return
      let rows = repo.comments.filter((r) => from === null || Date.parse(String(r.updated_at)) >= from)
      const sort = q.get('sort')
      if (sort === 'created' || sort === 'updated') {
        const direction = q.get('direction') === 'desc' ? 'desc' : 'asc'
        rows = [...rows].sort((a, b) => byTime(sort === 'updated' ? 'updated_at' : 'created_at', direction)(a, b) || (Number(a.id) - Number(b.id)))
      }
      return paginate(res, url, rows, linkPath, rate)
    }
    if (route === 'commits') {
      if (repo.spec.empty === true) return json(res, 409, problem('Git Repository is empty.', 409, `${DOCS}/commits/commits#list-commits`), rate)
      const from = since(url, res, rate)
      if (from === false) return
      const until = q.get('until') === null ? null : Date.parse(q.get('until') ?? '')
      const date = (r: Json): number => Date.parse(String(((r.commit as Json).committer as Json).date))
      const rows = repo.commits
        .filter((r) => (from === null || date(r) >= from) && (until === null || Number.isNaN(until) || date(r) <= until))
        .sort((a, b) => date(b) - date(a))
      return paginate(res, url, rows, linkPath, rate)
    }
    if (route === 'releases') return paginate(res, url, [...repo.releases].sort(byTime('created_at', 'desc')), linkPath, rate)
    if (route === 'branches') return paginate(res, url, [...repo.branches].sort((a, b) => String(a.name).localeCompare(String(b.name))), linkPath, rate)
    if (route === 'tags') return paginate(res, url, [...repo.tags].reverse(), linkPath, rate)
    if (route === 'contributors') {
      // An empty repository has no contributors: GitHub answers 204 with no body.
      if (repo.spec.empty === true) return json(res, 204, undefined, rate)
      return paginate(res, url, [...repo.contributors].sort((a, b) => Number(b.contributions) - Number(a.contributions)), linkPath, rate)
    }
    if (route === 'stargazers') {
      const star = (req.headers.accept ?? '').includes('application/vnd.github.star+json')
      const rows = repo.stargazers.map((s) => star ? s : s.user)
      return paginate(res, url, rows, linkPath, rate)
    }
    if (route === 'actions/runs') {
      const rows = [...repo.runs].sort(byTime('created_at', 'desc'))
      return paginate(res, url, rows, linkPath, rate, (page) => ({ total_count: rows.length, workflow_runs: page }))
    }
    if (rest.length === 3 && rest[0] === 'pulls' && rest[2] === 'reviews') {
      const list = repo.reviews.get(Number(rest[1]))
      if (list === undefined) return json(res, 404, problem('Not Found', 404), rate)
      return paginate(res, url, list, linkPath, rate)
    }
    return json(res, 404, problem('Not Found', 404), rate)
  }

  function handle (req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', origin)
    const entry: LoggedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: {
        authorization: req.headers.authorization,
        accept: req.headers.accept,
        'x-github-api-version': req.headers['x-github-api-version'] as string | undefined,
        'user-agent': req.headers['user-agent']
      },
      status: 0,
      at: Date.now()
    }
    requests.push(entry)
    const originalWriteHead = res.writeHead.bind(res)
    res.writeHead = ((status: number, ...rest: unknown[]) => {
      entry.status = status
      return (originalWriteHead as (...args: unknown[]) => ServerResponse)(status, ...rest)
    }) as typeof res.writeHead

    const auth = req.headers.authorization ?? ''
    const match = /^(?:Bearer|token) (\S+)$/i.exec(auth)
    const token = match?.[1] ?? null
    const grant = token === null ? null : tokens[token]
    const key = token ?? 'anonymous'
    used.set(key, (used.get(key) ?? 0) + 1)
    const rate = rateHeaders(key)

    const version = req.headers['x-github-api-version']
    if (typeof version === 'string' && !SUPPORTED_API_VERSIONS.includes(version)) {
      return json(res, 400, problem(`Unsupported 'X-GitHub-Api-Version' header.`, 400, `${DOCS}/about-the-rest-api/api-versions`), rate)
    }
    if (token !== null && grant === undefined) return json(res, 401, problem('Bad credentials', 401), rate)
    if (req.headers['user-agent'] === undefined || req.headers['user-agent'].trim() === '') {
      return json(res, 403, problem('Request forbidden by administrative rules. Please make sure your request has a User-Agent header.', 403), rate)
    }

    const injection = injected.shift()
    if (injection !== undefined) {
      if (injection.kind === 'primary') {
        const reset = Math.floor(Date.now() / 1000) + injection.resetInSeconds
        return json(res, injection.status, problem(`API rate limit exceeded for user ID ${grant?.id ?? 0}.`, injection.status, `${DOCS}/overview/rate-limits-for-the-rest-api`),
          rateHeaders(key, { remaining: 0, reset }))
      }
      if (injection.kind === 'secondary') {
        return json(res, injection.status, problem('You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', injection.status,
          `${DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits`),
        injection.retryAfterSeconds === null ? rate : { ...rate, 'retry-after': String(injection.retryAfterSeconds) })
      }
      return json(res, injection.status, injection.body, rate)
    }

    if (req.method !== 'GET') return json(res, 404, problem('Not Found', 404), rate)
    let segments: string[]
    try {
      segments = url.pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s))
    } catch {
      return json(res, 400, problem('Bad request', 400), rate)
    }
    if (segments.length === 1 && segments[0] === 'user') {
      if (grant === null || grant === undefined) return json(res, 401, problem('Requires authentication', 401), rate)
      return json(res, 200, { login: grant.login, id: grant.id, node_id: `U_${grant.id}`, type: 'User', site_admin: false, name: grant.login }, rate)
    }
    let repo: FakeRepo | undefined
    let rest: string[] = []
    if (segments[0] === 'repos' && segments.length >= 3) {
      repo = repos.get(`${segments[1]}/${segments[2]}`.toLowerCase())
      rest = segments.slice(3)
    } else if (segments[0] === 'repositories' && segments.length >= 2) {
      repo = byId.get(segments[1] ?? '')
      rest = segments.slice(2)
    }
    const canSee = repo !== undefined && (repo.spec.private !== true ||
      (grant?.privateRepos ?? []).some((name) => name.toLowerCase() === repo.fullName.toLowerCase()))
    if (repo === undefined || !canSee) {
      // Private repositories the token cannot read are indistinguishable from missing ones.
      return json(res, 404, problem('Not Found', 404, `${DOCS}/repos/repos#get-a-repository`), rate)
    }
    listRoute(req, res, url, { repo, grant: grant ?? null }, rest, rate)
  }

  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => handle(req, res))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url: origin,
    token: Object.keys(tokens)[0] ?? FAKE_GITHUB_TOKEN,
    requests,
    repos,
    repo (fullName) {
      const repo = repos.get(fullName.toLowerCase())
      if (repo === undefined) throw new Error(`fake has no repository ${fullName}`)
      return repo
    },
    exhaustPrimary ({ count = 1, status = 403, resetInSeconds = 1 } = {}) {
      for (let i = 0; i < count; i++) injected.push({ kind: 'primary', status, resetInSeconds })
    },
    secondaryLimit ({ count = 1, status = 403, retryAfterSeconds = 1 } = {}) {
      for (let i = 0; i < count; i++) injected.push({ kind: 'secondary', status, retryAfterSeconds })
    },
    failNext (status, body = problem('Server Error', status)) {
      injected.push({ kind: 'status', status, body })
    },
    requestsTo (suffix) {
      return requests.filter((r) => r.path.endsWith(suffix))
    },
    async close () {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
