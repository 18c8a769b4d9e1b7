let counter = 0

/** An S3 key no other test uses, in any process: `<label>/<pid>-<time>-<n>.json`. */
export function uniqueKey(label = 'obj'): string {
  counter++
  return `${label}/${process.pid}-${Date.now().toString(36)}-${counter}.json`
}
