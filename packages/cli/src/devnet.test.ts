/**
 * `zrkit devnet` as a user runs it (the built bin, whose children are the built bin too): one command starts the ledger server, the relay and three parties as
 * child processes; its JSON line is all a client needs (the ledger URL, the keyring, the funded user key); a
 * key is generated and a signature request fulfilled (noble verifies); SIGTERM stops everything with exit code
 * 0 and the temporary directory is gone.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { connectLedgerWs, createZrClient } from '@zrkit/core'
import { nobleVerifies, payloadFor } from '@zrkit/testkit'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { readAccountKeyFile } from './accountKey.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))
// the built package, as `npx zrkit` runs it (the test command builds it first): its devnet spawns dist/bin.js
const bin = join(root, 'packages/cli/dist/bin.js')

describe('zrkit devnet', () => {
  it('starts a whole network in one command; a client signs through it; SIGTERM stops it all (exit 0) and removes its directory', async () => {
    const child = spawn(process.execPath, [bin, 'devnet', '--parties', '3', '--threshold', '2', '--log-format', 'json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    const logs: string[] = []
    createInterface({ input: child.stderr! }).on('line', (l) => logs.push(l))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', resolve)
        void exited.then((code) => reject(new Error(`devnet exited ${code}: ${logs.join('\n')}`)))
      })
      const info = JSON.parse(line) as { ledger: string; relay: string; keyring: string; userKeyFile: string; user: string; dir: string; parties: string[] }
      expect(info.parties).toHaveLength(3)
      expect(info.keyring).toMatch(/^keyring1/)
      const user = await readAccountKeyFile(info.userKeyFile)
      expect(user.address).toBe(info.user)
      const ledger = await connectLedgerWs(info.ledger, { WebSocket: WebSocket as never })
      try {
        const client = createZrClient({ ledger, account: user })
        const { workspace } = await client.createWorkspace()
        const key = await client.createKey({ workspace, keyring: info.keyring, keyType: 'schnorr-secp256k1' })
        const payload = payloadFor('schnorr-secp256k1', 'devnet')
        const signatures = await client.sign({ keyId: key.id, payloads: [payload] })
        expect(nobleVerifies('schnorr-secp256k1', key.publicKey, payload, signatures[0]!)).toBe(true)
        const keyring = await client.getKeyring({ address: info.keyring })
        expect([...keyring.parties].sort()).toEqual([...info.parties].sort())
      } finally {
        await ledger.close()
      }
      child.kill('SIGTERM')
      expect(await exited, logs.slice(-5).join('\n')).toBe(0)
      expect(existsSync(info.dir)).toBe(false)
      const messages = logs.map((l) => (JSON.parse(l) as { msg: string }).msg)
      expect(messages).toContain('local network up')
      expect(messages.at(-1)).toBe('local network stopped')
    } finally {
      child.kill('SIGKILL')
    }
  }, 180_000)

  it('refuses a threshold above the party count before starting anything', async () => {
    const child = spawn(process.execPath, [bin, 'devnet', '--parties', '2', '--threshold', '3', '--log-format', 'json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    const err: string[] = []
    createInterface({ input: child.stderr! }).on('line', (l) => err.push(l))
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
    expect(code).toBe(1)
    expect(err.join('\n')).toContain('expected --threshold at most 2 (--parties), got 3')
  }, 60_000)
})
