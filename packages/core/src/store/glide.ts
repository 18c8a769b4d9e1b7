import { randomBytes } from 'node:crypto'
import { GLIDE_REPLY_LOST } from '../connect/errors'
import { withDeadline } from '../deadline'
import { ValkeyConnectionError } from '../errors'
import { type GlidePubSubLike, GlideSubscriber } from './glide-subscriber'
import { policyOf, type ScriptArg, ScriptedStore } from './scripted'
import { SCRIPTS, type Script } from './scripts'
import type { ChangeListener, Subscription } from './store'

/** A GLIDE argument or key: text, or bytes. */
type GlideArg = string | Buffer

/** GLIDE's `Decoder` values (so this module imports nothing from GLIDE): replies as Buffers, or as strings. */
const BYTES = 0
const STRING = 1

/**
 * The part of a `GlideClient` or `GlideClusterClient` (`@valkey/valkey-glide`) the cache uses, declared
 * structurally: core never imports GLIDE for its types, and loads its `Script` class only once such a
 * client is given.
 */
export interface GlideClientLike extends GlidePubSubLike {
  get(key: GlideArg, options: { decoder: typeof BYTES }): Promise<unknown>
  invokeScript(
    script: unknown,
    options: { keys: GlideArg[]; args: GlideArg[]; decoder: typeof STRING },
  ): Promise<unknown>
  customCommand(
    args: GlideArg[],
    options?: { route?: 'allPrimaries'; decoder?: typeof BYTES | typeof STRING },
  ): Promise<unknown>
}

/** A GLIDE push (`{ kind: 'Subscribe', values }`), which no command of the cache's answers. */
function isPush(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !Buffer.isBuffer(value) &&
    typeof (value as { kind?: unknown }).kind === 'string'
  )
}

/** The reply, or a lost-reply error in its place when GLIDE handed the command a push instead. */
async function replyOf<T>(command: string, reply: Promise<T>): Promise<T> {
  const value = await reply
  if (isPush(value)) {
    const { kind } = value as { kind: string }
    throw new ValkeyConnectionError(`${GLIDE_REPLY_LOST} of ${command} (a ${kind} push, after a reconnect)`)
  }
  return value
}

/** Whether `value` is a GLIDE client. Duck-typed, as the app may resolve another copy of GLIDE. */
export function isGlideClient(value: unknown): value is GlideClientLike {
  const client = value as Partial<GlideClientLike> | null | undefined
  return typeof client?.invokeScript === 'function' && typeof client.customCommand === 'function'
}

interface GlideScriptClass {
  new (code: string): unknown
}

/**
 * A script as the GLIDE store sends it: it takes one more argument, a nonce, and answers `{ nonce, reply }`.
 * GLIDE can hand a command the reply meant for the one before it (see `GLIDE_REPLY_LOST`); a reply that
 * echoes this call's nonce is this call's, where a number or a text alone could be anyone's.
 */
function echoing(source: string): string {
  return `local nonce = table.remove(ARGV)\nlocal function reply()\n${source}\nend\nreturn { nonce, reply() }`
}

/** Nonces unique on a connection: a random prefix per process, then a count. */
const NONCE_PREFIX = randomBytes(6).toString('base64url')
let nonces = 0

/** GLIDE's `Script` objects, one per script (its echoing form), made from the GLIDE package the app installed. */
let glideScripts: Promise<Map<Script, unknown>> | undefined

function scriptsOf(): Promise<Map<Script, unknown>> {
  // A specifier in a variable: bundlers leave it to the runtime, so an app without GLIDE never needs it.
  const specifier = '@valkey/valkey-glide'
  glideScripts ??= (import(specifier) as Promise<{ Script: GlideScriptClass }>).then(
    ({ Script: GlideScript }) =>
      new Map(SCRIPTS.map((script) => [script, new GlideScript(echoing(script.source))])),
    (error: unknown) => {
      glideScripts = undefined
      throw new ValkeyConnectionError('a GLIDE client was given, but @valkey/valkey-glide cannot be loaded', {
        cause: error,
      })
    },
  )
  return glideScripts
}

