/**
 * S3 event sequencers. S3 gives every PUT and DELETE event of an object key a hexadecimal
 * `sequencer`; events of one key are ordered by it, but only after the shorter string is padded
 * with leading zeros (the strings may differ in length). They say nothing across keys.
 */

const HEX = /^[0-9A-Fa-f]{1,128}$/

/** Uppercase hex, or `undefined` when `value` is not a usable sequencer (absent, empty, not hex). */
export function normalizeSequencer(value: unknown): string | undefined {
  return typeof value === 'string' && HEX.test(value) ? value.toUpperCase() : undefined
}

/** Negative, zero or positive as `a` is older than, the same event as, or newer than `b` (both normalized). */
export function compareSequencers(a: string, b: string): number {
  const width = Math.max(a.length, b.length)
  const left = a.padStart(width, '0')
  const right = b.padStart(width, '0')
  return left < right ? -1 : left > right ? 1 : 0
}
