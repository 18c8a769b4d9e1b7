import { createConnection, Socket } from 'node:net'
import { type ConnectionOptions, connect as connectTls } from 'node:tls'
import { AbstractConnector } from 'iovalkey'
import { withDeadline } from '../deadline'
import type { CredentialSource } from './credentials'
import type { ValkeyCredentials } from './options'

/** The iovalkey options a connector receives (the client's, or a cluster node's). */
interface NodeOptions {
  host?: string
  port?: number
  family?: number
  tls?: ConnectionOptions
  connectTimeout?: number
  disconnectTimeout?: number
}

const CONNECTION_CLOSED = 'Connection is closed.'
/** An AUTH reply is one short line; anything longer is not a Valkey server. */
const MAX_REPLY_BYTES = 4096

function encode(args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`
}

/** An AUTH refusal shaped like iovalkey's ReplyError, naming the user but never the password. */
function replyError(line: string, username: string | undefined): Error {
  const error = new Error(line) as Error & { command: unknown }
  error.name = 'ReplyError'
  error.command = { name: 'auth', args: username ? [username, '***'] : ['***'] }
  return error
}

function timeoutError(what: string, ms: number): Error {
  return Object.assign(new Error(`connect ETIMEDOUT (${what} took more than ${ms} ms)`), {
    code: 'ETIMEDOUT',
    syscall: 'connect',
  })
}

/** Sends `AUTH` as the first command on a fresh socket and resolves when Valkey accepts it. */
function authenticate(socket: Socket, credentials: ValkeyCredentials, secure: boolean): Promise<void> {
  const { username, password } = credentials
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0)
    const cleanup = () => {
      socket.off(secure ? 'secureConnect' : 'connect', onConnect)
      socket.off('data', onData)
      socket.off('error', reject)
      socket.off('close', onClose)
    }
    const onConnect = () => socket.write(encode(username ? ['AUTH', username, password] : ['AUTH', password]))
    const onClose = () => reject(Object.assign(new Error(CONNECTION_CLOSED), { code: 'ECONNRESET' }))
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      const end = buffered.indexOf('\r\n')
      if (end < 0 && buffered.length < MAX_REPLY_BYTES) return
      cleanup()
      // Hand the socket to iovalkey paused, with any extra bytes put back: its parser resumes it.
      socket.pause()
      if (end >= 0 && buffered.length > end + 2) socket.unshift(buffered.subarray(end + 2))
      const line = buffered.subarray(0, end < 0 ? 64 : end).toString('latin1')
      // The default user without a password answers AUTH with an error, yet the connection works.
      if (line.startsWith('+') || (!username && /without any password configured/.test(line))) resolve()
      else if (line.startsWith('-')) reject(replyError(line.slice(1), username))
      else reject(new Error(`Protocol error, got ${JSON.stringify(line.slice(0, 1))} as reply type byte`))
    }
    socket.once(secure ? 'secureConnect' : 'connect', onConnect)
    socket.on('data', onData)
    socket.once('error', reject)
    socket.once('close', onClose)
  })
}

/**
 * An iovalkey `Connector` that fetches credentials for every connection and sends `AUTH` itself
 * before handing the socket over. iovalkey reads `username`/`password` once per connect, before any
 * await, so a rotated secret or a fresh IAM token could not reach it otherwise. It is passed down to
 * cluster nodes and their slot-refresh connections through `redisOptions`, so every connection does it.
 * A failure is handed back as a destroyed socket with `firstError` set, which iovalkey reports as an
 * `error` event and answers with its retry strategy (a rejected promise would end the client for good).
 */
export function credentialConnector(source: CredentialSource) {
  return class CredentialConnector extends AbstractConnector {
    private readonly options: NodeOptions

    // iovalkey types the argument as unknown; it is the client's (or node's) options object.
    constructor(options: unknown) {
      super((options as NodeOptions).disconnectTimeout ?? 2000)
      this.options = options as NodeOptions
    }

    async connect(): Promise<Socket> {
      this.connecting = true
      this.firstError = undefined
      const { host, port, family, tls } = this.options
      // One budget for the whole attempt: fetching credentials, TCP, TLS and AUTH.
      const budget = this.options.connectTimeout ?? 10_000
      const started = Date.now()
      let socket: Socket | undefined
      try {
        const credentials = await withDeadline(
          budget,
          () => source(),
          () => timeoutError('fetching credentials', budget),
        )
        if (!this.connecting) throw new Error(CONNECTION_CLOSED)
        const target = { host: host ?? 'localhost', port: port ?? 6379, ...(family ? { family } : {}) }
        socket = tls ? connectTls({ ...target, ...tls }) : createConnection(target)
        // Never an unhandled 'error', whatever the timing; iovalkey attaches its own listener on hand-over.
        socket.on('error', () => {})
        this.stream = socket
        const left = Math.max(1, budget - (Date.now() - started))
        const opened = socket
        await withDeadline(
          left,
          (signal) => {
            signal.addEventListener('abort', () => opened.destroy())
            return authenticate(opened, credentials, Boolean(tls))
          },
          () => timeoutError('connecting and AUTH', left),
        )
        return socket
      } catch (error) {
        // disconnect() was called meanwhile: reject like iovalkey's own connector, which ends the client.
        if (!this.connecting) throw new Error(CONNECTION_CLOSED)
        this.firstError = error as Error
        const failed = socket ?? new Socket()
        failed.destroy()
        return failed
      }
    }
  }
}
