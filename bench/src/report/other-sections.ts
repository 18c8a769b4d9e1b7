import type { BenchResults } from '../results'
import type { BundleResult } from '../scenarios/bundles'
import type { GlideInstall } from '../scenarios/glide-install'
import { bytes, num, table } from './format'

/** Whether GLIDE went into a bundle, from esbuild's metafile and output. */
function glideInBundle(b: BundleResult): string {
  if (b.error || b.bundlesGlide === undefined) return '–'
  if (b.bundlesGlide) return 'bundled'
  if (b.external?.some((e) => e.startsWith('@valkey/valkey-glide'))) return 'external (node_modules)'
  return b.namesGlide ? 'not bundled: run-time `import()`' : 'no'
}

/** What a deployment on GLIDE carries: the packages npm installed, by size. */
function glideInstallParts(install: GlideInstall | undefined, bundles: BundleResult[]): string[] {
  const core = bundles.find((b) => b.entry === 'bench/fixtures/handler-core.ts')
  const onGlide = bundles.find((b) => b.entry === 'bench/fixtures/handler-core-glide.ts')
  const parts: string[] = []
  if (core?.bundlesGlide === false) {
    parts.push(
      `core’s own bundle (\`handler-core\`) holds no GLIDE file: esbuild’s metafile lists no input from \`@valkey/valkey-glide*\`${core.namesGlide ? ', and the package’s name is in the output only as the string core hands to `import()`' : ''}. core loads GLIDE with \`import(specifier)\` whose specifier is a variable, which bundlers leave to run time, and only once a GLIDE client is given: a deployment on iovalkey never needs GLIDE.${onGlide?.bytes ? ` The same handler on a GLIDE client (\`handler-core-glide\`, GLIDE external) is ${bytes(onGlide.bytes)} minified, without GLIDE itself${onGlide.largest?.some((l) => l.name === 'iovalkey') ? ', and still holds iovalkey, which core imports statically' : ''}.` : ''}`,
    )
  }
  if (!install) return parts
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MiB`
  const glideNames = new Set(install.glidePackages.map((p) => p.name))
  const deps = install.glide.packages.filter((p) => !glideNames.has(p.name))
  const depBytes = deps.reduce((n, p) => n + p.bytes, 0)
  const rows = [
    ...install.glidePackages.map((p) => [
      `\`${p.name}\``,
      p.version,
      mib(p.bytes),
      num(p.files),
      p.nativeFiles.length ? p.nativeFiles.map((f) => `\`${f}\``).join(', ') : '',
    ]),
    [
      `its dependencies (${deps.map((p) => p.name).join(', ')})`,
      '',
      mib(depBytes),
      num(deps.reduce((n, p) => n + p.files, 0)),
      '',
    ],
    ['**GLIDE with its dependencies**', install.version, `**${mib(install.glide.bytes)}**`, '', ''],
    ...(install.iovalkey
      ? [
          [
            `iovalkey with its dependencies (${install.iovalkey.packages.length} packages; bundled instead, see above)`,
            install.iovalkey.packages[0]?.version ?? '',
            mib(install.iovalkey.bytes),
            num(install.iovalkey.packages.reduce((n, p) => n + p.files, 0)),
            '',
          ],
        ]
      : []),
  ]
  const platforms = install.platformPackages.map((p) => `\`${p.replace('@valkey/valkey-glide-', '')}\``)
  parts.push(
    `What a GLIDE deployment carries: GLIDE cannot be bundled (its Rust core is a native \`.node\` addon, loaded by \`require\` of a platform package), so a handler on GLIDE ships \`node_modules/@valkey/valkey-glide*\` and GLIDE’s dependencies beside its bundle, and the Lambda package or image grows by that much. Installed sizes on this machine (sum of file sizes, nested \`node_modules\` counted once as their own packages):`,
    table(['package', 'version', 'installed', 'files', 'native addon'], rows, ['l', 'l', 'r', 'r', 'l']),
    `GLIDE lists one platform package per target (${platforms.join(', ')}); npm installs only the one matching the OS, CPU and C library of the machine that runs \`npm ci\`, so install for the function’s architecture. The Lambda base images are Amazon Linux 2023 (glibc): \`linux-x64-gnu\` or \`linux-arm64-gnu\`, not the musl ones. The arm64 and musl packages hold a native addon of their own, not measured here.`,
  )
  return parts
}

export function stampedeSection(results: BenchResults): string {
  const list = results.scenarios.stampede
  if (!list?.length) return ''
  const first = list[0]
  const rows = list.map((s) => [
    s.name,
    s.trials.map((t) => `${t.total} (${t.originCalls.join('+')})`).join(', '),
    num(s.medianTotal),
    s.trials.map((t) => num(t.wallMs)).join(', '),
    s.trials.reduce((n, t) => n + t.errors, 0),
  ])
  return [
    '## 3. Stampede',
    `${first?.children} child processes (think: Lambda instances) each fire ${first?.readsPerChild} concurrent reads of one cold key at the same moment; the origin is an S3 \`GetObject\` whose calls each child counts. One fresh key per trial. The raw floor is naive cache-aside with no protection at all.`,
    table(['library', 'origin calls per trial (per child)', 'median', 'slowest child, ms', 'errors'], rows),
  ].join('\n\n')
}

export function bytesSection(results: BenchResults): string {
  const list = results.scenarios.bytes
  if (!list?.length) return ''
  const rows = list.map((b) => [
    b.name,
    `${b.sizeKiB} KiB (${num(b.docBytes)} B)`,
    num(b.strlen),
    num(b.memoryUsage),
    num(b.bytesPerHit),
    `${Math.round((b.bytesPerHit / b.docBytes) * 100)} %`,
  ])
  const method = list[0]?.method
  return [
    '## 4. Bytes stored and moved',
    `After one miss stored the document, \`STRLEN\` and \`MEMORY USAGE … SAMPLES 0\` of every key the library wrote (the server is flushed before each library), and the bytes Valkey sent to the library per hit, RESP framing included (measured as ${method === 'client tot-net-out' ? 'the delta of the library connections’ `tot-net-out` in `CLIENT LIST`' : 'the delta of `total_net_output_bytes` in `INFO stats`'} over repeated hits). ElastiCache Serverless bills data stored and ECPUs by the kilobyte transferred, so these columns are cost.`,
    '![Bytes per hit](benchmarks/bytes-per-hit.svg)',
    table(['library', 'document', 'STRLEN', 'MEMORY USAGE', 'bytes per hit', 'per hit / document'], rows),
  ].join('\n\n')
}

export function roundTripSection(results: BenchResults): string {
  const list = results.scenarios.roundTrips
  if (!list?.length) return ''
  const show = (byCommand: Record<string, number>) =>
    Object.entries(byCommand)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')
  const rows = list.map((r) => [
    r.name,
    num(r.hit.sent),
    `${num(r.hit.commands)} (${show(r.hit.byCommand)})`,
    num(r.miss.sent),
    `${num(r.miss.commands)} (${show(r.miss.byCommand)})`,
  ])
  return [
    '## 5. Valkey commands per hit and per miss',
    '`INFO commandstats` deltas after `CONFIG RESETSTAT` (“run”: these include the commands a Lua script runs), and the commands the library actually sent, from `MONITOR` without script-internal ones (“sent”: round trips, unless pipelined). Each library first read another key, so connecting and script loading are not counted.',
    table(['library', 'hit: sent', 'hit: run (by command)', 'miss: sent', 'miss: run (by command)'], rows),
  ].join('\n\n')
}

export function coldStartSection(results: BenchResults): string {
  const cold = results.scenarios.coldStart
  if (!cold) return ''
  const imports = cold.imports.map((i) => [
    i.name,
    `\`${i.specifiers.join('`, `')}\``,
    i.loadedFrom,
    `${num(i.medianImportMs)} ms`,
    `${num(i.medianProcessOverheadMs)} ms`,
  ])
  // Results from before the GLIDE check have no such column.
  const glideColumn = cold.bundles.some((b) => b.bundlesGlide !== undefined)
  const bundles = cold.bundles.map((b) => [
    b.name,
    `\`${b.entry}\``,
    b.error ? `failed: ${b.error}` : bytes(b.bytes),
    bytes(b.gzipBytes),
    (b.largest ?? []).map((l) => `${l.name} ${bytes(l.bytes)}`).join(', '),
    ...(glideColumn ? [glideInBundle(b)] : []),
  ])
  const first = cold.firstRequest
  const firstRequest = first
    ? [
        `First request: a fresh Node process imports the client (not timed), then times creating it and one read of a ${first.sizeKiB} KiB document that is already cached, up to the parsed value: the connect and the hit a Lambda cold start pays on its first invocation (median of ${first.core.firstRequestMs.length}). Both processes create their S3 client before the timer starts, since a handler with an S3 fallback has one either way. core / raw floor: **${first.ratio.toFixed(2)}×**${first.ratioKnownMode === undefined ? '' : ` (with \`cluster: false\`, no \`INFO cluster\` probe, as for an ElastiCache Serverless host name: **${first.ratioKnownMode.toFixed(2)}×**)`}.`,
        table(
          ['who', 'timed', 'from', 'median', 'samples', 'in INIT (median)'],
          [
            first.core,
            ...(first.coreKnownMode ? [first.coreKnownMode] : []),
            ...(first.coreConnected ? [first.coreConnected] : []),
            first.raw,
          ].map((f) => [
            f.name,
            f.what,
            f.loadedFrom,
            `${num(f.medianMs)} ms`,
            f.firstRequestMs.map(num).join(', '),
            f.initMedianMs === undefined ? '' : `${num(f.initMedianMs)} ms`,
          ]),
          ['l', 'l', 'l', 'r', 'l', 'r'],
        ),
      ]
    : []
  return [
    '## 6. Cold start',
    `Time to \`import\` in a fresh Node process (median of ${results.settings.coldStartSamples}; “process” is the whole process’s wall time minus an empty \`node -e ""\`, ${num(cold.nodeBaselineMs)} ms). core ${cold.coreDist.built ? `is imported from its built \`dist/\` (built ${cold.coreDist.builtAt})` : 'is imported from its TypeScript source through tsx (no `dist/` was built), which adds transpilation'}; it imports \`@aws-sdk/client-s3\` (for its command classes) and iovalkey, so both packages alone are shown too, and together: “iovalkey + @aws-sdk/client-s3” is the floor, what every handler with an S3 origin on iovalkey imports (Lambda ships the S3 client, but loading it still costs).`,
    table(['what', 'specifiers', 'from', 'import', 'process'], imports),
    ...firstRequest,
    'Bundles: the small handlers in `bench/fixtures/` (and `examples/api` when present; `handler-raw.ts` is the same handler on raw iovalkey with a naive S3 fallback, the floor), bundled by esbuild with `--bundle --minify --platform=node --format=esm`, `@aws-sdk/*` external (as the Lambda runtime provides it); core is bundled from its sources.',
    table(
      ['handler', 'entry', 'minified', 'gzip', 'largest parts', ...(glideColumn ? ['GLIDE'] : [])],
      bundles,
    ),
    ...glideInstallParts(cold.glideInstall, cold.bundles),
  ].join('\n\n')
}
