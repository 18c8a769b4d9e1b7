import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse, type Tags } from 'yaml'
import type { CfnTemplate, Json } from '../../cdk/test/facts'

export const TEMPLATE_PATH = fileURLToPath(new URL('../template.yaml', import.meta.url))

/** CloudFormation's short-form intrinsics and the long form each one stands for. */
const INTRINSICS: Record<string, string> = {
  Ref: 'Ref',
  Condition: 'Condition',
  GetAtt: 'Fn::GetAtt',
  Sub: 'Fn::Sub',
  Join: 'Fn::Join',
  Select: 'Fn::Select',
  Split: 'Fn::Split',
  GetAZs: 'Fn::GetAZs',
  If: 'Fn::If',
  Equals: 'Fn::Equals',
  Not: 'Fn::Not',
  And: 'Fn::And',
  Or: 'Fn::Or',
  FindInMap: 'Fn::FindInMap',
  Base64: 'Fn::Base64',
  Cidr: 'Fn::Cidr',
  ImportValue: 'Fn::ImportValue',
  Transform: 'Fn::Transform',
}

/**
 * One YAML tag per intrinsic and node kind (`!Sub 'x'` and `!Sub [x, {…}]`, `!GetAtt A.B` and
 * `!GetAtt [A, B]`), each turned into the JSON form CloudFormation itself uses.
 */
export const CFN_TAGS: Tags = Object.entries(INTRINSICS).flatMap(([short, long]) => [
  {
    tag: `!${short}`,
    resolve: (value: string) => ({ [long]: short === 'GetAtt' ? splitOnce(value) : value }),
  },
  { tag: `!${short}`, collection: 'seq' as const, resolve: (node: YamlNode) => ({ [long]: node.toJSON() }) },
  { tag: `!${short}`, collection: 'map' as const, resolve: (node: YamlNode) => ({ [long]: node.toJSON() }) },
])

type YamlNode = { toJSON(): unknown }
const splitOnce = (value: string) => {
  const dot = value.indexOf('.')
  return [value.slice(0, dot), value.slice(dot + 1)]
}

export interface SamTemplate extends CfnTemplate {
  Transform?: Json
  Conditions?: Record<string, Json>
  Resources: Record<string, CfnTemplate['Resources'][string] & { Condition?: string; Metadata?: Json }>
}

export function loadTemplate(path = TEMPLATE_PATH): SamTemplate {
  return parse(readFileSync(path, 'utf8'), { customTags: CFN_TAGS }) as SamTemplate
}

const NO_VALUE = Symbol('AWS::NoValue')
const isObject = (value: unknown): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * The template CloudFormation would act on for these parameter values: conditions evaluated,
 * resources and outputs whose condition is false dropped, `Fn::If` replaced by its chosen branch and
 * `AWS::NoValue` removed. Refs to parameters stay refs, so the result reads like a CDK template,
 * except those named in `inline` (the parameters that are synth-time values in CDK, such as
 * `Architecture`), which are replaced by their values.
 */
export function resolveConditions(
  template: SamTemplate,
  overrides: Record<string, string> = {},
  inline: readonly string[] = ['Architecture'],
): SamTemplate {
  const parameters = Object.fromEntries(
    Object.entries(template.Parameters ?? {}).map(([name, p]) => [
      name,
      String(overrides[name] ?? p.Default),
    ]),
  )
  const conditions = new Map<string, boolean>()
  const evaluate = (expression: Json): boolean => {
    if (!isObject(expression)) throw new Error(`not a condition: ${JSON.stringify(expression)}`)
    const [[fn, args]] = Object.entries(expression) as [[string, Json]]
    const list = Array.isArray(args) ? args : [args]
    if (fn === 'Condition') return condition(String(args))
    if (fn === 'Fn::Not') return !evaluate(list[0] as Json)
    if (fn === 'Fn::And') return list.every(evaluate)
    if (fn === 'Fn::Or') return list.some(evaluate)
    if (fn === 'Fn::Equals') return scalar(list[0] as Json) === scalar(list[1] as Json)
    throw new Error(`unsupported condition function ${fn}`)
  }
  const scalar = (value: Json): string => {
    if (isObject(value) && typeof value.Ref === 'string') {
      const resolved = parameters[value.Ref]
      if (resolved === undefined) throw new Error(`unknown parameter ${value.Ref}`)
      return resolved
    }
    return String(value)
  }
  const condition = (name: string): boolean => {
    const cached = conditions.get(name)
    if (cached !== undefined) return cached
    const expression = template.Conditions?.[name]
    if (expression === undefined) throw new Error(`unknown condition ${name}`)
    const result = evaluate(expression)
    conditions.set(name, result)
    return result
  }
  const walk = (value: Json): Json | typeof NO_VALUE => {
    if (Array.isArray(value)) return value.map(walk).filter((item): item is Json => item !== NO_VALUE)
    if (!isObject(value)) return value
    if (value.Ref === 'AWS::NoValue') return NO_VALUE
    if (typeof value.Ref === 'string' && inline.includes(value.Ref)) return scalar(value)
    const branches = value['Fn::If']
    if (Array.isArray(branches))
      return walk((condition(String(branches[0])) ? branches[1] : branches[2]) as Json)
    const result: Record<string, Json> = {}
    for (const [key, item] of Object.entries(value)) {
      const walked = walk(item)
      if (walked !== NO_VALUE) result[key] = walked
    }
    return result
  }
  const kept = <T extends { Condition?: string }>(entries: Record<string, T> = {}) =>
    Object.fromEntries(
      Object.entries(entries)
        .filter(([, entry]) => entry.Condition === undefined || condition(entry.Condition))
        .map(([id, entry]) => [id, walk(entry as unknown as Json)]),
    )
  return {
    ...template,
    Resources: kept(template.Resources) as SamTemplate['Resources'],
    Outputs: kept(template.Outputs as Record<string, { Condition?: string }>) as SamTemplate['Outputs'],
  }
}
