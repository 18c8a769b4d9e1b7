// One contender alone in its process, like one Lambda instance: driven over IPC by processes.ts.
import { type Contender, spec } from '../contenders'
import type { Endpoints } from '../env'
import { measure, type Sample, warmUp } from '../measure'
import type { BenchDoc } from '../payload'
import type { Failed } from './peer'
import { fillCache, oneRead } from './timed'

export type ToContender =
  | { type: 'create'; id: string; endpoints: Endpoints }
  | { type: 'fill'; doc: BenchDoc; keys: string[] }
  | { type: 'warm'; doc: BenchDoc; keys: string[]; ops: number; concurrency: number }
  | {
      type: 'sample'
      doc: BenchDoc
      keys: string[]
      concurrency: number
      minMs: number
      minOps: number
    }
  | { type: 'exit' }

/** Every answer but `created` carries the contender's S3 calls so far (a hit makes none). */
export type FromContender =
  | { type: 'created'; name: string }
  | { type: 'filled'; originCalls: number }
  | { type: 'warmed'; originCalls: number }
  | { type: 'sampled'; sample: Sample; originCalls: number }
  | Failed

let contender: Contender | undefined
let id = ''

const send = (message: FromContender): void => {
  process.send?.(message)
}

function current(): Contender {
  if (!contender) throw new Error('no contender: create first')
  return contender
}

async function handle(message: ToContender): Promise<void> {
  switch (message.type) {
    case 'create':
      id = message.id
      contender = await spec(message.id).create(message.endpoints)
      return send({ type: 'created', name: contender.name })
    case 'fill':
      await fillCache(
        current(),
        id,
        message.keys.map((key) => [key, message.doc]),
      )
      return send({ type: 'filled', originCalls: current().originCalls() })
    case 'warm':
      await warmUp(oneRead(current(), message.keys, message.doc, id), message.ops, message.concurrency)
      return send({ type: 'warmed', originCalls: current().originCalls() })
    case 'sample': {
      // No forced GC first: the process is this contender's alone, so the garbage collected during a
      // sample is its own, and a full GC before each one shrank the young generation every time, which a
      // process serving requests never does (see processes.ts).
      const sample = await measure(oneRead(current(), message.keys, message.doc, id), {
        concurrency: message.concurrency,
        minMs: message.minMs,
        minOps: message.minOps,
      })
      return send({ type: 'sampled', sample, originCalls: current().originCalls() })
    }
    case 'exit':
      await contender?.close()
      process.exit(0)
  }
}

// The parent is gone (killed, or Ctrl-C reached it alone): so is the reason to run.
process.on('disconnect', () => process.exit(0))

process.on('message', (message: ToContender) => {
  handle(message).catch((error: unknown) =>
    send({ type: 'failed', error: String((error as Error)?.stack ?? error) }),
  )
})
