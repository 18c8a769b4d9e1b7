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

// Every script touches only the keys of one object, tag or the tag log; they share a hash tag, so one slot.
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

// Dependents sets (an object's dependent responses and values, a tag's entries) are sorted sets of
// entry keys, scored by the time (ms, the writer's clock) until which that entry may live. A member's
// time carries a margin against clock skew between writers; expired members are pruned on every add.
//
// A set has no TTL. ElastiCache Serverless evicts only keys that have one (volatile-lru), and a set
// evicted before its members would let a removal miss them: a tag's entries, or the values built from
// an object, would outlive an invalidation. So a set lives until a removal takes it, or until a sweep
// finds all its members expired: each set is listed, with its latest member's time, in one of the
// sweep indexes (`…{sets-N}:sets`, see SET_DUE and SWEEP_SET).

/** Lua: adds `member` to `set` until `now + ttl` unless the set is full. Returns 1 when added. */
const ENLIST_FN = `
local function enlist(set, member, ttl, now, max)
  redis.call('ZREMRANGEBYSCORE', set, '-inf', now)
  if not redis.call('ZSCORE', set, member) and redis.call('ZCARD', set) >= max then return 0 end
  redis.call('ZADD', set, 'GT', now + ttl, member)
  return 1
end
`

/** Lua: the live members of an entry's dependents set, which is removed with the entry. */
const TAKE_FN = `
local function take(set, now)
  local members = redis.call('ZRANGE', set, now, '+inf', 'BYSCORE')
  redis.call('DEL', set)
  return members
end
`

/** Lua: the generation bump of a write (see above). */
const BUMP_FN = `
local function bump(generation, ttl)
  if redis.call('PEXPIRE', generation, ttl) == 1 then redis.call('INCR', generation) end
end
`

/**
 * KEYS: entry, generation, dependents. ARGV: value, ttlMs, generationTtlMs, nowMs, generation.
 * For `put`: writes the entry if the generation key still holds what the put read before it wrote S3,
 * else removes it (another write came between, or this one arrives late, after its caller gave up on
 * it: S3's order is then unknown here, and a reload from S3 is right whatever it was); bumps the
 * generation and takes the entry's dependents either way. Returns { written, dependents }.
 */
export const REPLACE = script(`${BUMP_FN}${TAKE_FN}
local written = 0
if redis.call('GET', KEYS[2]) == ARGV[5] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  written = 1
else
  redis.call('DEL', KEYS[1])
end
bump(KEYS[2], ARGV[3])
return { written, take(KEYS[3], ARGV[4]) }
`)

/**
 * KEYS: entry, generation, dependents. ARGV: generationTtlMs, nowMs.
 * Removes an entry: bumps its generation, deletes it and takes its dependents. Returns { deleted, dependents }.
 */
export const PURGE = script(`${BUMP_FN}${TAKE_FN}
bump(KEYS[2], ARGV[1])
local deleted = redis.call('DEL', KEYS[1])
return { deleted, take(KEYS[3], ARGV[2]) }
`)

/**
 * KEYS: entry, generation, sequencer, dependents. ARGV: sequencer (uppercase hex), generationTtlMs, nowMs.
 * Applies an S3 event unless it is certainly not newer than the last one applied to this object:
 * records it, bumps the generation (a load in flight can no longer write), removes the entry and
 * takes its dependents. Sequencers of different lengths are not comparable for certain (S3's guides
 * disagree on the padding), so such an event is applied: the cost is one reload.
 * Returns { applied, dependents }.
 */
export const APPLY_EVENT = script(`${BUMP_FN}${TAKE_FN}
local new = ARGV[1]
local last = redis.call('GET', KEYS[3])
if last and #last == #new and new <= last then return { 0, {} } end
redis.call('SET', KEYS[3], new, 'PX', ARGV[2])
bump(KEYS[2], ARGV[2])
redis.call('DEL', KEYS[1])
return { 1, take(KEYS[4], ARGV[3]) }
`)

