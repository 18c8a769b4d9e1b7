import { fileURLToPath } from 'node:url'
import { App } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'
import type { AuthMode } from '../lib/cache'
import type { HandlerPackage } from '../lib/handler-code'
import { ValkeyS3CacheStack, type ValkeyS3CacheStackProps } from '../lib/stack'
import type { CfnTemplate } from './facts'

/**
 * A one-file Docker context, so the tests do not depend on examples/api's bundle being built and
 * never need Docker: synth only stages the context and writes the asset manifest, it never builds.
 */
export const FIXTURE_CONTEXT = fileURLToPath(new URL('./fixtures/image/', import.meta.url))
/** Two one-line handler modules, standing in for examples/api/dist on the zip path. */
export const FIXTURE_ZIP = fileURLToPath(new URL('./fixtures/zip/', import.meta.url))

export const FIXTURE_PACKAGES = {
  image: { type: 'image', directory: FIXTURE_CONTEXT },
  zip: { type: 'zip', directory: FIXTURE_ZIP },
} as const satisfies Record<string, HandlerPackage>

export type SynthProps = Omit<ValkeyS3CacheStackProps, 'authMode' | 'handler'> & { handler?: HandlerPackage }

const cache = new Map<string, { template: Template; json: CfnTemplate; stack: ValkeyS3CacheStack }>()

/** Synthesizes the stack once per set of props (with template validation as errors, as in cdk.json). */
export function synth(authMode: AuthMode, props: SynthProps = {}) {
  const key = JSON.stringify({ authMode, ...props })
  const cached = cache.get(key)
  if (cached) return cached
  const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } })
  const stack = new ValkeyS3CacheStack(app, `ValkeyS3Cache-${authMode}`, {
    authMode,
    handler: FIXTURE_PACKAGES.image,
    ...props,
  })
  const template = Template.fromStack(stack)
  const result = { template, json: template.toJSON() as CfnTemplate, stack }
  cache.set(key, result)
  return result
}

export const AUTH_MODES: AuthMode[] = ['iam', 'password']
