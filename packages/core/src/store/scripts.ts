import { createHash } from 'node:crypto'

/** A Lua script sent with EVALSHA, falling back to EVAL once per node when the script cache is empty. */
export interface Script {
  readonly source: string
  readonly sha: string
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') }
}

// Every script touches only the keys of one object; they share a hash tag, so one slot.

/** KEYS: lease, generation. ARGV: token, leaseMs. Returns { generation, leased }. */
export const BEGIN = script(`
local leased = 0
if tonumber(ARGV[2]) > 0 and redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then leased = 1 end
return { redis.call('GET', KEYS[2]) or '0', leased }
`)

/** KEYS: entry, generation, lease. ARGV: generation, token, value, ttlMs. Returns 1 when written. */
export const COMMIT = script(`
local written = 0
if (redis.call('GET', KEYS[2]) or '0') == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
  written = 1
end
if ARGV[2] ~= '' and redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('DEL', KEYS[3]) end
return written
`)

/** KEYS: entry, generation, lease. ARGV: generation, token, times (16 bytes at offset 4), ttlMs. Returns 1 when written. */
export const TOUCH = script(`
local written = 0
if (redis.call('GET', KEYS[2]) or '0') == ARGV[1] and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('SETRANGE', KEYS[1], 4, ARGV[3])
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
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if ARGV[1] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 0
`)

/**
 * KEYS: entry, generation, sequencer. ARGV: sequencer (uppercase hex), generationTtlMs.
 * Applies an S3 event only if its sequencer is newer than the last one applied to this object:
 * records it, bumps the generation (a load in flight can no longer write) and removes the entry.
 * The comparison pads the shorter sequencer with zeros, as S3 documents. Returns 1 when applied.
 */
export const APPLY_EVENT = script(`
local new = ARGV[1]
local last = redis.call('GET', KEYS[3])
if last then
  local width = math.max(#last, #new)
  if string.rep('0', width - #new) .. new <= string.rep('0', width - #last) .. last then return 0 end
end
redis.call('SET', KEYS[3], new, 'PX', ARGV[2])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('DEL', KEYS[1])
return 1
`)
