/**
 * Renders a V8 CPU profile (`.cpuprofile`, as `node --cpu-prof` or `inspector` write it) as a flame
 * graph SVG: one box per call path, width = share of samples, callers below their callees. Boxes under
 * `minShare` of the total are dropped; colours tell the code's owner (this project, iovalkey, Node).
 */

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}

interface ProfileNode {
  id: number
  callFrame: CallFrame
  hitCount?: number
  children?: number[]
}

export interface CpuProfile {
  nodes: ProfileNode[]
  samples?: number[]
  /** µs between consecutive samples (the first from `startTime`). */
  timeDeltas?: number[]
  /** µs on the monotonic clock `process.hrtime` reads. */
  startTime: number
  endTime: number
}

/**
 * The part of a profile between `fromUs` and `toUs` (monotonic µs, as `process.hrtime.bigint() / 1000n`
 * gives them): a `node --cpu-prof` profile spans the whole process, start-up and set-up included.
 */
export function trimProfile(profile: CpuProfile, fromUs: number, toUs: number): CpuProfile {
  const { samples, timeDeltas } = profile
  if (!samples || !timeDeltas) return profile
  const hits = new Map<number, number>()
  const kept: number[] = []
  const deltas: number[] = []
  let time = profile.startTime
  let last = fromUs
  samples.forEach((id, i) => {
    time += timeDeltas[i] ?? 0
    if (time < fromUs || time > toUs) return
    hits.set(id, (hits.get(id) ?? 0) + 1)
    kept.push(id)
    deltas.push(time - last)
    last = time
  })
  return {
    nodes: profile.nodes.map((node) => ({ ...node, hitCount: hits.get(node.id) ?? 0 })),
    samples: kept,
    timeDeltas: deltas,
    startTime: fromUs,
    endTime: toUs,
  }
}

/** The `count` functions with the most self time, as lines: share of samples, µs per operation, name. */
export function topSelfTimes(profile: CpuProfile, ops: number, count = 30): string[] {
  const interval = (profile.endTime - profile.startTime) / (profile.samples?.length || 1)
  const self = new Map<string, number>()
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame
    if (functionName === '(idle)') continue
    const name = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|packages|bench)\//, '$1/')}:${lineNumber + 1}`
    self.set(name, (self.get(name) ?? 0) + (node.hitCount ?? 0))
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  return [
    `busy ${((total * interval) / 1000).toFixed(0)} ms of ${((profile.endTime - profile.startTime) / 1000).toFixed(0)} ms`,
    ...[...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(
        ([name, hits]) =>
          `${((hits / total) * 100).toFixed(1).padStart(5)} %  ${((hits * interval) / ops).toFixed(2).padStart(6)} µs/hit  ${name}`,
      ),
  ]
}

interface Frame {
  name: string
  owner: Owner
  total: number
  children: Map<string, Frame>
}

type Owner = 'core' | 'bench' | 'iovalkey' | 'node' | 'v8' | 'other'

const COLOURS: Record<Owner, string> = {
  core: '#e8743b',
  bench: '#bfbfbf',
  iovalkey: '#4c78a8',
  node: '#72b7b2',
  v8: '#b279a2',
  other: '#9d9d5a',
}

function ownerOf(frame: CallFrame): Owner {
  const url = frame.url
  if (url.includes('/packages/core/')) return 'core'
  if (url.includes('/bench/')) return 'bench'
  if (url.includes('iovalkey') || url.includes('redis-parser') || url.includes('denque')) return 'iovalkey'
  if (url.startsWith('node:')) return 'node'
  if (url === '') return 'v8'
  return 'other'
}

function label(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)'
  if (!frame.url) return name
  const file = frame.url.replace(/^.*\/(node_modules\/|packages\/|bench\/)/, '$1').replace(/^node:/, '')
  // Sources run through tsx have no useful line numbers (0): name the file only.
  return frame.lineNumber > 0 ? `${name} ${file}:${frame.lineNumber + 1}` : `${name} ${file}`
}

/** Folds the profile's node tree into frames merged by label, with sample counts as totals. */
function fold(profile: CpuProfile): Frame {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const root: Frame = { name: 'all', owner: 'bench', total: 0, children: new Map() }
  const visit = (node: ProfileNode, into: Frame): number => {
    const name = label(node.callFrame)
    let frame = into.children.get(name)
    if (!frame) {
      frame = { name, owner: ownerOf(node.callFrame), total: 0, children: new Map() }
      into.children.set(name, frame)
    }
    let total = node.hitCount ?? 0
    for (const id of node.children ?? []) {
      const child = byId.get(id)
      if (child) total += visit(child, frame)
    }
    frame.total += total
    return total
  }
  const top = profile.nodes[0]
  if (top) for (const id of top.children ?? []) root.total += visit(byId.get(id) as ProfileNode, root)
  // Idle time is waiting, not work: leave it out of the picture.
  const idle = root.children.get('(idle)')
  if (idle) {
    root.total -= idle.total
    root.children.delete('(idle)')
  }
  return root
}

const xmlText = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** The SVG of a flame graph of `profile`. */
export function flameGraph(profile: CpuProfile, title: string, minShare = 0.004): string {
  const root = fold(profile)
  const width = 1200
  const rowHeight = 17
  const top = 40
  const rows: string[] = []
  let depth = 0
  const draw = (frame: Frame, x: number, level: number) => {
    const w = (frame.total / root.total) * width
    if (frame.total / root.total < minShare) return
    depth = Math.max(depth, level)
    rows.push(
      `<g><title>${xmlText(frame.name)} — ${((frame.total / root.total) * 100).toFixed(1)} %</title>` +
        `<rect x="${x.toFixed(1)}" y="{Y${level}}" width="${Math.max(w - 0.5, 0.5).toFixed(1)}" height="${rowHeight - 1}" fill="${COLOURS[frame.owner]}" rx="1"/>` +
        (w > 40
          ? `<text x="${(x + 3).toFixed(1)}" y="{T${level}}" font-size="11">${xmlText(frame.name.slice(0, Math.floor(w / 6.5)))}</text>`
          : '') +
        '</g>',
    )
    let childX = x
    for (const child of [...frame.children.values()].sort((a, b) => b.total - a.total)) {
      draw(child, childX, level + 1)
      childX += (child.total / root.total) * width
    }
  }
  draw(root, 0, 0)
  const height = top + (depth + 1) * rowHeight + 30
  // Flame graphs grow upwards: level 0 at the bottom.
  const body = rows
    .join('\n')
    .replace(/\{Y(\d+)\}/g, (_, l) => String(top + (depth - Number(l)) * rowHeight))
    .replace(/\{T(\d+)\}/g, (_, l) => String(top + (depth - Number(l)) * rowHeight + 12))
  const ms = (profile.endTime - profile.startTime) / 1000
  const legend = (Object.keys(COLOURS) as Owner[])
    .map(
      (owner, i) =>
        `<rect x="${10 + i * 110}" y="${height - 20}" width="12" height="12" fill="${COLOURS[owner]}"/><text x="${26 + i * 110}" y="${height - 10}" font-size="11">${owner}</text>`,
    )
    .join('')
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" font-size="14" font-family="sans-serif">${xmlText(title)}</text>
<text x="10" y="34" font-size="11" font-family="sans-serif" fill="#555">${root.total} samples over ${ms.toFixed(0)} ms (idle left out); hover a box for its share</text>
${body}
${legend}
</svg>
`
}
