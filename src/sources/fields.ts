/**
 * Source form fields and the SourceConfig a frontend wizard renders, wire-compatible with PostHog's
 * `SourceConfig` JSON (camelCase keys). Each field type has a TypeBox schema (for the OpenAPI
 * document and for checking declarations) and a TypeScript type; `ConfigOf<typeof fields>` derives
 * the parsed config type of a source from its field declarations, so no twin type can drift.
 *
 * Nested fields (select options and switch groups) go two levels deep, which covers every PostHog
 * form (e.g. an SSH tunnel switch group holding an auth-type select with its own sub-fields).
 */
import Type, { type Static, type TSchema } from 'typebox'

export const INPUT_KINDS = ['text', 'email', 'search', 'url', 'password', 'time', 'number', 'textarea'] as const
export type InputKind = typeof INPUT_KINDS[number]

const Common = {
  name: Type.String({ description: 'Key of the value in the config (snake_case).' }),
  label: Type.String()
}

export const InputFieldSchema = Type.Object({
  type: Type.Enum(INPUT_KINDS),
  ...Common,
  required: Type.Boolean(),
  placeholder: Type.String(),
  secret: Type.Optional(Type.Boolean({ description: 'The value is a credential: never logged or echoed.' })),
  caption: Type.Optional(Type.String())
}, { title: 'SourceFieldInputConfig' })

export const OauthFieldSchema = Type.Object({
  type: Type.Literal('oauth'),
  ...Common,
  required: Type.Boolean(),
  kind: Type.String(),
  requiredScopes: Type.Optional(Type.String())
}, { title: 'SourceFieldOauthConfig' })

export const FileUploadFieldSchema = Type.Object({
  type: Type.Literal('file-upload'),
  ...Common,
  required: Type.Boolean(),
  fileFormat: Type.Object({
    format: Type.Literal('.json'),
    keys: Type.Union([Type.Literal('*'), Type.Array(Type.String())])
  })
}, { title: 'SourceFieldFileUploadConfig' })

export const SshTunnelFieldSchema = Type.Object({
  type: Type.Literal('ssh-tunnel'),
  ...Common
}, { title: 'SourceFieldSSHTunnelConfig' })

export const CONVERTERS = ['str_to_int', 'str_to_bool', 'str_to_optional_int'] as const
export type Converter = typeof CONVERTERS[number]

function selectSchema<T extends TSchema> (nested: T, title: string) {
  return Type.Object({
    type: Type.Literal('select'),
    ...Common,
    required: Type.Boolean(),
    defaultValue: Type.String(),
    options: Type.Array(Type.Object({
      label: Type.String(),
      value: Type.String(),
      fields: Type.Optional(Type.Array(nested))
    })),
    converter: Type.Optional(Type.Enum(CONVERTERS)),
    multiple: Type.Optional(Type.Boolean()),
    caption: Type.Optional(Type.String())
  }, { title })
}

function switchGroupSchema<T extends TSchema> (nested: T, title: string) {
  return Type.Object({
    type: Type.Literal('switch-group'),
    ...Common,
    default: Type.Boolean(),
    fields: Type.Array(nested),
    caption: Type.Optional(Type.String())
  }, { title })
}

const LeafFieldSchema = Type.Union([InputFieldSchema, OauthFieldSchema, FileUploadFieldSchema, SshTunnelFieldSchema])
const NestedFieldSchema = Type.Union([
  LeafFieldSchema,
  selectSchema(LeafFieldSchema, 'SourceFieldSelectConfigNested'),
  switchGroupSchema(LeafFieldSchema, 'SourceFieldSwitchGroupConfigNested')
])
export const SelectFieldSchema = selectSchema(NestedFieldSchema, 'SourceFieldSelectConfig')
export const SwitchGroupFieldSchema = switchGroupSchema(NestedFieldSchema, 'SourceFieldSwitchGroupConfig')
export const FieldSchema = Type.Union([LeafFieldSchema, SelectFieldSchema, SwitchGroupFieldSchema])

export const ReleaseStatusSchema = Type.Union([Type.Literal('alpha'), Type.Literal('beta'), Type.Literal('ga')])

export const SourceConfigSchema = Type.Object({
  name: Type.String({ description: 'PascalCase source type, e.g. "Github".' }),
  label: Type.Optional(Type.String()),
  caption: Type.Optional(Type.String()),
  category: Type.Optional(Type.String()),
  iconPath: Type.Optional(Type.String()),
  docsUrl: Type.Optional(Type.String()),
  fields: Type.Array(FieldSchema),
  releaseStatus: Type.Optional(ReleaseStatusSchema),
  betaSource: Type.Optional(Type.Boolean()),
  unreleasedSource: Type.Optional(Type.Boolean()),
  featureFlag: Type.Optional(Type.String()),
  keywords: Type.Optional(Type.Array(Type.String())),
  permissionsCaption: Type.Optional(Type.String()),
  suggestedTables: Type.Optional(Type.Array(Type.Object({ table: Type.String(), tooltip: Type.Optional(Type.String()) })))
}, { title: 'SourceConfig' })
export type SourceConfig = Static<typeof SourceConfigSchema>

