import { readFileSync } from 'node:fs'
import { SECURITY_DOC } from '../lib/config'
import type { Statement } from './facts'

/** The access string as a reader of docs/security.md sees it: the line after "```acl" (parsed independently of readAccessString). */
export function documentedAccessString(): string {
  const lines = readFileSync(SECURITY_DOC, 'utf8').split('\n')
  const fence = lines.findIndex((line) => line.trim() === '```acl')
  const access = lines[fence + 1]
  if (fence < 0 || access === undefined) throw new Error('docs/security.md has no ```acl block')
  return access
}

/**
 * What both stacks must contain, written out once for the CDK tests and the SAM tests. Labels, not
 * logical IDs: `cacheSg` is the group on the cache, `functionSg` the group on the Lambda.
 */
export const SECURITY_GROUP_RULES = {
  /** The cache takes 6379/6380 from the function only; the function reaches the cache and S3 only. */
  iam: [
    // The "no egress" marker (an ICMP type that does not exist, to a non-routable address).
    'egress cacheSg icmp 252-86 255.255.255.255/32',
    'egress functionSg tcp 443-443 param:S3PrefixListId',
    'egress functionSg tcp 6379-6379 cacheSg',
    'egress functionSg tcp 6380-6380 cacheSg',
    'ingress cacheSg tcp 6379-6379 functionSg',
    'ingress cacheSg tcp 6380-6380 functionSg',
  ],
  /** Password mode adds the Secrets Manager endpoint, reachable on 443 from the function only. */
  password: [
    'egress cacheSg icmp 252-86 255.255.255.255/32',
    'egress endpointSg icmp 252-86 255.255.255.255/32',
    'egress functionSg tcp 443-443 endpointSg',
    'egress functionSg tcp 443-443 param:S3PrefixListId',
    'egress functionSg tcp 6379-6379 cacheSg',
    'egress functionSg tcp 6380-6380 cacheSg',
    'ingress cacheSg tcp 6379-6379 functionSg',
    'ingress cacheSg tcp 6380-6380 functionSg',
    'ingress endpointSg tcp 443-443 functionSg',
  ],
}

const S3: Statement[] = [
  { sid: 'MissingKeysAre404', effect: 'Allow', actions: ['s3:ListBucket'], resources: ['bucket.Arn'] },
  {
    sid: 'ReadAndWriteObjects',
    effect: 'Allow',
    actions: ['s3:GetObject', 's3:PutObject'],
    resources: ['bucket.Arn/*'],
  },
]

/** The function role's inline statements, sorted by Sid (the managed policy is AWSLambdaVPCAccessExecutionRole only). */
export const FUNCTION_STATEMENTS: Record<'iam' | 'password', Statement[]> = {
  iam: [
    {
      sid: 'ConnectAsTheAppUser',
      effect: 'Allow',
      actions: ['elasticache:Connect'],
      resources: ['cache.ARN', 'user.Arn'],
    },
    ...S3,
  ],
  password: [
    ...S3,
    {
      sid: 'ReadTheValkeyPassword',
      effect: 'Allow',
      actions: ['secretsmanager:GetSecretValue'],
      resources: ['secret'],
    },
  ],
}
