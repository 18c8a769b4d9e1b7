// npm run demo [-- --serve [--port 3000] [--logs]]
//
// The architecture on loopback: API Gateway (emulated) → the examples/api Lambda handler → Valkey → S3.
// Without --serve: sends a scripted series of requests, prints what each one got, and exits.
// With --serve: keeps the gateway up and prints curl commands to try by hand.
import { parseArgs } from 'node:util'
import { whenALauncherExits } from './launchers'
import { type Row, runScenario } from './scenario'
import { API_KEYS, type Stack, startStack } from './stack'
import { renderTable } from './table'

const USAGE = `usage: npm run demo [-- --serve [--port <n>] [--logs]]
  --serve     keep serving and print curl commands (Ctrl-C stops)
  --port <n>  gateway port with --serve (default 3000, or a free one if taken)
  --logs      print the handler's JSON log line of each request`

const { values: args } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    port: { type: 'string' },
    logs: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (args.help) {
  console.log(USAGE)
  process.exit(0)
}
const port = args.port === undefined ? undefined : Number(args.port)
if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
  console.error(`--port: expected a port number, got ${args.port}\n${USAGE}`)
  process.exit(2)
}

const out = (text = '') => process.stdout.write(`${text}\n`)
const ms = (value: number) => `${value.toFixed(1)} ms`

/** One start-up step: a spinner on a terminal, a plain line otherwise; then what it started. */
async function step<T>(label: string, run: () => Promise<T>, done?: (value: T) => string): Promise<T> {
  const started = performance.now()
  const tty = process.stdout.isTTY
  const frames = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏'
  let frame = 0
  const spinner = tty
    ? setInterval(() => process.stdout.write(`\r${frames[frame++ % frames.length]} ${label}…`), 80)
    : undefined
  if (!tty) process.stdout.write(`• ${label}… `)
  try {
    const value = await run()
    const text = `${done ? done(value) : 'ok'} (${Math.round(performance.now() - started)} ms)`
    process.stdout.write(tty ? `\r✓ ${label}: ${text}\x1b[K\n` : `${text}\n`)
    return value
  } catch (error) {
    process.stdout.write(tty ? `\r✗ ${label}: failed\x1b[K\n` : 'failed\n')
    throw error
  } finally {
    clearInterval(spinner)
  }
}

// The demo says which store it uses; core's one-time memory-store warning would only repeat it, in
// the middle of the progress lines. Every other warning is still printed.
const printWarning = process.listeners('warning')
process.removeAllListeners('warning')
process.on('warning', (warning: Error & { code?: string }) => {
  if (warning.code === 'VALKEY_S3_CACHE_MEMORY_STORE') return
  for (const listener of printWarning) listener(warning)
})

let stack: Stack | undefined
let stopping = false

/**
 * Ctrl-C / SIGTERM / SIGHUP, or a launcher gone: close the gateway, the cache's connection, valkey-server
 * and the S3 server, then exit.
 */
async function shutdown(signal: string): Promise<void> {
  // Later signals (a second Ctrl-C, tsx relaying the first one) find the shutdown under way.
  if (stopping) return
  stopping = true
  out(`\n${signal}: stopping…`)
  setTimeout(() => process.exit(1), 5000).unref()
  await stack?.stop().catch(() => {})
  out('stopped.')
  process.exit(0)
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal))
// A signal sent to npm (or to its shell) stops there: the demo stops too when any of its launchers exits.
whenALauncherExits((pid) => void shutdown(`launcher (pid ${pid}) exited`))
// Whoever read the output may be gone with the launcher: the shutdown must not die of EPIPE.
process.stdout.on('error', () => {})

