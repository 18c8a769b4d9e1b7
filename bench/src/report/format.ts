/** Markdown table from a header row and body rows. */
export function table(header: string[], rows: (string | number)[][], align?: ('l' | 'r')[]): string {
  // Columns of numbers (and ratios, sizes, durations) align right; text aligns left.
  const numeric = (i: number) => rows.every((r) => /^[-–±\d.,]/.test(String(r[i] ?? '–')))
  const sep = header.map((_, i) =>
    (align?.[i] ?? (i > 0 && numeric(i) ? 'r' : 'l')) === 'r' ? '---:' : '---',
  )
  return [header, sep, ...rows.map((r) => r.map(String))].map((r) => `| ${r.join(' | ')} |`).join('\n')
}

/** 12345.6 → "12,346"; small values keep their decimals. */
export function num(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–'
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US')
  return String(value)
}

/** Latency in µs, shown in ms from 10 ms up. */
export function us(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–'
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} ms`
  return `${num(value)} µs`
}

export function ratio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '–' : `${value.toFixed(2)}×`
}

export function bytes(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–'
  if (value >= 1024 * 1024) return `${(value / 1024 / 1024).toFixed(1)} MiB`
  if (value >= 10 * 1024) return `${(value / 1024).toFixed(1)} KiB`
  return `${num(value)} B`
}

export function pct(fraction: number): string {
  return `±${Math.round(fraction * 50)} %`
}

export function seconds(ms: number): string {
  return ms >= 120_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`
}
