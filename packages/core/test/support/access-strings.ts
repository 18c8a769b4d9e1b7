import { readFileSync } from 'node:fs'

const doc = readFileSync(new URL('../../../../docs/security.md', import.meta.url), 'utf8')

/**
 * An access string of docs/security.md, exactly as written there: the function's (`acl`), the one for
 * GLIDE clients (`acl-glide`) or the operator's (`acl-tooling`). Throws when the block is missing.
 */
export function documentedAccessString(block: 'acl' | 'acl-glide' | 'acl-tooling'): string {
  const text = new RegExp(`^\`\`\`${block}\\n([\\s\\S]*?)^\`\`\``, 'm').exec(doc)?.[1]?.trim() ?? ''
  if (!text.includes('~s3c:*')) throw new Error(`docs/security.md has no ${block} block for ~s3c:*`)
  return text
}
