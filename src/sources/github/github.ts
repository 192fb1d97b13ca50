/**
 * GitHub hooks: the one thing the definition cannot say as data. The `repositories` field accepts what
 * people paste (owner/name, a github.com URL, `.git` suffixes, commas, spaces or new lines); checking
 * and normalising that is code. Pagination, fan-out, retries and rate-limit waits are the engine's.
 */
import { ValidationError } from '../../errors.js'
import type { AnyConfig, SourceHooks } from '../rest-source.js'

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

export const githubHooks: SourceHooks = {
  // Pasted repository lists need cleaning and a per-item check no declaration can express.
  normaliseConfig: (config: AnyConfig) => ({
    ...config,
    repositories: parseRepositories(config.repositories as string | string[]).map((ref) => ref.full_name)
  })
}
