/**
 * Field declarations as the config parser reads them: the switch group an `ssh-tunnel` field stands for,
 * and checks that refuse combinations neither the parser nor `ConfigOf<>` give a meaning to.
 */
import type { FieldDecl, SwitchGroupFieldDecl } from './fields.js'

const INTEGER = /^[+-]?\d+$/

/** The switch group an `ssh-tunnel` field stands for (its value is `SshTunnelValue`). */
export function sshTunnelGroup (name: string, label = 'Use SSH tunnel'): SwitchGroupFieldDecl {
  const username = { type: 'text', name: 'username', label: 'Tunnel username', required: true, placeholder: 'ssh-user' } as const
  return {
    type: 'switch-group',
    name,
    label,
    default: false,
    fields: [
      { type: 'text', name: 'host', label: 'Tunnel host', required: true, placeholder: 'bastion.example.com' },
      { type: 'number', name: 'port', label: 'Tunnel port', required: true, placeholder: '22' },
      {
        type: 'select',
        name: 'auth_type',
        label: 'Authentication type',
        required: true,
        defaultValue: 'password',
        options: [
          {
            label: 'Password',
            value: 'password',
            fields: [username, { type: 'password', name: 'password', label: 'Tunnel password', required: true, placeholder: '', secret: true }]
          },
          {
            label: 'Key pair',
            value: 'keypair',
            fields: [
              username,
              { type: 'textarea', name: 'private_key', label: 'Tunnel private key', required: true, placeholder: '', secret: true },
              { type: 'password', name: 'passphrase', label: 'Tunnel passphrase', required: false, placeholder: '', secret: true }
            ]
          }
        ]
      }
    ]
  }
}

// ---------------------------------------------------------------------------------------------
// Declaration checks: combinations the parser (and ConfigOf<>) do not give a meaning to.
// ---------------------------------------------------------------------------------------------

const checkedDecls = new WeakSet<readonly FieldDecl[]>()

/** Throws (a programming error, not a ValidationError) when a form declaration is inconsistent. */
export function assertFieldDecls (fields: readonly FieldDecl[]): void {
  if (checkedDecls.has(fields)) return
  const problems: string[] = []
  collectDeclProblems(fields, '', problems)
  if (problems.length > 0) throw new Error(`Invalid field declarations:\n${problems.join('\n')}`)
  checkedDecls.add(fields)
}

function collectDeclProblems (fields: readonly FieldDecl[], prefix: string, problems: string[]): void {
  const names = new Set<string>()
  for (const field of fields) {
    const at = prefix + field.name
    if (names.has(field.name)) problems.push(`${at}: declared twice at the same level`)
    names.add(field.name)
    if (field.type === 'switch-group') {
      collectDeclProblems(field.fields, `${at}.`, problems)
    } else if (field.type === 'select') {
      const values = field.options.map((o) => o.value)
      if (new Set(values).size !== values.length) problems.push(`${at}: option values must be unique`)
      const withFields = field.options.some((o) => o.fields !== undefined)
      if (withFields && (field.converter !== undefined || field.multiple === true)) {
        problems.push(`${at}: options with sub-fields cannot be combined with a converter or multiple`)
      }
      if (field.converter !== undefined && field.multiple === true) problems.push(`${at}: a converter cannot be combined with multiple`)
      if (field.converter === 'str_to_int' || field.converter === 'str_to_optional_int') {
        for (const value of values) {
          if (!INTEGER.test(value) && !(field.converter === 'str_to_optional_int' && value === '')) {
            problems.push(`${at}: option "${value}" is not an integer (${field.converter})`)
          }
        }
      }
      for (const option of field.options) collectDeclProblems(option.fields ?? [], `${at}.${option.value}.`, problems)
    }
  }
}
