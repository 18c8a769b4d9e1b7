import { S3CacheError, ValkeyAuthError, ValkeyConnectionError } from '../errors'

// Passwords and tokens this process has used, each with the forms a message could hold it in (as
// is, percent-encoded, JSON-escaped), so that no message can repeat them. Bounded: rotation adds one
// per rotation, IAM one per token.
const secrets: { secret: string; forms: string[] }[] = []
const MAX_SECRETS = 32

/** Remembers a password or token; `scrub` removes it from every later message. */
export function rememberSecret(secret: string | undefined): void {
  if (!secret || secret.length < 4 || secrets.some((known) => known.secret === secret)) return
  const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])
  // Longest first: a form that holds another (`ab%` in `ab%25`) goes whole.
  secrets.push({ secret, forms: [...forms].sort((a, b) => b.length - a.length) })
  if (secrets.length > MAX_SECRETS) secrets.shift()
}

const URL_START = /[a-z][a-z0-9+.-]*:\/\//gi

/**
 * Replaces the user info of every URL (`scheme://user:password@host`) with `user:***`, or `***`.
 * The user info runs to the last `@` on the line, whatever the password's characters (`/`, `@`,
 * spaces, quotes): several URLs on one line may lose more than their user info, never less.
 */
function scrubUrls(text: string): string {
  let out = ''
  let from = 0
  for (const match of text.matchAll(URL_START)) {
    const start = match.index + match[0].length
    if (start <= from) continue
    const newline = text.indexOf('\n', start)
    const lineEnd = newline < 0 ? text.length : newline
    const at = text.lastIndexOf('@', lineEnd - 1)
    if (at < start) continue
    const user = /^[^:/@\s"'<>]*:/.exec(text.slice(start, at))?.[0] ?? ''
    out += `${text.slice(from, start)}${user}***@`
    from = at + 1
  }
  return out + text.slice(from)
}

/** Removes remembered secrets, SigV4 signatures and URL passwords from a text. */
export function scrub(text: string): string {
  let out = text
  for (const { forms } of secrets) for (const form of forms) out = out.split(form).join('***')
  out = out.replace(/(X-Amz-(?:Signature|Security-Token|Credential)=)[^&\s"']+/gi, '$1***')
  return scrubUrls(out)
}

interface CommandInfo {
  name: string
  args: unknown[]
}

function commandOf(error: Error): CommandInfo | undefined {
  const command = (error as { command?: { name?: unknown; args?: unknown } }).command
  if (!command || typeof command.name !== 'string') return undefined
  return { name: command.name.toLowerCase(), args: Array.isArray(command.args) ? command.args : [] }
}

/** A copy of an error without the command's arguments (AUTH carries the password) and with a scrubbed message. */
function sanitize(error: Error): Error {
  const copy = new Error(scrub(error.message)) as Error & Record<string, unknown>
  copy.name = error.name
  copy.stack = scrub(error.stack ?? '')
  for (const key of ['code', 'errno', 'syscall', 'address', 'port']) {
    if (key in error) copy[key] = (error as unknown as Record<string, unknown>)[key]
  }
  const command = commandOf(error)
  if (command) copy.command = { name: command.name }
  return copy
}

/**
 * Blanks the password in place in an iovalkey AUTH error (`command.args` is `[password]` or `[user,
 * password]`). iovalkey rejects the commands queued on a connection with this same object, then emits
 * it as `error`: redacting it in the `error` listener reaches it before any caller's handler runs.
 */
export function redactAuthArgs(error: unknown): void {
  const command = (error as { command?: { name?: unknown; args?: unknown } } | null)?.command
  if (typeof command?.name !== 'string' || command.name.toLowerCase() !== 'auth') return
  if (!Array.isArray(command.args) || command.args.length === 0) return
  command.args[command.args.length - 1] = '***'
}

function firstKey(command: CommandInfo | undefined): string | undefined {
  if (!command) return undefined
  const scripted = /^(eval|evalsha|eval_ro|evalsha_ro|fcall|fcall_ro)$/.test(command.name)
  if (scripted && Number(command.args[1]) < 1) return undefined
  const key = command.args[scripted ? 2 : 0]
  return key === undefined ? undefined : String(key).slice(0, 200)
}

function authError(
  message: string,
  raw: Error,
  command: CommandInfo | undefined,
  username: string | undefined,
  assumedUser: string | undefined,
): Error | undefined {
  const named = /User (\S+) has no permissions/i.exec(message)?.[1]
  // iovalkey's AUTH is sent as [user, password] or [password] (the default user).
  const authUser = command?.name === 'auth' && command.args.length > 1 ? String(command.args[0]) : undefined
  const user = username ?? authUser ?? named
  const cause = sanitize(raw)
  if (/^WRONGPASS|invalid username-password pair/i.test(message)) {
    const who = user ?? assumedUser
    return new ValkeyAuthError(
      `Valkey refused the password or token of ${who ? `user "${who}"` : 'the user'} (WRONGPASS: wrong secret, expired token, or the user is off)`,
      { username: who, cause },
    )
  }
  if (/^NOAUTH/.test(message)) {
    return new ValkeyAuthError(
      'Valkey requires authentication: set username and password, credentials, or iam',
      {
        username: user,
        cause,
      },
    )
  }
  if (!/^NOPERM|ACL failure in script/i.test(message)) return undefined
  const who = user ? `User "${user}"` : 'The Valkey user'
  const inScript = /ACL failure in script/i.test(message) ? ' (inside a Lua script)' : ''
  const denied = /no permissions to run the '([^']+)' command/i.exec(message)?.[1]
  if (denied) {
    const permission = `+${denied}`
    return new ValkeyAuthError(`${who} lacks the ACL permission ${permission}${inScript}: ${message}`, {
      username: user,
      permission,
      cause,
    })
  }
  if (/no permissions to access (a|one of the) channel/i.test(message)) {
    return new ValkeyAuthError(`${who} may not use this pub/sub channel: ${message}`, {
      username: user,
      permission: 'channel',
      cause,
    })
  }
  const key = inScript ? undefined : firstKey(command)
  const what = key
    ? `key "${key}"`
    : `a key used by ${command?.name.toUpperCase() ?? 'the command'}${inScript}`
  return new ValkeyAuthError(
    `${who} may not access ${what}: its ACL key pattern must cover the cache's keyPrefix (for example ~s3c:*)`,
    { username: user, permission: key ? `~${key}` : '~<keyPrefix>*', cause },
  )
}

const CERT_CODES =
  /^(SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_\w+|ERR_TLS_CERT_ALTNAME_INVALID)$/
const UNREACHABLE_CODES =
  /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE)$/
