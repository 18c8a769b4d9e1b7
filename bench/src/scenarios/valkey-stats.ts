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

/** Bytes Valkey has sent to every connection but `admin`'s: `tot-net-out` of CLIENT LIST (Valkey ≥ 8). */
export async function netOutOfOthers(admin: Redis): Promise<number | undefined> {
  const id = String(await admin.client('ID'))
  const list = String(await admin.client('LIST'))
  let total = 0
  for (const line of list.split('\n')) {
    const fields = Object.fromEntries(
      line
        .trim()
        .split(' ')
        .map((pair) => pair.split('=', 2)),
    )
    if (!fields.id || fields.id === id) continue
    if (fields['tot-net-out'] === undefined) return undefined
    total += Number(fields['tot-net-out'])
  }
  return total
}

/** `total_net_output_bytes` of INFO stats (all connections, admin's replies included). */
export async function totalNetOut(admin: Redis): Promise<number> {
  const info = await admin.info('stats')
  return Number(/^total_net_output_bytes:(\d+)/m.exec(info)?.[1] ?? Number.NaN)
}
