// A stampede peer: one process, like one Lambda instance. Driven over IPC by stampede.ts.
import { type Contender, spec } from '../contenders'
import type { Endpoints } from '../env'

export type ToChild =
  | { type: 'prepare'; id: string; key: string; warmKey: string; endpoints: Endpoints }
  | { type: 'go'; at: number; reads: number }
  | { type: 'exit' }

export type FromChild =
  | { type: 'ready' }
  | { type: 'done'; originCalls: number; errors: number; wallMs: number; firstError?: string }
  | { type: 'failed'; error: string }

let contender: Contender | undefined
let baseline = 0
let coldKey = ''

const send = (message: FromChild) => process.send?.(message)

async function prepare(message: Extract<ToChild, { type: 'prepare' }>): Promise<void> {
  contender = await spec(message.id).create(message.endpoints)
  await contender.read(message.warmKey) // connects, loads scripts, warms the JIT
  baseline = contender.originCalls()
  send({ type: 'ready' })
}

async function go(message: Extract<ToChild, { type: 'go' }>): Promise<void> {
  const current = contender
  if (!current) throw new Error('go before prepare')
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, message.at - Date.now())))
  const started = performance.now()
  const settled = await Promise.allSettled(Array.from({ length: message.reads }, () => current.read(coldKey)))
  const wallMs = performance.now() - started
  const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected')
  const originCalls = current.originCalls() - baseline
  await current.close()
  contender = undefined
  send({
    type: 'done',
    originCalls,
    errors: failures.length,
    wallMs,
    ...(failures[0] ? { firstError: String(failures[0].reason) } : {}),
  })
}

// The parent is gone (killed, or Ctrl-C reached it alone): so is the reason to run.
process.on('disconnect', () => process.exit(0))

process.on('message', (message: ToChild) => {
  const run = async () => {
    if (message.type === 'prepare') {
      coldKey = message.key
      await prepare(message)
    } else if (message.type === 'go') await go(message)
    else process.exit(0)
  }
  run().catch((error: unknown) => send({ type: 'failed', error: String((error as Error)?.stack ?? error) }))
})
