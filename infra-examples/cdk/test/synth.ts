import { fileURLToPath } from 'node:url'
import { App } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'
import type { AuthMode } from '../lib/cache'
import { exampleApiImages } from '../lib/function'
import { ValkeyS3CacheStack, type ValkeyS3CacheStackProps } from '../lib/stack'
import type { CfnTemplate } from './facts'

/**
 * A one-file Docker context, so the tests do not depend on examples/api's bundle being built and
 * never need Docker: synth only stages the context and writes the asset manifest, it never builds.
 */
export const FIXTURE_CONTEXT = fileURLToPath(new URL('./fixtures/image/', import.meta.url))

const cache = new Map<string, { template: Template; json: CfnTemplate; stack: ValkeyS3CacheStack }>()

/** Synthesizes the stack once per set of props (with template validation as errors, as in cdk.json). */
export function synth(authMode: AuthMode, props: Omit<ValkeyS3CacheStackProps, 'authMode'> = {}) {
  // Cached per mode and props, except when a test brings its own image (each one is a different asset).
  const key = props.image ? undefined : JSON.stringify({ authMode, ...props })
  const cached = key === undefined ? undefined : cache.get(key)
  if (cached) return cached
  const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } })
  const stack = new ValkeyS3CacheStack(app, `ValkeyS3Cache-${authMode}`, {
    authMode,
    image: exampleApiImages(FIXTURE_CONTEXT),
    ...props,
  })
  const template = Template.fromStack(stack)
  const result = { template, json: template.toJSON() as CfnTemplate, stack }
  if (key !== undefined) cache.set(key, result)
  return result
}

export const AUTH_MODES: AuthMode[] = ['iam', 'password']
