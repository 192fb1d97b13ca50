/**
 * Deterministic data for the Typeform fake: accounts with forms, workspaces, themes and each form's
 * responses (completed, partial and started), shaped like the Create and Responses APIs' list items
 * (see src/sources/typeform/api_inventory.md). Same spec → same data.
 */

export type Json = Record<string, unknown>

export type ResponseType = 'completed' | 'partial' | 'started'

export interface FakeFormSpec {
  /** Completed responses (submitted). */
  completed?: number
  /** Partial responses (answers saved, never submitted). */
  partial?: number
  /** Started responses (landed, nothing answered). */
  started?: number
  /** Longest gap between two landings, in minutes (default 30): a larger one spreads the responses over time. */
  maxGapMinutes?: number
}

export interface FakeAccountSpec {
  /** The account's personal access token. */
  token: string
  /** Scopes the token was created with; default: every read scope. */
  scopes?: readonly string[]
  /** Forms, each with its responses; or a count of forms with the default response mix. */
  forms?: readonly FakeFormSpec[] | number
  workspaces?: number
  themes?: number
}

export interface FakeResponse {
  /** The API item (what `/responses` returns). */
  item: Json
  type: ResponseType
  landedMs: number
  /** Null unless completed. */
  submittedMs: number | null
}

export interface FakeForm {
  id: string
  item: Json
  /** Responses in creation (landing) order. */
  responses: FakeResponse[]
}

export interface FakeAccount {
  spec: FakeAccountSpec
  token: string
  scopes: ReadonlySet<string>
  accountId: string
  me: Json
  forms: FakeForm[]
  workspaces: Json[]
  themes: Json[]
}

export const READ_SCOPES = ['accounts:read', 'forms:read', 'responses:read', 'workspaces:read', 'themes:read'] as const

export const API_ORIGIN_PLACEHOLDER = 'https://api.typeform.test'
const BASE_TIME = Date.parse('2024-01-01T00:00:00Z')
const MINUTE = 60_000
const HOUR = 60 * MINUTE
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** ISO 8601 to the second, as the Responses API writes timestamps (`2017-09-14T22:33:59Z`). */
export function isoSeconds (ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** As the Create API writes timestamps (`2024-01-10T12:34:56+00:00`). */
function isoOffset (ms: number): string {
  return isoSeconds(ms).replace(/Z$/, '+00:00')
}

function rng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function chars (random: () => number, length: number, alphabet = ALPHABET): string {
  let out = ''
  while (out.length < length) out += alphabet[Math.floor(random() * alphabet.length)]
  return out
}

const FIELD_TYPES = [
  { type: 'short_text', answer: 'text' },
  { type: 'email', answer: 'email' },
  { type: 'multiple_choice', answer: 'choice' },
  { type: 'rating', answer: 'number' },
  { type: 'yes_no', answer: 'boolean' },
  { type: 'date', answer: 'date' }
] as const

function answer (random: () => number, field: { id: string, ref: string, type: string, answer: string }, at: number): Json {
  const base = { field: { id: field.id, ref: field.ref, type: field.type }, type: field.answer }
  switch (field.answer) {
    case 'text': return { ...base, text: `Answer ${chars(random, 6)}` }
    case 'email': return { ...base, email: `person.${chars(random, 5, 'abcdefghij')}@example.com` }
    case 'choice': return { ...base, choice: { label: ['Tokyo', 'Lima', 'Oslo'][Math.floor(random() * 3)] } }
    case 'number': return { ...base, number: 1 + Math.floor(random() * 5) }
    case 'boolean': return { ...base, boolean: random() < 0.5 }
    default: return { ...base, date: isoSeconds(at - Math.floor(random() * 9000) * HOUR).slice(0, 10) + 'T00:00:00Z' }
  }
}

function buildResponses (random: () => number, formId: string, spec: FakeFormSpec, createdMs: number): FakeResponse[] {
  const fields = FIELD_TYPES.map((f, i) => ({ id: `${formId.slice(0, 4)}${chars(random, 8)}`, ref: `${f.type}_${i}`, type: f.type, answer: f.answer }))
  const kinds: ResponseType[] = []
  for (const [type, n] of [['completed', spec.completed ?? 0], ['partial', spec.partial ?? 0], ['started', spec.started ?? 0]] as const) {
    for (let i = 0; i < n; i++) kinds.push(type)
  }
  // Interleave the kinds deterministically, then land them a few minutes apart.
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const swap = kinds[i] as ResponseType
    kinds[i] = kinds[j] as ResponseType
    kinds[j] = swap
  }
  let landed = createdMs + HOUR
  return kinds.map((type) => {
    landed += (1 + Math.floor(random() * (spec.maxGapMinutes ?? 30))) * MINUTE
    const token = chars(random, 32, '0123456789abcdef')
    // Most people finish in minutes; some come back days later, so submission order differs from landing order.
    const submittedMs = type === 'completed' ? landed + (random() < 0.15 ? (24 + Math.floor(random() * 72)) * HOUR : (1 + Math.floor(random() * 20)) * MINUTE) : null
    const answered = type === 'completed' ? fields : type === 'partial' ? fields.slice(0, 2) : []
    const item: Json = {
      landing_id: token,
      token,
      response_id: token,
      landed_at: isoSeconds(landed),
      submitted_at: submittedMs === null ? null : isoSeconds(submittedMs),
      metadata: {
        user_agent: random() < 0.5 ? 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15' : 'Mozilla/5.0 (Linux; Android 14) Chrome/124.0',
        platform: random() < 0.5 ? 'other' : 'mobile',
        referer: `https://acme.typeform.com/to/${formId}`,
        network_id: chars(random, 10, '0123456789abcdef'),
        browser: 'default'
      },
      variables: random() < 0.5 ? [{ key: 'score', type: 'number', number: answered.length }] : []
    }
    // Responses that were only started have no answers, hidden or calculated members.
    if (type !== 'started') {
      item.hidden = random() < 0.3 ? { utm_source: 'newsletter' } : {}
      item.calculated = { score: answered.length }
      item.answers = answered.map((f) => answer(random, f, landed))
    }
    return { item, type, landedMs: landed, submittedMs }
  })
}

