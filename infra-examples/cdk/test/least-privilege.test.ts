import { Match } from 'aws-cdk-lib/assertions'
import { describe, expect, it } from 'vitest'
import { S3_GRANTS, S3_READ_ACTIONS } from './expected'
import { labels, managedPolicyNames } from './facts'
import { s3Grants, wildcardViolations } from './security-facts'
import { AUTH_MODES, synth } from './synth'

describe.each(AUTH_MODES)('least privilege (%s)', (authMode) => {
  const { template, json } = synth(authMode)

  it('keeps the bucket private, encrypted, versioned', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
    })
  })

  it('denies every request to the bucket that does not use TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: [
              { 'Fn::GetAtt': [Match.stringLikeRegexp('^Bucket'), 'Arn'] },
              { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Bucket'), 'Arn'] }, '/*']] },
            ],
          },
        ]),
      },
    })
  })

  it('allows no `*` action, `service:*` action, `*` resource or `*` principal outside endpoint policies', () => {
    expect(wildcardViolations(json)).toEqual([])
  })

  it('uses only the two AWS-managed policies it needs', () => {
    const names = labels(json)
    const roles = Object.entries(json.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Role')
    expect(roles.map(([id]) => names[id]).sort()).toEqual([
      'apiGatewayLogsRole',
      'functionRole',
      'invalidatorRole',
    ])
    expect(roles.flatMap(([, role]) => managedPolicyNames(role, names)).sort()).toEqual([
      'service-role/AWSLambdaVPCAccessExecutionRole', // the API function
      'service-role/AWSLambdaVPCAccessExecutionRole', // the invalidator
      'service-role/AmazonAPIGatewayPushToCloudWatchLogs',
    ])
  })

  it('grants the secret only where password mode needs it, once per function role', () => {
    const secretGrants =
      JSON.stringify(template.findResources('AWS::IAM::Policy')).match(/secretsmanager:/g) ?? []
    expect(secretGrants.length).toBe(authMode === 'password' ? 2 : 0)
    const connectGrants =
      JSON.stringify(template.findResources('AWS::IAM::Policy')).match(/elasticache:/g) ?? []
    expect(connectGrants.length).toBe(authMode === 'iam' ? 2 : 0)
  })

  it('grants S3 to the API function only, and reads only: no s3:PutObject or other write anywhere', () => {
    const names = labels(json)
    const roles = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.PolicyDocument).includes('"s3:'))
      .map((policy) => policy.Properties.Roles.map((role: { Ref: string }) => names[role.Ref]))
    expect(roles).toEqual([['functionRole']])
    // Roles and the gateway endpoint alike: GetObject and ListBucket on this bucket, nothing else.
    const grants = s3Grants(json)
    expect(grants).toEqual(S3_GRANTS)
    const actions = new Set(grants.map((line) => line.split(' ')[1]))
    expect([...actions].filter((action) => !S3_READ_ACTIONS.includes(String(action)))).toEqual([])
    expect(JSON.stringify(json)).not.toMatch(/"s3:(Put|Delete|Restore|Abort|Replicate)/)
  })
})