const DISCONNECTED =
  /^(Connection is closed\.|Stream isn't writeable|Cluster isn't ready|Reached the max retries per request|None of startup nodes|Failed to refresh slots cache)/
/**
 * How a GLIDE store reports a reply GLIDE lost: after it subscribes again by itself (a reconnect) to
 * two or more channels, it hands the extra confirmations to the next commands waiting, and each reply
 * after them to the command sent after its own, until the connection idles. The command ran, or will;
 * like a dropped connection, a second attempt can cure it.
 */
export const GLIDE_REPLY_LOST = 'GLIDE lost the reply'

// A GLIDE client the app has closed: no later attempt can succeed, so not a lost connection.
const GLIDE_CLOSED = /^Unable to execute requests; the client is closed/

// GLIDE (@valkey/valkey-glide) wraps Valkey's replies in words of its own: a refusal as `An error was
// signalled by the server: - PermissionDenied: <reply>` (NOPERM), a connection it could not open as
// `Standalone connect failed - IoError: Received error for address `host:port`: <reply or reason>`.
// Unwrapped, they map as iovalkey's do.
const GLIDE_REPLY = /^An error was signalled by the server: - (\w+): /
const GLIDE_CONNECT = /connect failed - IoError: (?:Received error for address `([^`]*)`: )?/

function unwrapGlide(message: string): { message: string; connecting: boolean } | undefined {
  const reply = GLIDE_REPLY.exec(message)
  if (reply) {
    const text = message.slice(reply[0].length)
    return { message: reply[1] === 'PermissionDenied' ? `NOPERM ${text}` : text, connecting: false }
  }
  const connect = GLIDE_CONNECT.exec(message)
  if (!connect) return undefined
  const reason = message.slice(connect.index + connect[0].length).trim()
  return { message: connect[1] ? `${reason} (at ${connect[1]})` : reason, connecting: true }
}

/**
 * Whether a command failed because its connection dropped or is being re-established, rather than
 * by Valkey's answer: the one kind of failure a second attempt on the next connection can cure.
 */
export function isConnectionLost(error: unknown): boolean {
  const message = (error as Error | undefined)?.message ?? ''
  const code = String((error as { code?: unknown } | undefined)?.code ?? '')
  return (
    DISCONNECTED.test(message) ||
    message.startsWith('Command aborted due to connection close') ||
    message.startsWith(GLIDE_REPLY_LOST) ||
    code === 'ECONNRESET' ||
    code === 'EPIPE'
  )
}

function connectionError(message: string, raw: Error, connecting: boolean): Error | undefined {
  const code = String((raw as { code?: unknown }).code ?? '')
  const cause = sanitize(raw)
  if (
    /^ERR_SSL_(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG)$/.test(code) ||
    /wrong version number|before secure TLS/i.test(message)
  ) {
    return new ValkeyConnectionError(
      `TLS handshake with Valkey failed (${message}): the port does not seem to serve TLS; use a valkey:// URL without tls, or the TLS port`,
      { cause },
    )
  }
  if (/Protocol error, got "\\u0015"/.test(message)) {
    return new ValkeyConnectionError(
      'Valkey answered with a TLS alert: this port requires TLS; use a valkeys:// URL or set the tls option',
      { cause },
    )
  }
  if (CERT_CODES.test(code)) {
    return new ValkeyConnectionError(
      `Valkey's TLS certificate was rejected (${code}: ${message}): pass the CA that signed it as tls.ca (VALKEY_TLS_CA), or fix tls.servername`,
      { cause },
    )
  }
  if (UNREACHABLE_CODES.test(code) || connecting)
    return new ValkeyConnectionError(`Valkey is unreachable: ${message}`, { cause })
  if (DISCONNECTED.test(message) || GLIDE_CLOSED.test(message))
    return new ValkeyConnectionError(`Valkey is not connected: ${message}`, { cause })
  return undefined
}

