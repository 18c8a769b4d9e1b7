import { createHash } from 'node:crypto'
import { CHECKSUM_OFFSET, TIMES_OFFSET } from '../entry'

/** A Lua script sent with EVALSHA, falling back to EVAL once per node when the script cache is empty. */
export interface Script {
  readonly source: string
  readonly sha: string
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') }
}

// Every script touches only the keys of one object; they share a hash tag, so one slot.
//
// The generation key (`…:gen`) exists while a load may depend on it: BEGIN creates it when absent,
// with a fresh random integer (never '0' or '1', so a counter recreated after an eviction or expiry
// cannot repeat a value a load saw), and COMMIT and TOUCH write only while it exists with the value
// their load saw. A bump (put, invalidate, event) increments it if it exists; if it does not exist,
// no load can still write under it, so there is nothing to bump.

/**
 * KEYS: lease, generation. ARGV: token, leaseMs, fresh generation, generationTtlMs. Returns { generation, leased }.
 * A lease already held with this token counts as taken: a BEGIN sent again after its connection dropped
 * (GuardedStore) must not leave its caller waiting on its own lease.
 */
export const BEGIN = script(`
local leased = 0
if tonumber(ARGV[2]) > 0 then
  if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) or redis.call('GET', KEYS[1]) == ARGV[1] then leased = 1 end
end
redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PX', ARGV[4])
return { redis.call('GET', KEYS[2]), leased }
`)

/** KEYS: entry, generation, lease. ARGV: generation, token, value, ttlMs. Returns 1 when written. */
export const COMMIT = script(`
local written = 0
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
  written = 1
end
if ARGV[2] ~= '' and redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('DEL', KEYS[3]) end
return written
`)

/**
 * KEYS: entry, generation, lease. ARGV: generation, token, times (16 bytes at offset 4), ttlMs,
 * checksum (the 4 bytes at offset 20 of the entry revalidated; '' matches nothing). Returns 1 when written.
 */
export const TOUCH = script(`
local written = 0
if redis.call('GET', KEYS[2]) == ARGV[1] and #ARGV[5] == 4 and redis.call('GETRANGE', KEYS[1], ${CHECKSUM_OFFSET}, ${CHECKSUM_OFFSET + 3}) == ARGV[5] then
  redis.call('SETRANGE', KEYS[1], ${TIMES_OFFSET}, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  written = 1
end
if ARGV[2] ~= '' and redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('DEL', KEYS[3]) end
return written
`)

/** KEYS: lease. ARGV: token. */
export const RELEASE = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`)

/** KEYS: entry, generation. ARGV: value ('' = delete), ttlMs, generationTtlMs. Bumps the generation, then writes or deletes. */
export const REPLACE = script(`
if redis.call('PEXPIRE', KEYS[2], ARGV[3]) == 1 then redis.call('INCR', KEYS[2]) end
if ARGV[1] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 0
`)

/**
 * KEYS: entry, generation, sequencer. ARGV: sequencer (uppercase hex), generationTtlMs.
 * Applies an S3 event unless it is certainly not newer than the last one applied to this object:
 * records it, bumps the generation (a load in flight can no longer write) and removes the entry.
 * Sequencers of different lengths are not comparable for certain (S3's guides disagree on the
 * padding), so such an event is applied: the cost is one reload. Returns 1 when applied.
 */
export const APPLY_EVENT = script(`
local new = ARGV[1]
local last = redis.call('GET', KEYS[3])
if last and #last == #new and new <= last then return 0 end
redis.call('SET', KEYS[3], new, 'PX', ARGV[2])
if redis.call('PEXPIRE', KEYS[2], ARGV[2]) == 1 then redis.call('INCR', KEYS[2]) end
redis.call('DEL', KEYS[1])
return 1
`)

/** Every script, for loading them all ahead of the first write (`cache.connect()`). */
export const SCRIPTS: readonly Script[] = [BEGIN, COMMIT, TOUCH, RELEASE, REPLACE, APPLY_EVENT]
