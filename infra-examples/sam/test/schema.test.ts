import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { App, Stack } from 'aws-cdk-lib'
import { CfnInclude } from 'aws-cdk-lib/cloudformation-include'
import { describe, expect, it } from 'vitest'
import { loadTemplate, type SamTemplate } from './cfn'

/**
 * Runs the CloudFormation resource schemas that ship with aws-cdk-lib (the check `cdk synth` runs
 * with `@aws-cdk/core:validateAgainstDefaultRules`) over the SAM template, offline: every property
 * name and type of every AWS::* resource is checked. `AWS::Serverless::Function` has no schema there
 * (the SAM transform expands it), so its properties are covered by the other tests only.
 */
function validate(template: SamTemplate): void {
  const file = join(mkdtempSync(join(tmpdir(), 'sam-schema-')), 'template.json')
  writeFileSync(file, JSON.stringify(template))
  const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } })
  new CfnInclude(new Stack(app, 'Sam'), 'Template', { templateFile: file })
  app.synth()
}

describe('template.yaml against the CloudFormation resource schemas', () => {
  it('has only known properties of the right types', () => {
    expect(() => validate(loadTemplate())).not.toThrow()
  })

  it('would report a misspelt property (the check is live)', () => {
    const template = loadTemplate()
    const user = template.Resources.AppUser?.Properties as Record<string, unknown>
    user.AuthenticationMode = { type: 'iam' }
    expect(() => validate(template)).toThrow(/'type' was unexpected/)
  })
})