/**
 * The store on a GLIDE client: one GET per read (its bytes decoder, so bodies stay binary; the entry
 * names its key, so another key's is told apart), and one script per conditional write through GLIDE's script API (`invokeScript`: `EVALSHA`, and `SCRIPT LOAD`
 * then `EVALSHA` again when the server does not know it yet). GLIDE routes each command by its keys, which share one hash tag. The
 * client is the app's: `close()` leaves it open.
 */
export class GlideStore extends ScriptedStore {
  private readonly client: GlideClientLike
  private readonly timeoutMs: number

  constructor(client: GlideClientLike, settings: { timeoutMs: number }) {
    super()
    this.client = client
    this.timeoutMs = settings.timeoutMs
  }

  protected async run(script: Script, keys: string[], args: ScriptArg[]): Promise<unknown> {
    const glideScript = (await scriptsOf()).get(script)
    const nonce = `${NONCE_PREFIX}${++nonces}`
    const glideArgs = args.map((arg) => (typeof arg === 'number' ? String(arg) : arg))
    glideArgs.push(nonce)
    // The scripts answer numbers and text only: decoded as strings whatever the client's `defaultDecoder`.
    const reply = await replyOf(
      'a script',
      this.client.invokeScript(glideScript, { keys, args: glideArgs, decoder: STRING }),
    )
    if (!Array.isArray(reply) || reply[0] !== nonce)
      throw new ValkeyConnectionError(`${GLIDE_REPLY_LOST} of a script (it answered another command's reply)`)
    // A script that answers nil leaves the table one long.
    return reply.length > 1 ? reply[1] : null
  }

  async get(key: string): Promise<Buffer | null> {
    const reply = await this.client.get(key, { decoder: BYTES })
    // A GET with the bytes decoder answers bytes or nil: anything else (a push, a subscription count
    // GLIDE handed it after a reconnect) is another reply, and this GET's own was lost.
    if (reply !== null && !Buffer.isBuffer(reply))
      throw new ValkeyConnectionError(`${GLIDE_REPLY_LOST} of GET (${typeof reply}, after a reconnect)`)
    return reply
  }

  async ping(): Promise<void> {
    await this.client.customCommand(['PING'], { route: 'allPrimaries' })
  }

  async evictionPolicies(): Promise<string[]> {
    const ms = this.timeoutMs
    const reply = await withDeadline(
      ms,
      () => this.client.customCommand(['INFO', 'memory'], { route: 'allPrimaries', decoder: STRING }),
      () => new ValkeyConnectionError(`INFO memory got no answer within ${ms} ms`),
    )
    // A standalone client answers one text; a cluster client one per primary, by address.
    const infos = typeof reply === 'object' && reply !== null ? Object.values(reply) : [reply]
    return infos.map(policyOf).filter((policy): policy is string => policy !== undefined)
  }

  /** Loads the scripts on every primary (the client itself connected when it was created). */
  async connect(): Promise<void> {
    await scriptsOf()
    const ms = this.timeoutMs
    await withDeadline(
      ms,
      () =>
        Promise.all(
          SCRIPTS.map((script) =>
            this.client.customCommand(['SCRIPT', 'LOAD', echoing(script.source)], { route: 'allPrimaries' }),
          ),
        ),
      () => new ValkeyConnectionError(`Valkey did not load the cache's scripts within ${ms} ms`),
    )
  }

  protected async sharded(): Promise<boolean> {
    return typeof this.client.ssubscribe === 'function'
  }

  subscribe(channel: string, listener: ChangeListener): Subscription {
    return new GlideSubscriber(this.client, channel, listener, this.timeoutMs)
  }

  /** The client is the app's: it stays open. */
  async close(): Promise<void> {}
}
