import type { BenchResults } from '../results'
import { tbfArgs } from '../scenarios/link'
import { type LinkCell, rateLabel, type ShapedLinkResult } from '../scenarios/shaped-link'
import { num, ratio, table } from './format'

/** US$ per million ECPUs, ElastiCache Serverless for Valkey, US East: the figure docs/deploy.md quotes. */
const ECPU_PRICE_PER_MILLION = 0.0023

const idsOf = (cells: LinkCell[]) => [...new Set(cells.map((c) => c.contender))]

/** Per size: each contender's bytes and ECPUs per hit, then hits/s and its ratio to the raw floor at each rate. */
export function shapedLinkTable(link: ShapedLinkResult): string {
  if (link.skipped) return `shaped link skipped: ${link.skipped}`
  return link.sizesKiB
    .map((size) => {
      const cells = link.cells.filter((c) => c.sizeKiB === size)
      const at = (id: string, rate: number | null) =>
        cells.find((c) => c.contender === id && c.rateMbit === rate)
      const rows = idsOf(cells).map((id) => {
        const any = cells.find((c) => c.contender === id)
        const flagged = cells.some((c) => c.contender === id && c.originCalls > 0)
        return [
          `${any?.name ?? id}${flagged ? ' ⚠ S3 calls' : ''}`,
          num(any?.bytesPerHit),
          num(any?.ecpuPerHit),
          ...link.ratesMbit.flatMap((rate) => {
            const c = at(id, rate)
            return [num(c?.median.opsPerSec), ratio(c?.ratioToFloor.throughput), num(c?.mbitPerSec)]
          }),
        ]
      })
      return [
        `${size} KiB JSON, c=${link.concurrency}`,
        table(
          [
            'contender',
            'bytes per hit',
            'ECPUs per hit',
            ...link.ratesMbit.flatMap((rate) => [`${rateLabel(rate)} hits/s`, '×raw', 'Mbit/s moved']),
          ],
          rows,
        ),
      ].join('\n\n')
    })
    .join('\n\n')
}

/** ECPUs per hit of one contender at one size (its bytes per hit do not depend on the rate). */
function ecpusOf(link: ShapedLinkResult, id: string, size: number): number | undefined {
  return link.cells.find((x) => x.contender === id && x.sizeKiB === size)?.ecpuPerHit
}

export function shapedLinkSection(results: BenchResults): string {
  const link = results.scenarios.shapedLink
  if (!link) return ''
  const heading = '## 11. Shaped link'
  if (link.skipped)
    return [
      heading,
      `Not measured in this run: the scenario ${link.skipped}. It runs valkey-server in a network namespace of its own behind a veth pair shaped by \`tc qdisc … tbf\`.`,
    ].join('\n\n')
  const shaped = link.ratesMbit.filter((r): r is number => r !== null)
  const example = shaped[0] === undefined ? [] : tbfArgs(shaped[0])
  // ECPUs per hit × a million hits × the price per million ECPUs.
  const perMillionHits = (ecpus: number) => `$${(ecpus * ECPU_PRICE_PER_MILLION).toFixed(4)}`
  const cost = link.sizesKiB.flatMap((size) => {
    const raw = ecpusOf(link, 'raw', size)
    const core = ecpusOf(link, 'core', size)
    return raw && core
      ? [
          `${size} KiB: the floor ${num(raw)} ECPUs per hit, ${perMillionHits(raw)} per million hits; core ${num(core)}, ${perMillionHits(core)} (${Math.round((1 - core / raw) * 100)} % less)`,
        ]
      : []
  })
  return [
    heading,
    `A cache that moves fewer bytes per hit serves more hits through the same link. Here \`valkey-server\` runs in a network namespace of its own, reached through a veth pair whose egress on both ends a \`tbf\` qdisc limits to ${shaped.map(rateLabel).join(', ')} in turn (\`tc qdisc replace dev … root tbf ${example.join(' ')}\` at the first rate: a bucket of 1 ms at the rate, at least 128 KiB, and 100 ms of queue, through which a bare client reading 100 KiB values gets 90–95 % of the rate), then the same path with no qdisc (“unshaped”: veth and the machine’s CPUs are the limit). No delay is added: only bandwidth is limited. Inside the namespace \`net.ipv4.tcp_slow_start_after_idle\` is 0, so the server’s connections keep their congestion window while a contender waits for its turn. Every contender runs in a process of its own with ${link.concurrency} reads in flight over ${results.settings.keyPool} keys, ${results.settings.processRounds} rounds of at least ${results.settings.processMinMs} ms in rotating order; **×raw** is the median of per-round ratios to the raw floor (iovalkey \`getBuffer\` + \`JSON.parse\`), and “Mbit/s moved” what the hits carried from server to client (bytes Valkey sent, RESP framing included).`,
    '![Hits/s against link rate](benchmarks/shaped-link.svg)',
    shapedLinkTable(link),
    'Which real links these rates stand for: on a node-based ElastiCache cluster the limit is the node’s network. AWS lists a baseline bandwidth of 0.064 Gbit/s for `cache.t4g.micro` (burst 5 Gbit/s), 0.75 Gbit/s for `cache.m6g.large` (burst 10), 0.937 Gbit/s for `cache.m7g.large` and 1.876 Gbit/s for `cache.m7g.xlarge` (burst 12.5 each); burstable nodes exceed the baseline only while they hold network I/O credits ([ElastiCache supported node types](https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.SupportedTypes.html), looked up in December 2026), and one node’s bandwidth is shared by every function instance it serves. On the function’s side AWS publishes no network bandwidth per Lambda function: its operator guide says a function’s memory setting sets its CPU and that network-bound functions can gain from more memory too ([Lambda memory and computing power](https://docs.aws.amazon.com/lambda/latest/operatorguide/computing-power.html)), and published measurements find throughput rising with memory and most variable at the small sizes ([cribl.io, “AWS Lambda physics”, 2018](https://cribl.io/blog/aws-lambda-physics/)). 500 Mbit/s to 2 Gbit/s spans the baselines of the `m6g.large` to `m7g.xlarge` nodes; what one function gets is not published, so the sweep shows from which rate on the link, not the CPU, decides; unshaped, the CPUs decide.',
    `What the bytes cost on ElastiCache Serverless, which has no node bandwidth to fill but bills them: requests are billed in ElastiCache Processing Units, and in AWS’s wording “reads and writes require 1 ECPU for each kilobyte (KB) of data transferred. For example, a GET command that transfers 3.2 KB of data will consume 3.2 ECPUs” ([Amazon ElastiCache pricing](https://aws.amazon.com/elasticache/pricing/), looked up in December 2026). The ECPUs-per-hit column applies that to the bytes measured per hit here (at least 1); at the list price the [deployment guide](/deploy#what-it-costs) quotes (about $${ECPU_PRICE_PER_MILLION} per million ECPUs for Valkey in US East; check the pricing page for your region): ${cost.join('; ')}.`,
  ].join('\n\n')
}
