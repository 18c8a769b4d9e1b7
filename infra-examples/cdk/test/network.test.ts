import { Match } from 'aws-cdk-lib/assertions'
import { describe, expect, it } from 'vitest'
import { SECURITY_GROUP_RULES } from './expected'
import { securityGroupRules } from './security-facts'
import { AUTH_MODES, synth } from './synth'

describe.each(AUTH_MODES)('network (%s)', (authMode) => {
  const { template, json } = synth(authMode)

  it('is a VPC of isolated subnets in 3 AZs, with no internet gateway and no NAT', () => {
    template.resourceCountIs('AWS::EC2::Subnet', 3)
    template.resourceCountIs('AWS::EC2::InternetGateway', 0)
    template.resourceCountIs('AWS::EC2::NatGateway', 0)
    template.resourceCountIs('AWS::EC2::Route', 0)
    for (const index of [0, 1, 2]) {
      template.hasResourceProperties('AWS::EC2::Subnet', {
        AvailabilityZone: { 'Fn::Select': [index, { 'Fn::GetAZs': '' }] },
        MapPublicIpOnLaunch: false,
      })
    }
  })

  it('has exactly the expected security group rules (ports and sources)', () => {
    expect(securityGroupRules(json)).toEqual(SECURITY_GROUP_RULES[authMode])
  })

  it('never opens ingress to the internet', () => {
    const ingress = [
      ...Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties),
      ...Object.values(template.findResources('AWS::EC2::SecurityGroup')).flatMap(
        (r) => r.Properties.SecurityGroupIngress ?? [],
      ),
    ]
    expect(ingress.length).toBeGreaterThan(0)
    for (const rule of ingress) {
      expect(rule.CidrIp).toBeUndefined()
      expect(rule.CidrIpv6).toBeUndefined()
      expect(rule.SourceSecurityGroupId).toBeDefined()
    }
  })

  it('routes S3 through a gateway endpoint whose policy reaches only the bucket, to read it', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] },
      RouteTableIds: Match.arrayWith([Match.objectLike({ Ref: Match.anyValue() })]),
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'OnlyTheCacheBucket',
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: ['s3:GetObject', 's3:ListBucket'],
            Resource: [
              { 'Fn::GetAtt': [Match.stringLikeRegexp('^Bucket'), 'Arn'] },
              { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Bucket'), 'Arn'] }, '/*']] },
            ],
          },
        ],
      },
    })
    const gateway = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).find(
      (r) => r.Properties.VpcEndpointType === 'Gateway',
    )
    expect(gateway?.Properties.RouteTableIds).toHaveLength(3)
  })

  it('adds a Secrets Manager interface endpoint only in password mode, reachable only from the function', () => {
    const interfaces = template.findResources('AWS::EC2::VPCEndpoint', {
      Properties: { VpcEndpointType: 'Interface' },
    })
    if (authMode === 'iam') {
      expect(Object.keys(interfaces)).toHaveLength(0)
      return
    }
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.secretsmanager']] },
      PrivateDnsEnabled: true,
      PolicyDocument: {
        Statement: [
          {
            Sid: 'OnlyTheValkeyPassword',
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: 'secretsmanager:GetSecretValue',
            Resource: { Ref: Match.stringLikeRegexp('UserPassword') },
          },
        ],
      },
    })
  })
})

describe('network with azCount 2', () => {
  it('spans two AZs and the cache uses both subnets', () => {
    const { template } = synth('iam', { azCount: 2 })
    template.resourceCountIs('AWS::EC2::Subnet', 2)
    template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      SubnetIds: [{ Ref: Match.anyValue() }, { Ref: Match.anyValue() }],
    })
  })
})
