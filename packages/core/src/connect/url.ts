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

/** The URL with its password replaced, for error messages. */
export function redactUrl(text: string): string {
  return text.replace(/^([a-z]+:\/\/[^:/@]*):[^/]*@/i, '$1:***@')
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
export function parseValkeyUrl(text: string, option = 'url'): ParsedValkeyUrl {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new CacheConfigError(option, `not a URL: ${JSON.stringify(redactUrl(String(text)))}`)
  }
  const tls = SCHEMES[url.protocol.toLowerCase()]
  if (tls === undefined) {
    throw new CacheConfigError(
      option,
      `scheme must be valkey://, valkeys://, redis:// or rediss://, got ${url.protocol}//`,
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
