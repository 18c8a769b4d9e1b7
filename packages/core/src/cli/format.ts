/** Plain-text output helpers: aligned tables, sizes, times, and the warm-up progress display. */

/** Rows as aligned columns, two spaces apart; numbers (right-aligned) in the columns listed in `right`. */
export function table(rows: string[][], right: number[] = []): string {
  const widths: number[] = []
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length)
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => {
          const width = widths[i] ?? 0
          if (i === row.length - 1 && !right.includes(i)) return cell
          return right.includes(i) ? cell.padStart(width) : cell.padEnd(width)
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}

/** `1h 2m`, `4m 58s`, `3.2s`, `120ms`. */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms)
  if (abs < 1000) return `${Math.round(abs)}ms`
  if (abs < 60_000) return `${(abs / 1000).toFixed(1)}s`
  const s = Math.floor(abs / 1000)
  const parts: [number, string][] = [
    [Math.floor(s / 86_400), 'd'],
    [Math.floor(s / 3600) % 24, 'h'],
    [Math.floor(s / 60) % 60, 'm'],
    [s % 60, 's'],
  ]
  const first = parts.findIndex(([n]) => n > 0)
  return parts
    .slice(first, first + 2)
    .map(([n, unit]) => `${n}${unit}`)
    .join(' ')
}

/** An ISO time with how far it is from `now`: `2025-01-01T00:05:00.000Z (in 4m 58s)`. */
export function formatTime(date: Date, now = Date.now()): string {
  const delta = date.getTime() - now
  return `${date.toISOString()} (${delta >= 0 ? `in ${formatDuration(delta)}` : `${formatDuration(delta)} ago`})`
}

export interface ProgressCounts {
  done: number
  total: number
  listing: boolean
  loaded: number
  /** Already fresh: left as they are. */
  fresh: number
  /** Served stale, not refreshed. */
  stale: number
  /** Over max-object-bytes. */
  skipped: number
  failed: number
  bytes: number
}

const BAR_WIDTH = 24
const TTY_INTERVAL_MS = 100
const LINE_INTERVAL_MS = 1000

/**
 * Progress on stderr: a bar redrawn in place on a terminal, otherwise (a CI log, a pipe) a plain
 * line at most once a second, since carriage returns make a mess of log files.
 */
export function progressDisplay(write: (text: string) => void, isTTY: boolean) {
  let last = 0
  let lastLine = ''
  const render = (p: ProgressCounts) => {
    const total = `${p.total}${p.listing ? '+' : ''}`
    const stale = p.stale > 0 ? `, stale ${p.stale}` : ''
    const counts = `loaded ${p.loaded}, fresh ${p.fresh}${stale}, skipped ${p.skipped}, failed ${p.failed}, ${formatBytes(p.bytes)}`
    if (!isTTY) return `warm: ${p.done}/${total} (${counts})\n`
    const ratio = p.total === 0 ? (p.listing ? 0 : 1) : p.done / p.total
    const filled = Math.round(ratio * BAR_WIDTH)
    const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`
    return `\r\x1b[2K${bar} ${p.done}/${total} ${Math.floor(ratio * 100)}%  ${counts}`
  }
  const draw = (line: string) => {
    lastLine = line
    write(line)
  }
  return {
    update(p: ProgressCounts): void {
      const now = Date.now()
      if (now - last < (isTTY ? TTY_INTERVAL_MS : LINE_INTERVAL_MS)) return
      last = now
      draw(render(p))
    },
    /** The final state, once; a terminal's bar is then ended with a newline. */
    finish(p: ProgressCounts): void {
      const line = render(p)
      if (isTTY) draw(`${line}\n`)
      else if (line !== lastLine) draw(line)
    },
  }
}