/** KEYS: set. ARGV: member, ttlMs, nowMs, maxMembers. Adds a tag's member. Returns 1 when added, 0 when full. */
export const ENLIST = script(`${ENLIST_FN}
return enlist(KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
`)

/**
 * KEYS: entry, generation, dependents (of the entry depended on). ARGV: checksum (4 bytes at offset 20,
 * or ''), generation (or ''), member, ttlMs, nowMs, maxMembers.
 * Adds `member` as a dependent only while the entry is the one its load read: the same checksum, or
 * (for a read that stored nothing) the same generation. Returns 1 when added, 0 when changed or full.
 */
export const DEPEND = script(`${ENLIST_FN}
local same = (#ARGV[1] == 4 and redis.call('GETRANGE', KEYS[1], ${CHECKSUM_OFFSET}, ${CHECKSUM_OFFSET + 3}) == ARGV[1])
  or (ARGV[2] ~= '' and redis.call('GET', KEYS[2]) == ARGV[2])
if not same then return 0 end
return enlist(KEYS[3], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]))
`)

/** KEYS: set. ARGV: nowMs. Takes a tag's live members (and removes the set). Returns their keys. */
export const TAKE = script(`${TAKE_FN}
return take(KEYS[1], ARGV[1])
`)

// The tag log: a sorted set in a slot of its own, read by every load (MARK) and written by every
// `invalidateTags`. `#epoch` counts invalidations; each tag invalidated is a member scored with the
// epoch of its last invalidation; `#floor` is the highest epoch trimmed away (the log keeps the last
// `maxLog` tags); `#born` is a random identity, new whenever the log is created again. A load creates
// the log when it is absent (never created, expired, evicted, lost in a failover), so every load has a
// mark, and a log that is gone or born again at its commit refuses it: absence never reads as
// "unchanged". A tagged load commits only if none of its tags was invalidated since the epoch it began
// under: an invalidation that came first is in the log, and one that comes after finds the load's entry
// in its tag's set (enlisted before the check).

/** Lua: creates the log as born `born`, epoch 0, for `ttl` ms. */
const NEW_LOG_FN = `
local function new_log(log, born, ttl)
  redis.call('DEL', log)
  redis.call('ZADD', log, born, '#born', 0, '#floor', 0, '#epoch')
  redis.call('PEXPIRE', log, ttl)
end
`

/**
 * KEYS: log. ARGV: born (for a new log), generationTtlMs. Returns { born, epoch }: where the log stands
 * as a load begins, creating it when absent.
 */
export const MARK = script(`${NEW_LOG_FN}
local born = redis.call('ZSCORE', KEYS[1], '#born')
if not born then
  new_log(KEYS[1], ARGV[1], ARGV[2])
  return { ARGV[1], '0' }
end
return { born, redis.call('ZSCORE', KEYS[1], '#epoch') }
`)

/**
 * KEYS: log. ARGV: born (for a new log), generationTtlMs, maxLog, tag ids…
 * Logs an invalidation of the tags under the next epoch. Returns the epoch.
 */
export const LOG_TAGS = script(`${NEW_LOG_FN}
local log = KEYS[1]
if not redis.call('ZSCORE', log, '#born') then new_log(log, ARGV[1], ARGV[2]) end
local epoch = tonumber(redis.call('ZSCORE', log, '#epoch')) + 1
redis.call('ZADD', log, epoch, '#epoch')
for i = 4, #ARGV do redis.call('ZADD', log, epoch, ARGV[i]) end
local excess = redis.call('ZCARD', log) - 3 - tonumber(ARGV[3])
if excess > 0 then
  local oldest = redis.call('ZRANGE', log, 0, excess + 2, 'WITHSCORES')
  local floor = tonumber(redis.call('ZSCORE', log, '#floor'))
  local trimmed = 0
  for i = 1, #oldest, 2 do
    if trimmed < excess and string.sub(oldest[i], 1, 1) ~= '#' then
      redis.call('ZREM', log, oldest[i])
      trimmed = trimmed + 1
      floor = math.max(floor, tonumber(oldest[i + 1]))
    end
  end
  redis.call('ZADD', log, floor, '#floor')
end
redis.call('PEXPIRE', log, ARGV[2])
return epoch
`)

