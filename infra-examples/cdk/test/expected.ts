import { readFileSync } from 'node:fs'
import type { Statement } from './facts'

/** Where the least-privilege ACL is documented (and tested against a real server by the core tests). */
const SECURITY_DOC = new URL('../../../docs/security.md', import.meta.url)

/**
 * The access string as a reader of docs/security.md sees it: the line after "```acl". Only the tests
 * read docs/: the stacks carry their own copy (lib/access-string.ts, the SAM template's `AccessString`).
 */
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
  /**
   * The cache takes 6379/6380 from the two functions only; the API function reaches the cache and S3
   * only, the invalidator the cache only (it never calls S3).
   */
  iam: [
    // The "no egress" marker (an ICMP type that does not exist, to a non-routable address).
    'egress cacheSg icmp 252-86 255.255.255.255/32',
    'egress functionSg tcp 443-443 param:S3PrefixListId',
    'egress functionSg tcp 6379-6379 cacheSg',
    'egress functionSg tcp 6380-6380 cacheSg',
    'egress invalidatorSg tcp 6379-6379 cacheSg',
    'egress invalidatorSg tcp 6380-6380 cacheSg',
    'ingress cacheSg tcp 6379-6379 functionSg',
    'ingress cacheSg tcp 6379-6379 invalidatorSg',
    'ingress cacheSg tcp 6380-6380 functionSg',
    'ingress cacheSg tcp 6380-6380 invalidatorSg',
  ],
  /** Password mode adds the Secrets Manager endpoint, reachable on 443 from the two functions only. */
  password: [
    'egress cacheSg icmp 252-86 255.255.255.255/32',
    'egress endpointSg icmp 252-86 255.255.255.255/32',
    'egress functionSg tcp 443-443 endpointSg',
    'egress functionSg tcp 443-443 param:S3PrefixListId',
    'egress functionSg tcp 6379-6379 cacheSg',
    'egress functionSg tcp 6380-6380 cacheSg',
    'egress invalidatorSg tcp 443-443 endpointSg',
    'egress invalidatorSg tcp 6379-6379 cacheSg',
    'egress invalidatorSg tcp 6380-6380 cacheSg',
    'ingress cacheSg tcp 6379-6379 functionSg',
    'ingress cacheSg tcp 6379-6379 invalidatorSg',
    'ingress cacheSg tcp 6380-6380 functionSg',
    'ingress cacheSg tcp 6380-6380 invalidatorSg',
    'ingress endpointSg tcp 443-443 functionSg',
    'ingress endpointSg tcp 443-443 invalidatorSg',
  ],
}

/** The only S3 actions anything in either stack may be allowed: the handler reads, it never writes. */
export const S3_READ_ACTIONS = ['s3:GetObject', 's3:ListBucket']

const S3: Statement[] = [
  { sid: 'MissingKeysAre404', effect: 'Allow', actions: ['s3:ListBucket'], resources: ['bucket.Arn'] },
  { sid: 'ReadObjects', effect: 'Allow', actions: ['s3:GetObject'], resources: ['bucket.Arn/*'] },
]

/**
 * Every S3 action allowed anywhere (see `s3Grants`): the API function's role reads the objects and lists
 * the bucket, the gateway endpoint passes the same two actions for the bucket only. No write.
 */
export const S3_GRANTS = [
  'AWS::EC2::VPCEndpoint s3:GetObject bucket.Arn,bucket.Arn/*',
  'AWS::EC2::VPCEndpoint s3:ListBucket bucket.Arn,bucket.Arn/*',
  'functionRole s3:GetObject bucket.Arn/*',
  'functionRole s3:ListBucket bucket.Arn',
]

const CONNECT: Record<'iam' | 'password', Statement> = {
  iam: {
    sid: 'ConnectAsTheAppUser',
    effect: 'Allow',
    actions: ['elasticache:Connect'],
    resources: ['cache.ARN', 'user.Arn'],
  },
  password: {
    sid: 'ReadTheValkeyPassword',
    effect: 'Allow',
    actions: ['secretsmanager:GetSecretValue'],
    resources: ['secret'],
  },
}

