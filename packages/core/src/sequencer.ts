/**
 * S3 event sequencers. S3 gives every PUT and DELETE event of an object key a hexadecimal
 * `sequencer`; events of one key are ordered by it. They say nothing across keys. Strings of equal
 * length compare as strings; for strings of different lengths S3's guides disagree (the current one
 * pads the shorter on the right, older ones and real values, such as EventBridge's
 * `617f08299329d189` for a notification's `00617F08299329D189`, on the left), so no order is certain.
 */

const HEX = /^[0-9A-Fa-f]{1,128}$/

/** Uppercase hex, or `undefined` when `value` is not a usable sequencer (absent, empty, not hex). */
export function normalizeSequencer(value: unknown): string | undefined {
  return typeof value === 'string' && HEX.test(value) ? value.toUpperCase() : undefined
}

/**
 * Whether the event with sequencer `candidate` is certainly not newer than the one with `last` (both
 * normalized): the same length and not greater. Only such an event may be skipped; every other one is
 * applied, since applying an invalidation twice costs one reload and skipping a newer one leaves a
 * stale entry for a ttl.
 */
export function certainlyNotNewer(candidate: string, last: string): boolean {
  return candidate.length === last.length && candidate <= last
}
