// npm run soak [-- --seconds 60 --concurrency 100]
//
// Drives the demo's architecture (local API Gateway → examples/api handler → Valkey → S3) with
// concurrent requests while objects change in S3 and Valkey is restarted once; checks every answer
// against S3's history and exits non-zero on any wrong answer or error.
import { parseArgs } from 'node:util'
import { runSoak, soakTable } from './soak/run'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '100' },
    keys: { type: 'string', default: '20' },
  },
})
const seconds = Number(values.seconds)
const concurrency = Number(values.concurrency)
const keys = Number(values.keys)
if (
  ![seconds, concurrency, keys].every((n) => Number.isInteger(n) && n > 0) ||
  seconds > 3600 ||
  concurrency > 1000
) {
  console.error('usage: npm run soak -- [--seconds 1..3600] [--concurrency 1..1000] [--keys n]')
  process.exit(2)
}
// The soak reports the store itself; core's memory-store warning never applies (it needs Valkey).
const result = await runSoak({ seconds, concurrency, keys, progress: (line) => console.log(`… ${line}`) })
console.log(`\n${soakTable(result)}\n`)
for (const sample of result.wrongSamples) console.log(`wrong: ${sample}`)
const failed = result.wrong > 0 || result.errors > 0
console.log(failed ? 'SOAK FAILED' : 'soak passed: 0 wrong answers, 0 errors')
process.exit(failed ? 1 : 0)
