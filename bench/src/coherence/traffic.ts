import type { Redis } from 'iovalkey'

/**
 * Bytes Valkey received from and sent to every connection but the `excluded` ones (by client id): the
 * sum of `tot-net-in` and `tot-net-out` over CLIENT LIST (Valkey ≥ 8). Per connection rather than INFO's
 * server totals, so the parent's own connections (this admin, the message counter) stay out of it.
 */
export async function trafficOf(admin: Redis, excluded: ReadonlySet<string>): Promise<number> {
  const list = String(await admin.client('LIST'))
  let total = 0
  for (const line of list.split('\n')) {
    if (line.trim() === '') continue
    const fields = new Map(
      line
        .trim()
        .split(' ')
        .map((pair) => pair.split('=', 2) as [string, string]),
    )
    if (excluded.has(fields.get('id') ?? '')) continue
    const into = fields.get('tot-net-in')
    const out = fields.get('tot-net-out')
    if (into === undefined || out === undefined) {
      throw new Error('CLIENT LIST has no tot-net-in/tot-net-out: Valkey 8 or later is needed')
    }
    total += Number(into) + Number(out)
  }
  return total
}
