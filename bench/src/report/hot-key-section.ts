import type { BenchResults } from '../results'
import { num, pct, ratio, table, us } from './format'

/** Section 8: 64 concurrent reads of one cached key, batch after batch. */
export function hotKeySection(results: BenchResults): string {
  const hot = results.scenarios.hotKey
  if (!hot?.cells.length) return ''
  const rows = hot.cells.map((c) => {
    const counted = hot.commands.find((x) => x.contender === c.contender && x.sizeKiB === c.sizeKiB)
    return [
      `${c.name}${c.originCalls ? ` ⚠ (${c.originCalls} S3)` : ''}`,
      `${c.sizeKiB} KiB`,
      `${num(c.readsPerSec)} ${pct(c.spread.readsPerSec.relative)}`,
      us(c.p50BatchUs),
      us(c.p99BatchUs),
      num(c.cpuUsPerRead),
      ratio(c.ratioToRaw),
      ratio(c.ratioToCacheManager),
      counted
        ? `${num(counted.perBatch)} (${Object.entries(counted.byCommand)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')})`
        : '–',
    ]
  })
  return [
    '## 8. Hot key',
    `One key that is already cached, read by ${hot.batch} concurrent callers at once (\`Promise.all\` of ${hot.batch} reads), batch after batch: a popular object under load. One operation is one batch; reads/s counts every read. core, cache-manager and cachified coalesce concurrent reads of one key in-process, so one batch can be served by one Valkey command: the last column counts them (\`INFO commandstats\` deltas after \`CONFIG RESETSTAT\`, over repeated batches). The ratios are medians of per-round ratios measured in the same rounds; CPU is the benchmark process’s CPU time per read.`,
    table(
      [
        'library',
        'document',
        'reads/s (spread)',
        'batch p50',
        'batch p99',
        'CPU µs/read',
        '×raw floor',
        '×cache-manager',
        'Valkey commands per batch',
      ],
      rows,
    ),
  ].join('\n\n')
}
