// zod/mini: the same schemas as `zod`, in a form a bundler can tree-shake (about 15 KB of the
// bundle instead of about 450 KB). Every message is written here, so no locale is loaded.
import * as z from 'zod/mini'

/** S3 allows keys of up to 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8')

/** The S3 key a client may ask for. Checked before the key reaches the cache or S3. */
export const ObjectKey = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .check(
    z.minLength(1, 'must not be empty'),
    z.refine((key) => utf8Bytes(key) <= MAX_KEY_BYTES, `must be at most ${MAX_KEY_BYTES} bytes of UTF-8`),
    // \p{Cc}: C0 and C1 control characters, DEL included (NUL, CR, LF, tab, ESC, …).
    z.refine((key) => !/\p{Cc}/u.test(key), 'must not contain control characters'),
    z.refine((key) => !key.split('/').includes('..'), 'must not contain ".." segments'),
  )

/** The body of `POST /objects`. Unknown fields are refused, so a typo never passes unnoticed. */
export const ObjectRequest = z.strictObject(
  { key: ObjectKey },
  { error: 'the body must be a JSON object like {"key": "docs/a.json"}' },
)

export type ObjectRequest = z.infer<typeof ObjectRequest>

/** One readable sentence from zod's issues, such as `key must not contain ".." segments`. */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown field(s): ${issue.keys.join(', ')}`
      const path = issue.path.map(String).join('.')
      return path ? `${path} ${issue.message}` : issue.message
    })
    .join('; ')
}