function printCurls(url: string): void {
  const post = (apiKey: string | undefined, key: string, extra = '') =>
    `curl -i -X POST ${url}/objects -H 'content-type: application/json'${apiKey ? ` -H 'x-api-key: ${apiKey}'` : ''}${extra} -d '{"key":"${key}"}'`
  out(`
Try it (paste into another terminal):

  # 200, x-cache: MISS the first time, HIT afterwards
  ${post(API_KEYS.standard, 'docs/welcome.json')}

  # 304: send back the etag of the previous answer
  etag=$(curl -s -D - -o /dev/null -X POST ${url}/objects -H 'content-type: application/json' -H 'x-api-key: ${API_KEYS.standard}' -d '{"key":"docs/welcome.json"}' | tr -d '\\r' | awk 'tolower($1)=="etag:" {print $2}')
  ${post(API_KEYS.standard, 'docs/welcome.json', ` -H "If-None-Match: $etag"`)}

  # 404, then 400
  ${post(API_KEYS.standard, 'docs/missing.json')}
  ${post(API_KEYS.standard, '../secrets.json')}

  # 403 without an API key
  ${post(undefined, 'docs/welcome.json')}

  # CORS preflight, no key needed
  curl -i -X OPTIONS ${url}/objects -H 'Origin: https://app.example.com' -H 'Access-Control-Request-Method: POST'

  # 429: the trial key allows a burst of 2, 1 request/s, 3 a day
  for i in 1 2 3 4 5; do curl -s -X POST ${url}/objects -H 'content-type: application/json' -H 'x-api-key: ${API_KEYS.trial}' -d '{"key":"docs/welcome.json"}'; echo; done

Objects: docs/welcome.json, docs/pricing.json, config/feature-flags.json. Ctrl-C stops.
`)
}

async function main(): Promise<void> {
  out('valkey-s3-cache demo: API Gateway (emulated) → Lambda handler (examples/api) → Valkey → S3\n')
  const logs: string[] = []
  stack = await startStack({
    port: args.serve ? (port ?? 3000) : 0,
    strictPort: port !== undefined,
    step,
    log: (line) => (args.logs && args.serve ? out(`  ${line}`) : logs.push(line)),
    onResponse: args.serve
      ? (entry) =>
          out(
            `  ${entry.method} ${entry.url} → ${entry.statusCode}${entry.xCache ? ` ${entry.xCache}` : ''}  ${ms(entry.durationMs)}${entry.apiKeyName ? `  (key: ${entry.apiKeyName})` : ''}`,
          )
      : undefined,
  })
  if (stopping) return
  const { url } = stack.gateway

  if (args.serve) {
    printCurls(url)
    return // the gateway keeps the process alive until Ctrl-C
  }

  out(`\nRequests: POST ${url}/objects with {"key": "<request>"} and an x-api-key header\n`)
  const rows = await runScenario(url, stack.putObject)
  const statusOk = (row: Row) => row.status === row.expected
  const xCacheOk = (row: Row) => row.expectedXCache === undefined || row.xCache === row.expectedXCache
  const table = renderTable(
    ['#', 'request', 'status', 'x-cache', 'latency', 'answer'],
    rows.map((row, i) => [
      String(i + 1),
      row.request,
      statusOk(row) ? String(row.status ?? '-') : `${row.status} ✗ expected ${row.expected}`,
      xCacheOk(row) ? row.xCache || '-' : `${row.xCache || '-'} ✗ expected ${row.expectedXCache}`,
      ms(row.latencyMs),
      row.answer,
    ]),
    ['right', 'left', 'left', 'left', 'right', 'left'],
  )
  out(table)
  const reachedHandler = logs.length
  const requests = rows.filter((row) => row.status !== undefined).length
  out(`
store: ${stack.store}
S3 GetObject calls: ${stack.s3Calls.count('GetObjectCommand')}, for ${requests} requests (${reachedHandler} reached the function; the others were answered by the gateway)
the function's log line for request 1 (one JSON line per request; EMF_METRICS=true adds CloudWatch metrics):
  ${logs[0] ?? '(none)'}

npm run demo -- --serve  keeps it running, with curl commands to try.`)
  const failed = rows.filter((row) => !(statusOk(row) && xCacheOk(row)))
  await stack.stop()
  stack = undefined
  if (failed.length > 0) {
    console.error(`\n${failed.length} request(s) did not get the expected status or x-cache`)
    process.exit(1)
  }
  process.exit(0)
}

main().catch(async (error) => {
  console.error(error)
  await stack?.stop().catch(() => {})
  process.exit(1)
})
