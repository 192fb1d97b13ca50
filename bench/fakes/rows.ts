/**
 * Deterministic rows for the fakes: GitHub-issue-like objects of about `rowBytes` bytes of JSON each,
 * with an ascending `id` and `updated_at` so incremental and ordering checks stay possible.
 */
const FILLER = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. '

const BASE_TIME = Date.UTC(2024, 0, 1)

export function makeRow (id: number, rowBytes: number): Record<string, unknown> {
  const stamp = new Date(BASE_TIME + id * 1000).toISOString()
  const row = {
    id,
    node_id: `I_kwDO${id.toString(36).padStart(8, '0')}`,
    number: id,
    title: `Issue number ${id}`,
    state: id % 3 === 0 ? 'closed' : 'open',
    user: { login: `user${id % 97}`, id: 1000 + (id % 97), type: 'User', site_admin: false },
    labels: [{ id: 7, name: 'bug', color: 'd73a4a', default: true }],
    comments: id % 11,
    created_at: stamp,
    updated_at: stamp,
    author_association: 'CONTRIBUTOR',
    body: ''
  }
  const without = JSON.stringify(row).length
  const want = Math.max(0, rowBytes - without)
  row.body = FILLER.repeat(Math.ceil(want / FILLER.length) + 1).slice(0, want)
  return row
}

/** JSON text of rows [first, first + count), as a JSON array. */
export function pageBody (first: number, count: number, rowBytes: number): string {
  const parts: string[] = []
  for (let i = 0; i < count; i++) parts.push(JSON.stringify(makeRow(first + i, rowBytes)))
  return `[${parts.join(',')}]`
}