/**
 * Maps an iovalkey or GLIDE error to one that says what to fix: `WRONGPASS` → {@link ValkeyAuthError}
 * naming the user; `NOPERM` (also inside scripts) → `ValkeyAuthError` whose `permission` names the
 * missing command (`+evalsha`) or key; TLS mismatches, rejected certificates and lost connections →
 * {@link ValkeyConnectionError}. Passwords and tokens never appear in the message or the `cause`.
 * `username` names the user when the error itself does not.
 */
export function toValkeyError(error: unknown, username?: string): Error {
  if (error instanceof S3CacheError) return error
  const raw = error instanceof Error ? error : new Error(String(error))
  // iovalkey's ClusterAllFailedError wraps the error of the last node it tried.
  const last = (raw as { lastNodeError?: unknown }).lastNodeError
  if (last instanceof Error) {
    const mapped = toValkeyError(last, username)
    if (mapped instanceof ValkeyAuthError || mapped instanceof ValkeyConnectionError) return mapped
  }
  const glide = unwrapGlide(raw.message)
  const message = scrub(glide?.message ?? raw.message)
  // iovalkey's AUTH without a user name is the default user's; GLIDE's WRONGPASS says nothing of the user.
  const assumedUser = glide ? undefined : 'default'
  const mapped =
    authError(message, raw, commandOf(raw), username, assumedUser) ??
    connectionError(message, raw, glide?.connecting === true)
  if (mapped) return mapped
  return message === raw.message && !commandOf(raw)?.name.startsWith('auth') ? raw : sanitize(raw)
}

/**
 * Adds a TLS hint to the error of a client that has never been answered: a TLS server drops a
 * plain-text client without a word, and a plain-text server leaves a TLS handshake hanging.
 */
export function withTlsHint(error: Error, tls: boolean): Error {
  if (!(error instanceof ValkeyConnectionError)) return error
  if (!tls && /ECONNRESET|Connection is closed|socket hang up/.test(error.message)) {
    return new ValkeyConnectionError(
      `${error.message}: the server closed the connection before answering; if this port requires TLS, use a valkeys:// URL or set the tls option`,
      { cause: error.cause },
    )
  }
  if (tls && /ETIMEDOUT/.test(error.message)) {
    return new ValkeyConnectionError(
      `${error.message}: no TLS handshake within the connect timeout; if this port serves plain text (not TLS), use a valkey:// URL without tls, else check the host, port and security group`,
      { cause: error.cause },
    )
  }
  return error
}
