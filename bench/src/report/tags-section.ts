import type { BenchResults } from '../results'
import { bytes, num, ratio, table, us } from './format'

const show = (byCommand: Record<string, number>) =>
  Object.entries(byCommand)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')

/** Section 10: what tags and dependencies cost core in commands, memory and time. */
export function tagsSection(results: BenchResults): string {
  const tags = results.scenarios.tags
  if (!tags?.commands.length) return ''
  const commands = tags.commands.map((c) => [
    c.what,
    num(c.sent),
    `${num(c.commands)} (${show(c.byCommand)})`,
    c.perMember ? `${num(c.perMember.sent)} / ${num(c.perMember.commands)}` : '',
  ])
  const sets = tags.memory.map((m) => {
    const timed = tags.invalidations.find((i) => i.members === m.members)
    return [
      num(m.members),
      `${num(m.tagBytesPerMember)} (${bytes(m.tagSetBytes)}, ${m.tagEncoding})`,
      `${num(m.dependentBytesPerMember)} (${bytes(m.dependentsSetBytes)}, ${m.dependentsEncoding})`,
      timed ? `${num(timed.medianMs)} ms (${timed.runsMs.map(num).join(', ')})` : '–',
      timed ? us(timed.perMemberUs) : '–',
    ]
  })
  const hits = tags.hits.map((c) => [
    c.name,
    us(c.median.p50Us),
    us(c.median.p99Us),
    num(c.median.cpuUs),
    ratio(c.ratioToFloor.p50),
  ])
  const log = tags.tagLog
  return [
    '## 10. Tags and dependencies',
    `core only. Commands as in section 5 (“run”: \`INFO commandstats\` deltas, scripts’ inner commands included; “sent”: from \`MONITOR\`, the round trips unless pipelined — a load’s BEGIN and its \`ZMSCORE\` of the tag log leave in one write). Hits are averaged over ${num(tags.commands.find((c) => c.id === 'hit-tagged')?.ops)} reads, misses and puts over ${num(tags.commands.find((c) => c.id === 'miss-object')?.ops)}; a wrap value’s two dependencies are objects already cached, read through the loader’s \`context.cache\`; a removal’s last column is per entry it removed.`,
    table(['operation', 'sent', 'run (by command)', 'per member: sent / run'], commands, [
      'l',
      'r',
      'r',
      'r',
    ]),
    `Sets: \`MEMORY USAGE … SAMPLES 0\` of one tag’s set and of one object’s dependents set (sorted sets of entry keys), divided by their members, and the wall time of \`invalidateTags\` of that many members (median of ${num(tags.invalidations[0]?.runsMs.length)} runs after an untimed one, members built before each). The tag log, after one \`invalidateTags\` of ${num(log.tags)} tags: ${bytes(log.bytes)}, **${num(log.bytesPerTag)} B per logged tag** (${log.encoding}).`,
    table(
      ['members', 'tag set, B per member', 'dependents set, B per member', 'invalidateTags', 'per member'],
      sets,
      ['r', 'r', 'r', 'r', 'r'],
    ),
    `Hits of one \`wrap\` value (the ${num(tags.hits[0]?.sizeKiB)} KiB document, concurrency 1, timed as in section 1): untagged, with 3 tags, and built from two objects. A hit is one GET in all three; the ratio is the median of per-round p50 ratios to the untagged value.`,
    table(['value', 'p50', 'p99', 'CPU µs/hit', '×untagged p50'], hits),
  ].join('\n\n')
}
