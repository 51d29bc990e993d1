#!/usr/bin/env node
import { commands } from './commands/index.js'
import { runCli } from './runCli.js'

// SIGTERM / SIGINT abort the running command, which drains its in-flight work; a second signal exits at once.
const stop = new AbortController()
let signals = 0
const onSignal = () => {
  if (++signals > 1) process.exit(130)
  stop.abort()
}
process.on('SIGTERM', onSignal)
process.on('SIGINT', onSignal)

const code = await runCli(process.argv.slice(2), commands, {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
  env: process.env,
  isTTY: process.stderr.isTTY === true,
  signal: stop.signal,
})
process.exitCode = code
process.off('SIGTERM', onSignal)
process.off('SIGINT', onSignal)
