// @ts-check
// Names the two entry points `core` and `middy` (TypeDoc would call them `core/src` and `middy/src`),
// which become the URL paths /api/core/… and /api/middy/….
import { Converter } from 'typedoc'

const names = { 'core/src': 'core', 'middy/src': 'middy' }

/** @param {import('typedoc').Application} app */
export const load = (app) => {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.children ?? []) {
      const name = names[/** @type {keyof typeof names} */ (module.name)]
      if (name) module.name = name
    }
  })
}