function buildForm (random: () => number, index: number, spec: FakeFormSpec, workspaceHref: string | null): FakeForm {
  const id = chars(random, 8)
  const createdMs = BASE_TIME + index * 7 * HOUR
  const updatedMs = createdMs + Math.floor(random() * 400) * HOUR
  const item: Json = {
    id,
    type: index % 5 === 0 ? 'quiz' : 'form',
    title: `Survey ${index + 1}`,
    created_at: isoOffset(createdMs),
    last_updated_at: isoOffset(updatedMs),
    settings: { is_public: index % 4 !== 3, is_trial: false },
    self: { href: `${API_ORIGIN_PLACEHOLDER}/forms/${id}` },
    theme: { href: `${API_ORIGIN_PLACEHOLDER}/themes/${index % 3 === 0 ? 'qHWOQ7' : 'default'}` },
    workspace: workspaceHref === null ? null : { href: workspaceHref },
    _links: { display: `https://acme.typeform.com/to/${id}`, responses: `${API_ORIGIN_PLACEHOLDER}/forms/${id}/responses` }
  }
  return { id, item, responses: buildResponses(random, id, spec, createdMs) }
}

const DEFAULT_FORM: FakeFormSpec = { completed: 7, partial: 2, started: 2 }

export function buildAccount (spec: FakeAccountSpec, index: number): FakeAccount {
  const random = rng(index * 104_729 + 11)
  const accountId = `01HX${chars(random, 22, '0123456789ABCDEFGHJKMNPQRSTVWXYZ')}`
  const workspaces: Json[] = Array.from({ length: spec.workspaces ?? 3 }, (_, i) => {
    const id = chars(random, 6)
    return {
      id,
      name: i === 0 ? 'My workspace' : `Team ${i}`,
      account_id: accountId,
      default: i === 0,
      shared: i > 0,
      forms: { count: 0, href: `${API_ORIGIN_PLACEHOLDER}/workspaces/${id}/forms` },
      self: { href: `${API_ORIGIN_PLACEHOLDER}/workspaces/${id}` }
    }
  })
  const formSpecs = typeof spec.forms === 'number' ? Array.from({ length: spec.forms }, () => DEFAULT_FORM) : (spec.forms ?? [DEFAULT_FORM, DEFAULT_FORM, DEFAULT_FORM])
  const forms = formSpecs.map((formSpec, i) => {
    const workspace = workspaces.length === 0 ? null : workspaces[i % workspaces.length] as Json
    if (workspace !== null) (workspace.forms as Json).count = Number((workspace.forms as Json).count) + 1
    return buildForm(random, index * 10_000 + i, formSpec, workspace === null ? null : String((workspace.self as Json).href))
  })
  const themes: Json[] = Array.from({ length: spec.themes ?? 4 }, (_, i) => ({
    id: chars(random, 6),
    name: `Theme ${i + 1}`,
    visibility: i === 0 ? 'public' : 'private',
    font: ['Karla', 'Arial', 'Montserrat'][i % 3],
    has_transparent_button: i % 2 === 1,
    rounded_corners: i % 2 === 0 ? 'small' : 'none',
    colors: { answer: '#4FB0AE', background: '#FFFFFF', button: '#4FB0AE', question: '#3D3D3D' },
    // A theme without a background image has none: null, not an empty object.
    background: i % 2 === 0 ? null : { brightness: -0.2, href: `https://images.typeform.test/bg-${i}.png`, layout: 'fullscreen' },
    fields: { alignment: 'left', font_size: 'medium' },
    screens: { alignment: 'center', font_size: 'small' }
  }))
  const alias = `owner${index}`
  return {
    spec,
    token: spec.token,
    scopes: new Set(spec.scopes ?? READ_SCOPES),
    accountId,
    me: { alias, email: `${alias}@example.com`, language: 'en', user_id: chars(random, 12) },
    forms,
    workspaces,
    themes
  }
}
