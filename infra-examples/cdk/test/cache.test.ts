import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Match } from 'aws-cdk-lib/assertions'
import { describe, expect, it } from 'vitest'
import { readAccessString } from '../lib/config'
import { documentedAccessString } from './expected'
import { AUTH_MODES, synth } from './synth'

const userName = { 'Fn::Join': ['', [{ Ref: 'CacheName' }, '-app']] }

describe.each(AUTH_MODES)('cache (%s)', (authMode) => {
  const { template } = synth(authMode)

  it("gives the user exactly docs/security.md's access string, which never grants +@all", () => {
    const access = documentedAccessString()
    expect(access).toMatch(/^on ~s3c:\* resetchannels -@all /)
    expect(access).not.toMatch(/\+@all|allcommands|allkeys|~\*(\s|$)/)
    template.hasResourceProperties('AWS::ElastiCache::User', { AccessString: access })
  })

  it('is ElastiCache Serverless, Valkey 8, in the isolated subnets, behind the cache security group', () => {
    template.resourceCountIs('AWS::ElastiCache::ServerlessCache', 1)
    template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      Engine: 'valkey',
      MajorEngineVersion: '8',
      ServerlessCacheName: { Ref: 'CacheName' },
      UserGroupId: { Ref: 'CacheName' },
      SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('isolatedSubnet1') }]),
      SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('CacheSecurityGroup'), 'GroupId'] }],
    })
  })

  it('caps data storage (GB) and ECPU/s with parameters', () => {
    template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      CacheUsageLimits: {
        DataStorage: { Maximum: { Ref: 'MaxDataStorageGB' }, Unit: 'GB' },
        ECPUPerSecond: { Maximum: { Ref: 'MaxEcpuPerSecond' } },
      },
    })
    template.hasParameter('MaxDataStorageGB', { Type: 'Number', Default: 1, MinValue: 1 })
    template.hasParameter('MaxEcpuPerSecond', { Type: 'Number', Default: 5000, MinValue: 1000 })
  })

  it('holds only the application user in a valkey user group (no `default` user needed for valkey)', () => {
    template.resourceCountIs('AWS::ElastiCache::User', 1)
    template.hasResourceProperties('AWS::ElastiCache::UserGroup', {
      Engine: 'valkey',
      UserGroupId: { Ref: 'CacheName' },
      UserIds: [userName],
    })
    template.hasResourceProperties('AWS::ElastiCache::User', { Engine: 'valkey', UserId: userName })
  })

  if (authMode === 'iam') {
    it('authenticates the user with IAM, user name equal to user ID, and no secret', () => {
      template.hasResourceProperties('AWS::ElastiCache::User', {
        UserId: userName,
        UserName: userName,
        AuthenticationMode: { Type: 'iam' },
        Passwords: Match.absent(),
      })
      template.resourceCountIs('AWS::SecretsManager::Secret', 0)
    })
  } else {
    it('authenticates the user with a generated Secrets Manager password, never in the template', () => {
      template.hasResourceProperties('AWS::SecretsManager::Secret', {
        GenerateSecretString: { PasswordLength: 32, ExcludePunctuation: true },
      })
      template.hasResourceProperties('AWS::ElastiCache::User', {
        UserName: userName,
        AuthenticationMode: {
          Type: 'password',
          Passwords: [
            {
              'Fn::Join': [
                '',
                [
                  '{{resolve:secretsmanager:',
                  { Ref: Match.stringLikeRegexp('UserPassword') },
                  ':SecretString:::}}',
                ],
              ],
            },
          ],
        },
      })
    })
  }
})

describe('readAccessString', () => {
  const doc = (body: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'acl-')), 'security.md')
    writeFileSync(file, body)
    return file
  }

  it('reads the ```acl block and ignores ```acl-tooling', () => {
    const file = doc('```acl-tooling\non ~* +@all\n```\n\n```acl\non ~s3c:* -@all +get\n```\n')
    expect(readAccessString(file)).toBe('on ~s3c:* -@all +get')
  })

  it('refuses a missing block and an access string that grants every command', () => {
    expect(() => readAccessString(doc('no block here'))).toThrow(/acl/)
    expect(() => readAccessString(doc('```acl\non ~s3c:* +@all\n```\n'))).toThrow(/every command/)
  })
})
