// A stand-in for ElastiCache's IAM check, in front of a real valkey-server: a TLS endpoint that reads
// the first command of every connection, accepts `AUTH <userId> <token>` (or `HELLO <version> AUTH
// <userId> <token>`, as GLIDE sends it) only when the token is signed with the expected AWS key for
// this cache and has not expired, and then forwards the connection to Valkey (where the IAM user is
// `nopass`). valkey-server cannot verify SigV4 tokens itself.
import { readFileSync } from 'node:fs'
import { connect as connectTcp, type Socket } from 'node:net'
import { createServer, type TLSSocket } from 'node:tls'
import type { TlsMaterial } from '@valkey-s3-cache/testkit'
import { type AwsCredentials, createIamAuthToken } from '../../src'

export interface IamGateOptions {
  backend: { host: string; port: number }
  tls: TlsMaterial
  userId: string
  cacheName: string
  region: string
  credentials: AwsCredentials
  /** Expect the tokens of a serverless cache (with `ResourceType=ServerlessCache`). Default `false`. */
  serverless?: boolean
}

export interface IamGate {
  readonly port: number
  /** Connections whose token was accepted, and refused. */
  readonly accepted: number
  readonly refused: number
  /** Tokens signed before `date` count as expired from now on (time passing while a function is frozen). */
  expireTokensSignedBefore(date: Date): void
  /** Closes every open connection, as ElastiCache does at its limits or an idle close. */
  dropConnections(): void
  stop(): Promise<void>
}

const TOKEN_LIFETIME_MS = 900_000

/** The elements of one complete RESP array of bulk strings at the start of `buffer`, or undefined. */
function firstCommand(buffer: Buffer): { args: string[]; length: number } | undefined {
  let at = 0
  const line = () => {
    const end = buffer.indexOf('\r\n', at)
    if (end < 0) return undefined
    const text = buffer.subarray(at, end).toString('latin1')
    at = end + 2
    return text
  }
  const head = line()
  if (head === undefined || !head.startsWith('*')) return undefined
  const args: string[] = []
  for (let i = 0; i < Number(head.slice(1)); i++) {
    const size = line()
    if (size === undefined) return undefined
    const length = Number(size.slice(1))
    if (buffer.length < at + length + 2) return undefined
    args.push(buffer.subarray(at, at + length).toString('utf8'))
    at += length + 2
  }
  return { args, length: at }
}

/** The user and token of a first command that authenticates: `AUTH` or `HELLO … AUTH` (ElastiCache takes both). */
function credentialsOf(args: string[]): { userId: string; token: string } | undefined {
  const [name = '', ...rest] = args.map((arg, i) => (i === 0 ? arg.toUpperCase() : arg))
  if (name === 'AUTH' && rest.length === 2) return { userId: rest[0] as string, token: rest[1] as string }
  if (name === 'HELLO' && rest[1]?.toUpperCase() === 'AUTH' && rest.length >= 4)
    return { userId: rest[2] as string, token: rest[3] as string }
  return undefined
}

/** `20240506T070809Z` → Date. */
function signedAt(token: string): Date | undefined {
  const stamp = new URLSearchParams(token.split('?')[1] ?? '').get('X-Amz-Date') ?? ''
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp)
  if (!m) return undefined
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as number[]
  return new Date(Date.UTC(year as number, (month as number) - 1, day, hour, minute, second))
}

export async function startIamGate(options: IamGateOptions): Promise<IamGate> {
  let notBefore = 0
  let accepted = 0
  let refused = 0
  const open = new Set<Socket>()

  const valid = async (userId: string, token: string): Promise<boolean> => {
    const date = signedAt(token)
    if (userId !== options.userId || !date) return false
    if (date.getTime() < notBefore || Date.now() - date.getTime() > TOKEN_LIFETIME_MS) return false
    const expected = await createIamAuthToken({ ...options, signingDate: date })
    return token === expected
  }

  const server = createServer(
    { key: readFileSync(options.tls.keyFile), cert: readFileSync(options.tls.certFile) },
    (client: TLSSocket) => {
      open.add(client)
      client.on('close', () => open.delete(client))
      client.on('error', () => {})
      let buffered = Buffer.alloc(0)
      const onData = async (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk])
        const command = firstCommand(buffered)
        if (!command) return
        client.off('data', onData)
        client.pause()
        const credentials = credentialsOf(command.args)
        if (!credentials || !(await valid(credentials.userId, credentials.token))) {
          refused++
          client.end('-WRONGPASS invalid username-password pair or user is disabled.\r\n')
          return
        }
        accepted++
        const backend = connectTcp(options.backend)
        open.add(backend)
        backend.on('close', () => {
          open.delete(backend)
          client.destroy()
        })
        backend.on('error', () => client.destroy())
        client.on('close', () => backend.destroy())
        // The token is checked here; Valkey's IAM user is nopass, so the AUTH goes through unchanged.
        backend.write(buffered)
        backend.pipe(client)
        client.pipe(backend)
        client.resume()
      }
      client.on('data', onData)
    },
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    port,
    get accepted() {
      return accepted
    },
    get refused() {
      return refused
    },
    expireTokensSignedBefore(date) {
      notBefore = date.getTime()
    },
    dropConnections() {
      for (const socket of open) socket.destroy()
    },
    async stop() {
      for (const socket of open) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
