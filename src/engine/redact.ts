/**
 * Keeping secrets out of messages: URLs are reduced to scheme://host/path, and a run's registered
 * secret values are masked in any text that could reach a log or an error.
 */

/** scheme://host/path of a URL: no query string, no fragment, no userinfo. */
export function redactUrl (url: string | URL): string {
  try {
    const u = typeof url === 'string' ? new URL(url) : url
    return `${u.protocol}//${u.host}${u.pathname}`
  } catch {
    return '(invalid url)'
  }
}

export class Redactor {
  private readonly secrets = new Set<string>()

  /** Register a secret value (ignored when too short to mask without mangling ordinary text). */
  add (value: string | undefined): void {
    if (value !== undefined && value.length >= 4) this.secrets.add(value)
  }

  redact (text: string): string {
    let out = text
    for (const secret of this.secrets) out = out.split(secret).join('[REDACTED]')
    return out
  }
}
