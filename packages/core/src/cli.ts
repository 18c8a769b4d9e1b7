#!/usr/bin/env node
// The `valkey-s3-cache` command. Not imported by the package's index: the library stays free of side effects.
import { main } from './cli/main'

const code = await main(process.argv.slice(2), {
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  stderrIsTTY: process.stderr.isTTY === true,
})
process.exitCode = code
// Everything the command opened is closed by now; should a socket still linger, do not hang on it.
setTimeout(() => process.exit(code), 1000).unref()
