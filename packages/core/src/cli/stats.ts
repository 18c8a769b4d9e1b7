import type { Cluster, Redis } from 'iovalkey'
import { toValkeyError } from '../connect/errors'
import type { CommandSpec, ParsedCommand } from './args'
import { type CliIo, connect } from './context'
import { formatBytes, table } from './format'

export const statsSpec: CommandSpec = {
  name: 'stats',
  summary: 'count the keys under the key prefix and the memory they use',
  positionals: [],
  options: {},
  details: `Walks the keys under VALKEY_KEY_PREFIX with SCAN on every primary (every shard of a cluster) and
sums MEMORY USAGE. "entries" are cached objects and values; "bookkeeping" are the small generation,
sequencer and lease keys next to them, the sets of tags and dependents with their sweep indexes, and
the tag log, and the change counter. Keys are hashed, so counts cannot be split by bucket.

The library keeps no hit or miss counters in Valkey (that would cost a write per read): hit rates
come from the cache's onEvent events in your functions.`,
}

interface NodeStats {
  node: string
  keys: number
  entries: number
  bookkeeping: number
  /** Undefined when the server refuses MEMORY USAGE (ACL, or a service without it). */
  memory: number | undefined
}

const BOOKKEEPING = /:(gen|seq|lease|deps|log|sets|n)$/
const SCAN_COUNT = 1000

async function scanNode(node: Redis, pattern: string, memoryRefused: { error?: Error }): Promise<NodeStats> {
  const stats: NodeStats = {
    node: `${node.options.host}:${node.options.port}`,
    keys: 0,
    entries: 0,
    bookkeeping: 0,
    memory: 0,
  }
  let cursor = '0'
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT)
    cursor = next
    stats.keys += keys.length
    for (const key of keys) {
      if (BOOKKEEPING.test(key)) stats.bookkeeping++
      else stats.entries++
    }
    if (memoryRefused.error || keys.length === 0) continue
    // Sent together, so one batch costs one round trip; a key gone since SCAN answers null.
    const sizes = await Promise.all(
      keys.map((key) =>
        (node.call('MEMORY', 'USAGE', key) as Promise<number | null>).catch((error: unknown) => {
          memoryRefused.error ??= toValkeyError(error)
          return 0
        }),
      ),
    )
    for (const size of sizes) stats.memory = (stats.memory ?? 0) + (size ?? 0)
  } while (cursor !== '0')
  if (memoryRefused.error) stats.memory = undefined
  return stats
}

export async function runStats({ values }: ParsedCommand, io: CliIo): Promise<number> {
  const connection = await connect(io.env)
  try {
    const { client, keyPrefix } = connection
    const primaries = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis]
    // SCAN's MATCH is a glob: escape the prefix (the cache's prefixes never hold glob characters anyway).
    const pattern = `${keyPrefix.replace(/[\\*?[\]]/g, '\\$&')}*`
    const memoryRefused: { error?: Error } = {}
    const nodes = await Promise.all(primaries.map((node) => scanNode(node, pattern, memoryRefused)))
    nodes.sort((a, b) => a.node.localeCompare(b.node))
    const sum = (pick: (s: NodeStats) => number) => nodes.reduce((total, s) => total + pick(s), 0)
    const memory = memoryRefused.error ? undefined : sum((s) => s.memory ?? 0)
    const total = {
      keys: sum((s) => s.keys),
      entries: sum((s) => s.entries),
      bookkeeping: sum((s) => s.bookkeeping),
      memory,
    }
    if (values.json) {
      const note = 'no hit/miss counters are kept in Valkey; use onEvent'
      io.out(
        `${JSON.stringify({ keyPrefix, nodes, total, memoryError: memoryRefused.error?.message, note })}\n`,
      )
      return 0
    }
    const bytes = (n: number | undefined) => (n === undefined ? 'n/a' : formatBytes(n))
    const rows = [
      ['node', 'keys', 'entries', 'bookkeeping', 'memory'],
      ...nodes.map((s) => [
        s.node,
        String(s.keys),
        String(s.entries),
        String(s.bookkeeping),
        bytes(s.memory),
      ]),
    ]
    if (nodes.length > 1)
      rows.push([
        'total',
        String(total.keys),
        String(total.entries),
        String(total.bookkeeping),
        bytes(total.memory),
      ])
    io.out(`key prefix  ${keyPrefix}\n\n${table(rows, [1, 2, 3, 4])}\n\n`)
    if (memoryRefused.error) io.out(`memory: MEMORY USAGE refused (${memoryRefused.error.message})\n`)
    io.out(
      'Hit and miss counts are not kept in Valkey (that would cost a write per read): use the onEvent events.\n',
    )
    return 0
  } finally {
    await connection.close()
  }
}
