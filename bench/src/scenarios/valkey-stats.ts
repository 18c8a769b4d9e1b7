import type { Redis } from 'iovalkey'

/** Every key in the (bench-private) server. */
export async function allKeys(admin: Redis): Promise<string[]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await admin.scan(cursor, 'COUNT', 1000)
    keys.push(...batch)
    cursor = next
  } while (cursor !== '0')
  return keys.sort()
}

/** `INFO commandstats` as { command: calls }. */
export async function commandStats(admin: Redis): Promise<Record<string, number>> {
  const info = await admin.info('commandstats')
  const stats: Record<string, number> = {}
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    stats[match[1] as string] = Number(match[2])
  }
  return stats
}

/** Bytes Valkey has sent to each connection but `admin`'s, by client id: `tot-net-out` of CLIENT LIST (Valkey ≥ 8). */
async function netOutByClient(admin: Redis): Promise<Map<string, number> | undefined> {
  const id = String(await admin.client('ID'))
  const list = String(await admin.client('LIST'))
  const sent = new Map<string, number>()
  for (const line of list.split('\n')) {
    const fields = Object.fromEntries(
      line
        .trim()
        .split(' ')
        .map((pair) => pair.split('=', 2)),
    )
    if (!fields.id || fields.id === id) continue
    if (fields['tot-net-out'] === undefined) return undefined
    sent.set(fields.id, Number(fields['tot-net-out']))
  }
  return sent
}

/** How {@link bytesSentMeter} counts. */
export type BytesMethod = 'client tot-net-out' | 'INFO total_net_output_bytes'

/**
 * A running count of the bytes Valkey has sent to every connection but `admin`'s, per connection from
 * CLIENT LIST where Valkey counts that (≥ 8), else INFO's total (admin's replies included). Per
 * connection, a connection that closes between two readings (a previous contender's, still closing)
 * takes nothing away: summed over the list, the count went down when one did.
 */
export async function bytesSentMeter(
  admin: Redis,
): Promise<{ method: BytesMethod; read: () => Promise<number> }> {
  let last = await netOutByClient(admin)
  if (last === undefined) return { method: 'INFO total_net_output_bytes', read: () => totalNetOut(admin) }
  let total = 0
  return {
    method: 'client tot-net-out',
    async read() {
      const now = (await netOutByClient(admin)) ?? new Map<string, number>()
      for (const [id, sent] of now) total += sent - (last?.get(id) ?? 0)
      last = now
      return total
    },
  }
}

/** `total_net_output_bytes` of INFO stats (all connections, admin's replies included). */
export async function totalNetOut(admin: Redis): Promise<number> {
  const info = await admin.info('stats')
  return Number(/^total_net_output_bytes:(\d+)/m.exec(info)?.[1] ?? Number.NaN)
}
