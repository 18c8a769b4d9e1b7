// lib/ is meant to be copied into another project: it must synthesize there, reading nothing outside itself.
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { App } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'
import { afterAll, describe, expect, it } from 'vitest'
import type * as StackModule from '../lib/stack'
import { FIXTURE_ZIP, synth } from './synth'

const lib = fileURLToPath(new URL('../lib/', import.meta.url))
const nodeModules = fileURLToPath(new URL('../../../node_modules', import.meta.url))

describe('lib/ copied into another project', () => {
  const project = mkdtempSync(join(tmpdir(), 'cdk-copy-'))
  afterAll(() => rmSync(project, { recursive: true, force: true }))

  it('synthesizes the same template there, with a handler of that project', async () => {
    cpSync(lib, join(project, 'lib'), { recursive: true })
    cpSync(FIXTURE_ZIP, join(project, 'dist'), { recursive: true })
    symlinkSync(nodeModules, join(project, 'node_modules'))
    const { ValkeyS3CacheStack }: typeof StackModule = await import(join(project, 'lib/stack.ts'))
    const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } })
    const stack = new ValkeyS3CacheStack(app, 'ValkeyS3Cache-iam', {
      handler: { type: 'zip', directory: join(project, 'dist') },
    })
    const here = synth('iam', { handler: { type: 'zip', directory: FIXTURE_ZIP } }).json
    const copied = Template.fromStack(stack).toJSON() as typeof here
    const user = (json: typeof here) =>
      Object.values(json.Resources).find((r) => r.Type === 'AWS::ElastiCache::User')?.Properties
    expect(user(copied)).toEqual(user(here))
    expect(Object.keys(copied.Resources).sort()).toEqual(Object.keys(here.Resources).sort())
  })
})
