/**
 * The application user's access string, kept in the stack's own folder so that `lib/` synthesizes
 * wherever it is copied. It is the ` ```acl ` block of docs/security.md (the string the core tests
 * prove sufficient on a real server) with the key pattern taken from the cache's `keyPrefix`;
 * `test/cache.test.ts` fails when the two drift apart.
 */

/**
 * Every command the cache sends (docs/security.md explains each rule). A function whose handler
 * passes a GLIDE client adds `+client|setinfo` (the ` ```acl-glide ` block there).
 */
export const APP_USER_COMMANDS =
  '-@all +get +eval +evalsha +script|load +set +del +incr +pexpire +setrange +getrange +exists +zadd +zrange +zrem +zcard +zscore +zremrangebyscore +publish +subscribe +spublish +ssubscribe +info +ping +cluster|slots +cluster|info +readonly +readwrite +client|setname'

/**
 * `on ~<keyPrefix>* resetchannels &<keyPrefix>* <commands>`: the user reaches only the keys and the
 * pub/sub channels under the cache's prefix (the caches announce their changes on `<keyPrefix>{l1}`).
 * `keyPrefix` may be a CloudFormation token (the `KeyPrefix` parameter): the result is then resolved
 * at deploy time.
 */
export function accessString(keyPrefix: string, commands: string = APP_USER_COMMANDS): string {
  return `on ~${keyPrefix}* resetchannels &${keyPrefix}* ${commands}`
}

/**
 * What `keyPrefix` may be: core's own rule (no braces, which would pick the cluster slot; no glob
 * characters or whitespace, which would break `~<prefix>*`), narrowed to characters that need no
 * escaping anywhere: the ACL, an environment variable, a CloudFormation parameter.
 */
export const KEY_PREFIX_PATTERN = '^[A-Za-z0-9:._/-]{1,64}$'
