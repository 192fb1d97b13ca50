/**
 * Compile-time test (checked by `npm run typecheck`, not run by tap): ConfigOf<> of sample forms is
 * exactly the config type a source should see, and parseConfig returns it.
 */
import type { ConfigOf, FieldDecl, SshTunnelValue } from '../../src/sources/fields.js'
import { parseConfig } from '../../src/sources/config.js'
import { databaseFields, typeformFields } from './config-forms.js'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
type Expect<T extends true> = T

type TypeformConfig = ConfigOf<typeof typeformFields>
export type TypeformIsExact = Expect<Equal<TypeformConfig, {
  auth_token: string
  api_base_url?: 'https://api.typeform.com' | 'https://api.eu.typeform.com'
}>>

type DatabaseConfig = ConfigOf<typeof databaseFields>
export type DatabaseIsExact = Expect<Equal<DatabaseConfig, {
  host: string
  port: number
  password: string
  lookback_days: number
  regions: Array<'us' | 'eu' | 'apac'>
  auth_method: { selection: 'api_key', api_key: string } | 'none'
  proxy: {
    enabled: boolean
    host?: string
    port?: number
    auth?: { selection: 'password', username: string, password: string } |
    { selection: 'keypair', username: string, private_key: string, passphrase?: string }
  }
  schema?: string
  contact?: string
  endpoint_url?: string
  verify_tls?: boolean
  max_rows?: number | null
  ssh_tunnel?: SshTunnelValue
  integration_id?: string
  key_file?: Record<string, unknown>
}>>

// parseConfig returns ConfigOf<> of the declaration it was given, with no annotation.
const parsed = parseConfig(typeformFields, { auth_token: 'tfp_x' })
export type ParseConfigReturnsConfigOf = Expect<Equal<typeof parsed, TypeformConfig>>

// Narrowing on a select's selection reaches the sub-fields of that option only.
export function apiKeyOf (config: DatabaseConfig): string | null {
  if (config.auth_method === 'none') return null
  const key: string = config.auth_method.api_key
  return key
}

// A required field cannot be left out, a wrong type is refused.
// @ts-expect-error auth_token is required
export const missingToken: TypeformConfig = { api_base_url: 'https://api.typeform.com' }
// @ts-expect-error not one of the options
export const unknownOption: TypeformConfig = { auth_token: 'x', api_base_url: 'https://evil.example' }

// A form declared inline keeps its literals through `as const satisfies`.
const inline = [
  { type: 'number', name: 'limit', label: 'Limit', required: false, placeholder: '100' },
  { type: 'switch-group', name: 'advanced', label: 'Advanced', default: false, fields: [{ type: 'text', name: 'note', label: 'Note', required: true, placeholder: '' }] }
] as const satisfies readonly FieldDecl[]
export type InlineIsExact = Expect<Equal<ConfigOf<typeof inline>, { advanced: { enabled: boolean, note?: string }, limit?: number }>>
