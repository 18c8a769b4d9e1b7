import { Match } from 'aws-cdk-lib/assertions'
import { describe, expect, it } from 'vitest'
import { accessString, KEY_PREFIX_PATTERN } from '../lib/access-string'
import { PARAMETER_DEFAULTS } from '../lib/parameters'
import { documentedAccessString } from './expected'
import { canon, labels, only } from './facts'
import { AUTH_MODES, synth } from './synth'

/** The user's AccessString as deployed with `KeyPrefix` = `prefix`. */
export function deployedAccessString(json: Parameters<typeof labels>[0], prefix: string): string {
  const user = only(json, 'AWS::ElastiCache::User')[1].Properties ?? {}
  return String(canon(user.AccessString, labels(json))).replaceAll('param:KeyPrefix', prefix)
}

const userName = { 'Fn::Join': ['', [{ Ref: 'CacheName' }, '-app']] }

describe.each(AUTH_MODES)('cache (%s)', (authMode) => {
  const { template, json } = synth(authMode)

  it("gives the user docs/security.md's access string with the default KeyPrefix, which never grants +@all", () => {
    const access = documentedAccessString()
    expect(access).toMatch(/^on ~s3c:\* resetchannels &s3c:\* -@all /)
    expect(access).not.toMatch(/\+@all|allcommands|allkeys|~\*(\s|$)/)
    expect(PARAMETER_DEFAULTS.KeyPrefix).toBe('s3c:')
    expect(deployedAccessString(json, 's3c:')).toBe(access)
    expect(accessString('s3c:')).toBe(access)
  })

  it('takes its key and channel patterns from the one KeyPrefix parameter, which also reaches both functions', () => {
    template.hasResourceProperties('AWS::ElastiCache::User', {
      AccessString: {
        'Fn::Join': [
          '',
          [
            'on ~',
            { Ref: 'KeyPrefix' },
            '* resetchannels &',
            { Ref: 'KeyPrefix' },
            Match.stringLikeRegexp('^\\* -@all '),
          ],
        ],
      },
    })
    expect(deployedAccessString(json, 'app1:')).toBe(
      documentedAccessString().replace('~s3c:*', '~app1:*').replace('&s3c:*', '&app1:*'),
    )
    template.hasParameter('KeyPrefix', {
      Type: 'String',
      Default: 's3c:',
      AllowedPattern: KEY_PREFIX_PATTERN,
    })
    template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CACHE_KEY_PREFIX: { Ref: 'KeyPrefix' } }) },
    })
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

describe('the keyPrefix prop', () => {
  it("sets the KeyPrefix parameter's default", () => {
    const { template } = synth('iam', { keyPrefix: 'orders:' })
    template.hasParameter('KeyPrefix', { Default: 'orders:' })
  })

  it('refuses a prefix that would widen the ACL or pick a cluster slot', () => {
    for (const keyPrefix of ['', 'a*', 'a b', '{tag}', 'a?']) {
      expect(() => synth('iam', { keyPrefix })).toThrow(/^keyPrefix: expected/)
    }
    for (const keyPrefix of ['a*', 'a b', '{tag}', 'x'.repeat(65)])
      expect(new RegExp(KEY_PREFIX_PATTERN).test(keyPrefix), keyPrefix).toBe(false)
  })
})
