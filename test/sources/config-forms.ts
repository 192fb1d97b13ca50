/** Sample forms shared by the config tests (and the compile-time ConfigOf<> test). */
import type { FieldDecl } from '../../src/sources/fields.js'
import { sshTunnelGroup } from '../../src/sources/config.js'

/** PostHog's Typeform form, as in the foundation issue. */
export const typeformFields = [
  { type: 'password', name: 'auth_token', label: 'Personal access token', required: true, placeholder: 'tfp_...', secret: true },
  {
    type: 'select',
    name: 'api_base_url',
    label: 'API base URL',
    required: false,
    defaultValue: 'https://api.typeform.com',
    options: [
      { label: 'https://api.typeform.com', value: 'https://api.typeform.com' },
      { label: 'https://api.eu.typeform.com', value: 'https://api.eu.typeform.com' }
    ]
  }
] as const satisfies readonly FieldDecl[]

export const typeformSourceConfig = {
  name: 'Typeform',
  label: 'Typeform',
  category: 'Productivity',
  releaseStatus: 'ga',
  iconPath: '/static/services/typeform.png',
  caption: 'Enter a Typeform personal access token',
  fields: typeformFields
} as const

/**
 * A database-like form: plain inputs, converters, a multiple select, an SSH-tunnel-like switch group
 * holding an auth select whose options carry sub-fields, the built-in ssh-tunnel field, a select with
 * sub-fields at the top level, oauth and a key file.
 */
export const databaseFields = [
  { type: 'text', name: 'host', label: 'Host', required: true, placeholder: 'db.example.com' },
  { type: 'number', name: 'port', label: 'Port', required: true, placeholder: '5432' },
  { type: 'text', name: 'schema', label: 'Schema', required: false, placeholder: 'public' },
  { type: 'email', name: 'contact', label: 'Contact', required: false, placeholder: 'ops@example.com' },
  { type: 'url', name: 'endpoint_url', label: 'Endpoint', required: false, placeholder: 'https://db.example.com' },
  { type: 'password', name: 'password', label: 'Password', required: true, placeholder: '', secret: true },
  {
    type: 'select',
    name: 'lookback_days',
    label: 'Lookback',
    required: true,
    defaultValue: '30',
    converter: 'str_to_int',
    options: [{ label: '7 days', value: '7' }, { label: '30 days', value: '30' }]
  },
  {
    type: 'select',
    name: 'verify_tls',
    label: 'Verify TLS',
    required: false,
    defaultValue: 'true',
    converter: 'str_to_bool',
    options: [{ label: 'Yes', value: 'true' }, { label: 'No', value: 'false' }]
  },
  {
    type: 'select',
    name: 'max_rows',
    label: 'Row cap',
    required: false,
    defaultValue: '',
    converter: 'str_to_optional_int',
    options: [{ label: 'No cap', value: '' }, { label: '1000', value: '1000' }]
  },
  {
    type: 'select',
    name: 'regions',
    label: 'Regions',
    required: true,
    defaultValue: 'us',
    multiple: true,
    options: [{ label: 'US', value: 'us' }, { label: 'EU', value: 'eu' }, { label: 'APAC', value: 'apac' }]
  },
  {
    type: 'select',
    name: 'auth_method',
    label: 'Authentication',
    required: true,
    defaultValue: 'api_key',
    options: [
      { label: 'API key', value: 'api_key', fields: [{ type: 'password', name: 'api_key', label: 'API key', required: true, placeholder: '', secret: true }] },
      { label: 'None', value: 'none' }
    ]
  },
  {
    type: 'switch-group',
    name: 'proxy',
    label: 'Connect through a bastion',
    default: false,
    fields: [
      { type: 'text', name: 'host', label: 'Bastion host', required: true, placeholder: '' },
      { type: 'number', name: 'port', label: 'Bastion port', required: true, placeholder: '22' },
      {
        type: 'select',
        name: 'auth',
        label: 'Bastion auth',
        required: true,
        defaultValue: 'password',
        options: [
          {
            label: 'Password',
            value: 'password',
            fields: [
              { type: 'text', name: 'username', label: 'User', required: true, placeholder: '' },
              { type: 'password', name: 'password', label: 'Password', required: true, placeholder: '', secret: true }
            ]
          },
          {
            label: 'Key pair',
            value: 'keypair',
            fields: [
              { type: 'text', name: 'username', label: 'User', required: true, placeholder: '' },
              { type: 'textarea', name: 'private_key', label: 'Private key', required: true, placeholder: '', secret: true },
              { type: 'password', name: 'passphrase', label: 'Passphrase', required: false, placeholder: '', secret: true }
            ]
          }
        ]
      }
    ]
  },
  { type: 'ssh-tunnel', name: 'ssh_tunnel', label: 'SSH tunnel' },
  { type: 'oauth', name: 'integration_id', label: 'Google account', required: false, kind: 'google' },
  {
    type: 'file-upload',
    name: 'key_file',
    label: 'Service account key',
    required: false,
    fileFormat: { format: '.json', keys: ['project_id', 'private_key'] }
  }
] as const satisfies readonly FieldDecl[]

/** The flat prefixed form of a nested config (the rule documented in config.ts). */
export function flatten (fields: readonly FieldDecl[], nested: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const field of fields) {
    const value = nested[field.name]
    if (value === undefined) continue
    const key = prefix + field.name
    const sub = field.type === 'switch-group' ? field.fields : undefined
    if ((field.type === 'switch-group' || field.type === 'ssh-tunnel') && typeof value === 'object' && value !== null) {
      const { enabled, ...rest } = value as Record<string, unknown>
      out[`${key}_enabled`] = enabled
      const subFields = sub ?? (field.type === 'ssh-tunnel' ? sshTunnelSubFields : [])
      Object.assign(out, flatten(subFields, rest, `${key}_`))
    } else if (field.type === 'select' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const { selection, ...rest } = value as Record<string, unknown>
      out[key] = selection
      const option = field.options.find((o) => o.value === selection)
      Object.assign(out, flatten(option?.fields ?? [], rest, `${key}_`))
    } else {
      out[key] = value
    }
  }
  return out
}
const sshTunnelSubFields = sshTunnelGroup('ssh_tunnel').fields