/**
 * KEYS: log. ARGV: born and epoch when the load began, tag ids…
 * Returns 1 when none of the tags was invalidated since, 0 when one was, or when the log cannot tell
 * (gone, or born again, since the load began).
 */
export const TAGS_UNCHANGED = script(`
local log = KEYS[1]
local born = redis.call('ZSCORE', log, '#born')
if not born or ARGV[1] == '' or tonumber(born) ~= tonumber(ARGV[1]) then return 0 end
local since = tonumber(ARGV[2])
if tonumber(redis.call('ZSCORE', log, '#floor')) > since then return 0 end
for i = 3, #ARGV do
  local at = redis.call('ZSCORE', log, ARGV[i])
  if at and tonumber(at) > since then return 0 end
end
return 1
`)

/** KEYS: sweep index. ARGV: until (ms), set. Lists `set` in the index until at least `until`. */
export const SET_LISTED = script(`
redis.call('ZADD', KEYS[1], 'GT', ARGV[1], ARGV[2])
return 1
`)

/** KEYS: sweep index. ARGV: nowMs, limit. Returns up to `limit` sets whose latest member may have expired. */
export const SET_DUE = script(`
return redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, ARGV[2])
`)

/**
 * KEYS: set. ARGV: nowMs. Drops the set's expired members, and the set once none is left. Returns the
 * latest member's time, or 0 when the set is gone.
 */
export const SWEEP_SET = script(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #last == 0 then
  redis.call('DEL', KEYS[1])
  return 0
end
return last[2]
`)

/**
 * KEYS: sweep index. ARGV: nowMs, then pairs of set and latest time (0: gone). A gone set leaves the
 * index unless a writer listed it again meanwhile (its time is then in the future); a live one stays
 * listed until its latest member's time.
 */
export const SETS_SWEPT = script(`
local now = tonumber(ARGV[1])
for i = 2, #ARGV, 2 do
  local last = tonumber(ARGV[i + 1])
  if last == 0 then
    local listed = redis.call('ZSCORE', KEYS[1], ARGV[i])
    if listed and tonumber(listed) <= now then redis.call('ZREM', KEYS[1], ARGV[i]) end
  else
    redis.call('ZADD', KEYS[1], 'GT', last, ARGV[i])
  end
end
return 1
`)

// The change counter numbers the messages every change is published with (see `coherence/`): a
// listener that sees a number out of sequence, or a counter that does not match what it heard, knows
// it missed something. Created at a random value (as a generation key is), so a counter evicted and
// created again cannot count back up to a number a listener last heard; below 2^47, so Lua's doubles
// hold it exactly.

/**
 * KEYS: change counter. ARGV: channel, 'spublish' (cluster) or 'publish', message, fresh start.
 * Publishes "<number> <message>" on the channel; returns the number.
 */
export const PUBLISH_CHANGE = script(`
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[4]) end
local number = redis.call('INCR', KEYS[1])
redis.call(ARGV[2], ARGV[1], string.format('%d', number) .. ' ' .. ARGV[3])
return number
`)

/** KEYS: change counter. ARGV: fresh start. The number of the last change published (creating the counter). */
export const CHANGE_COUNT = script(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then return tonumber(ARGV[1]) end
return tonumber(redis.call('GET', KEYS[1]))
`)

/** Every script, for loading them all ahead of the first write (`cache.connect()`). */
export const SCRIPTS: readonly Script[] = [
  BEGIN,
  COMMIT,
  TOUCH,
  RELEASE,
  REPLACE,
  PURGE,
  APPLY_EVENT,
  ENLIST,
  DEPEND,
  TAKE,
  SET_LISTED,
  SET_DUE,
  SWEEP_SET,
  SETS_SWEPT,
  MARK,
  LOG_TAGS,
  TAGS_UNCHANGED,
  PUBLISH_CHANGE,
  CHANGE_COUNT,
]
