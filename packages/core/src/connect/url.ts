import { CacheConfigError } from '../errors'

/** The parts of a connection URL. */
export interface ParsedValkeyUrl {
  host: string
  port: number | undefined
  tls: boolean
  username: string | undefined
  password: string | undefined
  db: number | undefined
}

/** Scheme → whether it means TLS. */
const SCHEMES: Record<string, boolean> = {
  'valkey:': false,
  'redis:': false,
  'valkeys:': true,
  'rediss:': true,
}

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i
/** A host (name, IPv4 or bracketed IPv6), an optional port and database: what a URL may show without user info. */
const PLAIN_HOST = /^(\[[0-9a-f:.]*\]|[a-z0-9._-]*)(:\d*)?(\/\d*)?$/i
const MAX_SHOWN = 120

/**
 * What an error message may show of a connection URL: the scheme and what follows the last `@`
 * (host, port, database), never the user name or password. It does not look at the password's
 * characters: a password may hold any of `/ @ : # ? %`, spaces or quotes, percent-encoded or not.
 * Without an `@`, the rest is shown only when it is plainly `host[:port][/db]`.
 */
export function redactUrl(text: string): string {
  const scheme = SCHEME.exec(text)
  const rest = scheme ? text.slice(scheme[0].length) : text
  const prefix = scheme ? scheme[0] : ''
  const at = rest.lastIndexOf('@')
  const shown = at >= 0 ? rest.slice(at + 1) : rest
  const visible = (at >= 0 || PLAIN_HOST.test(shown)) && shown.length <= MAX_SHOWN ? shown : '…'
  return `${prefix}${at >= 0 ? '***@' : ''}${visible}`
}

function schemeError(option: string, text: string): CacheConfigError {
  const scheme = SCHEME.exec(text)?.[1]
  return new CacheConfigError(
    option,
    scheme === undefined
      ? 'not a URL: it must start with valkey://, valkeys://, redis:// or rediss://'
      : `scheme must be valkey://, valkeys://, redis:// or rediss://, got ${scheme}://`,
  )
}

function decode(part: string, option: string, what: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw new CacheConfigError(option, `the ${what} is not valid percent-encoding`)
  }
}

/**
 * Parses `valkey://`, `valkeys://`, `redis://` and `rediss://` URLs:
 * `scheme://[user[:password]@]host[:port][/db]`, with user and password percent-decoded.
 * `option` names the setting in errors (`url`, or `VALKEY_URL` for `fromEnv`); messages never contain the password.
 */
export function parseValkeyUrl(given: string, option = 'url'): ParsedValkeyUrl {
  // The URL parser ignores surrounding spaces too (a password's own spaces sit inside, before the '@').
  const text = String(given).trim()
  const scheme = SCHEME.exec(text)?.[0].slice(0, -2).toLowerCase() ?? ''
  const tls = SCHEMES[scheme]
  if (tls === undefined) throw schemeError(option, text)
  // The user info ends at the last '@' (host, port and database hold none). A '/', '?' or '#' before
  // it would end the URL's authority early and turn a piece of the password into the port or the
  // path: say so, rather than connect somewhere else or print that piece.
  const rest = text.slice(scheme.length + 2)
  const at = rest.lastIndexOf('@')
  if (at >= 0 && /[/?#]/.test(rest.slice(0, at))) {
    const instead =
      option === 'VALKEY_URL'
        ? 'set VALKEY_USERNAME and VALKEY_PASSWORD'
        : 'pass the username and password options'
    throw new CacheConfigError(
      option,
      `the user name or password in the URL holds "/", "?" or "#", which must be percent-encoded: encode it (encodeURIComponent), or leave it out of the URL and ${instead} (URL ${JSON.stringify(redactUrl(text))})`,
    )
  }
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new CacheConfigError(
      option,
      `not a valid URL ${JSON.stringify(redactUrl(text))}: expected ${scheme}//[user[:password]@]host[:port][/db], with user and password percent-encoded`,
    )
  }
  // WHATWG keeps IPv6 brackets in `hostname`; net.connect wants the bare address.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  if (!host) throw new CacheConfigError(option, 'the URL has no host')
  const path = url.pathname.replace(/^\//, '')
  if (path !== '' && !/^\d+$/.test(path)) {
    throw new CacheConfigError(option, `the path must be a database number, got "/${path}"`)
  }
  return {
    host,
    port: url.port ? Number(url.port) : undefined,
    tls,
    username: url.username ? decode(url.username, option, 'user name') : undefined,
    password: url.password ? decode(url.password, option, 'password') : undefined,
    db: path === '' ? undefined : Number(path),
  }
}