// ---------------------------------------------------------------------------------------------
// Declaration types. Sources declare fields with `as const satisfies readonly FieldDecl[]` so the
// literal names, kinds and options survive into ConfigOf<>.
// ---------------------------------------------------------------------------------------------

/** Deeply readonly: declarations are written `as const` or parsed from JSON, and both must fit. */
export type DeepReadonly<T> = T extends ReadonlyArray<infer U> ? ReadonlyArray<DeepReadonly<U>>
  : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T

// One schema per shape: each declaration type is its field schema's static type.
export type InputFieldDecl = DeepReadonly<Static<typeof InputFieldSchema>>
export type OauthFieldDecl = DeepReadonly<Static<typeof OauthFieldSchema>>
export type FileUploadFieldDecl = DeepReadonly<Static<typeof FileUploadFieldSchema>>
export type SshTunnelFieldDecl = DeepReadonly<Static<typeof SshTunnelFieldSchema>>
export type SelectFieldDecl = DeepReadonly<Static<typeof SelectFieldSchema>>
export type SelectOptionDecl = SelectFieldDecl['options'][number]
export type SwitchGroupFieldDecl = DeepReadonly<Static<typeof SwitchGroupFieldSchema>>
export type FieldDecl = DeepReadonly<Static<typeof FieldSchema>>

/** The parsed value of an SSH tunnel field (PostHog's shape). */
export interface SshTunnelValue {
  enabled: boolean
  host?: string
  port?: number
  auth_type?: { selection: 'password' | 'keypair', username?: string, password?: string, private_key?: string, passphrase?: string }
}

type Simplify<T> = { [K in keyof T]: T[K] } & {}

type IsRequired<F> =
  F extends { type: 'switch-group' } ? true
    : F extends { type: 'ssh-tunnel' } ? false
      : F extends { required: true } ? true : false

type SelectValue<F extends SelectFieldDecl> =
  // multiple first: the per-option distribution below would give 'a'[] | 'b'[] instead of ('a' | 'b')[]
  F extends { multiple: true } ? Array<F['options'][number]['value']>
    : F['options'][number] extends infer O
    ? O extends { value: infer V, fields: infer Sub extends readonly FieldDecl[] }
      ? Simplify<{ selection: V } & ConfigOf<Sub>>
      : O extends { value: infer V }
        ? F extends { converter: 'str_to_int' } ? number
          : F extends { converter: 'str_to_bool' } ? boolean
            : F extends { converter: 'str_to_optional_int' } ? number | null
              : F extends { multiple: true } ? V[]
                : V
        : never
    : never

export type FieldValue<F extends FieldDecl> =
  F extends { type: 'number' } ? number
    : F extends SwitchGroupFieldDecl ? Simplify<{ enabled: boolean } & Partial<ConfigOf<F['fields']>>>
      : F extends SelectFieldDecl ? SelectValue<F>
        : F extends FileUploadFieldDecl ? Record<string, unknown>
          : F extends SshTunnelFieldDecl ? SshTunnelValue
            : string

/** The parsed config type of a source whose form declares `Fs`. */
export type ConfigOf<Fs extends readonly FieldDecl[]> = Simplify<
  { -readonly [F in Fs[number] as IsRequired<F> extends true ? F['name'] : never]: FieldValue<F> } &
  { -readonly [F in Fs[number] as IsRequired<F> extends true ? never : F['name']]?: FieldValue<F> }
>

/** Names of every field declared secret, at any depth (for redaction). */
export function secretFieldNames (fields: readonly FieldDecl[]): string[] {
  const names: string[] = []
  for (const field of fields) {
    if (field.type === 'select') {
      for (const option of field.options) names.push(...secretFieldNames(option.fields ?? []))
    } else if (field.type === 'switch-group') {
      names.push(...secretFieldNames(field.fields))
    } else if (('secret' in field && field.secret === true) || field.type === 'file-upload') {
      // an uploaded file is a credential in practice (a service-account key with a private key)
      names.push(field.name)
    } else if (field.type === 'ssh-tunnel') {
      names.push('password', 'private_key', 'passphrase')
    }
  }
  return [...new Set(names)]
}
