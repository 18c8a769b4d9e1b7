import { describe, expect, it } from 'vitest'
import { INVALIDATOR_ASYNC_INVOKE, S3_GRANTS, STAGE_METHOD_SETTINGS } from '../../cdk/test/expected'
import { securityFacts } from '../../cdk/test/security-facts'
import { FIXTURE_PACKAGES, synth } from '../../cdk/test/synth'
import { loadTemplate, resolveConditions } from './cfn'

/**
 * The CDK app and the SAM template describe one architecture. For every auth mode (and both AZ
 * counts) their security-relevant facts must be equal: security group rules, the user and its access
 * string, the cache, the functions' roles and environments, every S3 grant (reads only), the API's
 * methods, CORS, logging, stage throttle and usage plan, the invoke permissions, the bucket and its
 * EventBridge notifications, the invalidator's rule, target, dead-letter queue and on-failure
 * destination, the VPC endpoints and the outputs.
 */
const sam = loadTemplate()

describe.each([
  ['iam', 3, 'image', 'arm64'],
  ['password', 3, 'image', 'arm64'],
  ['iam', 2, 'image', 'arm64'],
  ['password', 2, 'image', 'arm64'],
  ['iam', 3, 'zip', 'arm64'],
  ['password', 2, 'zip', 'arm64'],
  ['iam', 3, 'image', 'x86_64'],
  ['password', 3, 'zip', 'x86_64'],
] as const)('CDK and SAM agree (%s, %d AZs, %s, %s)', (authMode, azCount, pkg, architecture) => {
  const cdk = synth(authMode, { azCount, architecture, handler: FIXTURE_PACKAGES[pkg] }).json
  const resolved = resolveConditions(sam, {
    AuthMode: authMode,
    AzCount: String(azCount),
    Package: pkg,
    Architecture: architecture,
  })

  it('on every security-relevant fact', () => {
    expect(securityFacts(resolved)).toEqual(securityFacts(cdk))
  })

  it('including the S3 event invalidator: bucket notifications, rule, target, permission, role, network', () => {
    // Guards the comparison above against comparing two absences.
    const facts = securityFacts(cdk)
    expect(facts.s3Events.bucketNotifications).toEqual({
      EventBridgeConfiguration: { EventBridgeEnabled: true },
    })
    expect(facts.s3Events.rules).toHaveLength(1)
    expect(facts.s3Events.deadLetterQueues).toHaveLength(1)
    expect(facts.invalidator).toMatchObject(
      pkg === 'image'
        ? { packageType: 'Image', command: ['invalidator.handler'], memorySize: 256, timeout: 10 }
        : { packageType: 'Zip', handler: 'invalidator.handler', runtime: 'nodejs22.x', memorySize: 256 },
    )
    expect(facts.function.architectures).toEqual([architecture])
    expect(facts.function.environment).toMatchObject({ CACHE_KEY_PREFIX: 'param:KeyPrefix' })
    expect(facts.user.accessString).toEqual(securityFacts(resolved).user.accessString)
    // The cache connection, and sqs:SendMessage for the on-failure destination.
    expect(facts.invalidatorRole.statements).toHaveLength(2)
    expect(facts.s3Events.asyncInvoke).toEqual(INVALIDATOR_ASYNC_INVOKE)
    expect(facts.invokePermissions).toHaveLength(2)
    expect(facts.securityGroupRules.filter((rule) => rule.includes('invalidatorSg'))).toHaveLength(
      authMode === 'iam' ? 4 : 6,
    )
  })

  it('including S3 reads only (no s3:PutObject) and the stage default throttle', () => {
    // Guards the comparison above: both stacks grant exactly these S3 reads and throttle the stage.
    const facts = securityFacts(cdk)
    expect(facts.s3Grants).toEqual(S3_GRANTS)
    expect(securityFacts(resolved).s3Grants).toEqual(S3_GRANTS)
    expect(facts.api.methodSettings).toEqual(STAGE_METHOD_SETTINGS)
    expect(securityFacts(resolved).api.methodSettings).toEqual(STAGE_METHOD_SETTINGS)
  })

  it('on the resource types and how many of each', () => {
    // Two differences of form, not of effect (both are compared above, as rules and statements): the
    // SAM template puts the S3 egress rule inline on the function's group and the role's statements
    // inline on the role; CDK writes them as AWS::EC2::SecurityGroupEgress and AWS::IAM::Policy.
    const STYLE = new Set(['AWS::EC2::SecurityGroupEgress', 'AWS::IAM::Policy'])
    const count = (template: { Resources: Record<string, { Type: string }> }) => {
      const counts: Record<string, number> = {}
      for (const { Type } of Object.values(template.Resources)) {
        if (STYLE.has(Type)) continue
        const type = Type === 'AWS::Serverless::Function' ? 'AWS::Lambda::Function' : Type
        counts[type] = (counts[type] ?? 0) + 1
      }
      return counts
    }
    expect(count(resolved)).toEqual(count(cdk))
  })
})

describe('CDK and SAM parameters', () => {
  it('have the same names, types, defaults, constraints and descriptions', () => {
    const { BootstrapVersion: _bootstrap, ...cdk } = synth('iam').json.Parameters ?? {}
    const { AuthMode, AzCount, CreateApiGatewayAccountRole, Architecture, Package, ...shared } =
      sam.Parameters ?? {}
    expect(shared).toEqual(cdk)
    expect(Object.keys(shared)).toContain('KeyPrefix')
    // The five that are CDK context values (they decide which resources exist, or how the image is built).
    expect(
      [AuthMode, AzCount, CreateApiGatewayAccountRole, Architecture, Package].map((p) => p?.Default),
    ).toEqual(['iam', 3, 'true', 'arm64', 'image'])
  })
})
