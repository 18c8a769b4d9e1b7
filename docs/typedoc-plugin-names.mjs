// @ts-check
// Names the entry points `core`, `middy` and `otel` (TypeDoc would call them `core/src`, …), which become
// the URL paths /api/core/…, /api/middy/… and /api/otel/….
import { Converter } from 'typedoc'

const names = { 'core/src': 'core', 'middy/src': 'middy', 'otel/src': 'otel' }

/** @param {import('typedoc').Application} app */
export const load = (app) => {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.children ?? []) {
      const name = names[/** @type {keyof typeof names} */ (module.name)]
      if (name) module.name = name
    }
  })
}