/** The function role's inline statements, sorted by Sid (the managed policy is AWSLambdaVPCAccessExecutionRole only). */
export const FUNCTION_STATEMENTS: Record<'iam' | 'password', Statement[]> = {
  iam: [CONNECT.iam, ...S3],
  password: [...S3, CONNECT.password],
}

/** Lambda's on-failure destination sends with the function's role: exactly sqs:SendMessage, on the one queue. */
const KEEP_FAILED_INVOCATIONS: Statement = {
  sid: 'KeepFailedInvocations',
  effect: 'Allow',
  actions: ['sqs:SendMessage'],
  resources: ['deadLetterQueue.Arn'],
}

/** The invalidator role's inline statements: the cache connection and the dead-letter queue (no S3 at all). */
export const INVALIDATOR_STATEMENTS: Record<'iam' | 'password', Statement[]> = {
  iam: [CONNECT.iam, KEEP_FAILED_INVOCATIONS],
  password: [KEEP_FAILED_INVOCATIONS, CONNECT.password],
}

/**
 * The invalidator's asynchronous invocation: two retries, an hour at most in Lambda's queue, then the
 * invocation record goes to the dead-letter queue (failed invocations are kept, not dropped).
 */
export const INVALIDATOR_ASYNC_INVOKE = [
  {
    function: 'invalidator',
    qualifier: '$LATEST',
    maximumRetryAttempts: 2,
    maximumEventAgeSeconds: 3600,
    destinations: { OnFailure: { Destination: 'deadLetterQueue.Arn' } },
  },
]

/** The stage's default throttle for every method (path `/*`, method `*`), from the two stage parameters; no data trace. */
export const STAGE_METHOD_SETTINGS = [
  {
    DataTraceEnabled: false,
    HttpMethod: '*',
    ResourcePath: '/*',
    ThrottlingBurstLimit: 'param:ApiStageBurstLimit',
    ThrottlingRateLimit: 'param:ApiStageRateLimit',
  },
]

/** The EventBridge rule's pattern, references labelled: S3's object changes of the stack's bucket. */
export const S3_CHANGE_RULE_PATTERN = {
  source: ['aws.s3'],
  'detail-type': ['Object Created', 'Object Deleted'],
  detail: { bucket: { name: ['bucket'] } },
}

/** The rule's one target: the invalidator, retried by EventBridge, with the dead-letter queue. */
export const S3_CHANGE_RULE_TARGET = {
  arn: 'invalidator.Arn',
  input: null,
  deadLetter: { Arn: 'deadLetterQueue.Arn' },
  retry: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 8 },
}

/** Lambda invoke permissions, both scoped to one source: a stage route, and the rule. */
export const INVOKE_PERMISSIONS = [
  {
    Action: 'lambda:InvokeFunction',
    FunctionName: 'function.Arn',
    Principal: 'apigateway.amazonaws.com',
    SourceArn: 'arn:AWS::Partition:execute-api:AWS::Region:AWS::AccountId:api/stage/POST/objects',
  },
  {
    Action: 'lambda:InvokeFunction',
    FunctionName: 'invalidator.Arn',
    Principal: 'events.amazonaws.com',
    SourceArn: 'invalidatorRule.Arn',
  },
]

/** The dead-letter queue's policy: TLS only, and only the rule may send to it. */
export const DEAD_LETTER_QUEUE_POLICY = [
  {
    effect: 'Allow',
    principal: { Service: 'events.amazonaws.com' },
    actions: ['sqs:SendMessage'],
    resources: ['deadLetterQueue.Arn'],
    condition: { ArnEquals: { 'aws:SourceArn': 'invalidatorRule.Arn' } },
  },
  {
    effect: 'Deny',
    principal: { AWS: '*' },
    actions: ['sqs:*'],
    resources: ['deadLetterQueue.Arn'],
    condition: { Bool: { 'aws:SecureTransport': 'false' } },
  },
]
