import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type RelayRecord, isZrError } from '@zrkit/core'
import { fileRelayJournal } from '@zrkit/core/node'
import { afterAll, describe, expect, it } from 'vitest'
import { readDirectoryLock } from '../fs/directoryLock.js'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})
async function tempDir() {
  const d = await mkdtemp(join(tmpdir(), 'zrkit-relay-journal-'))
  dirs.push(d)
  return join(d, 'journal')
}

const record = (id: string, status: RelayRecord['status'] = 'prepared'): RelayRecord => ({
  id,
  chain: 'eip155:31337',
  ledgerChainId: 'zrkit-test',
  keyId: 3,
  path: [0, 'savings'],
  unsignedTx: '0x02ef',
  payloads: [new Uint8Array(32).fill(7)],
  summary: { from: '0xabc', nonce: '4' },
  status,
  createdAt: 1,
  updatedAt: 2,
})

async function errorOf(p: Promise<unknown>) {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  )
}

describe('fileRelayJournal', () => {
  it('keeps records across instances, bytes intact, one file each, no temporary files left', async () => {
    const dir = await tempDir()
    const a = fileRelayJournal(dir)
    expect(await a.list()).toEqual([])
    expect(await a.get('00'.repeat(16))).toBeUndefined()
    await a.put(record('11'.repeat(16)))
    await a.put(record('22'.repeat(16)))
    await a.put(record('11'.repeat(16), 'requested'))

    const b = fileRelayJournal(dir)
    expect(await b.get('11'.repeat(16))).toEqual(record('11'.repeat(16), 'requested'))
    expect((await b.list()).map((r) => r.id).sort()).toEqual(['11'.repeat(16), '22'.repeat(16)])
    expect((await b.get('22'.repeat(16)))!.payloads[0]).toEqual(new Uint8Array(32).fill(7))
    await Promise.all([a.close(), b.close()]) // releases the directory's lock, dir/LOCK
    expect((await readdir(dir)).sort()).toEqual([`relay-${'11'.repeat(16)}.json`, `relay-${'22'.repeat(16)}.json`])
    expect((await stat(join(dir, `relay-${'11'.repeat(16)}.json`))).mode & 0o777).toBe(0o600)
  })

  it('refuses ids that are not 32 hex digits (no path tricks) and reports unreadable files as STORE_CORRUPT', async () => {
    const dir = await tempDir()
    const j = fileRelayJournal(dir)
    for (const id of ['../../etc/passwd', 'AB'.repeat(16), '1'.repeat(31), '']) {
      const e = await errorOf(j.put(record(id)))
      expect(isZrError(e, 'INVALID_INPUT'), String(e)).toBe(true)
    }
    await j.put(record('33'.repeat(16)))
    await writeFile(join(dir, `relay-${'44'.repeat(16)}.json`), '{"id":"4444', 'utf8')
    const corrupt = await errorOf(j.list())
    expect(isZrError(corrupt, 'STORE_CORRUPT')).toBe(true)
    // A record copied under another record's file name is not taken for that record.
    await writeFile(join(dir, `relay-${'44'.repeat(16)}.json`), await readFile(join(dir, `relay-${'33'.repeat(16)}.json`), 'utf8'))
    expect(isZrError(await errorOf(j.get('44'.repeat(16))), 'STORE_CORRUPT')).toBe(true)
    // Stray files that are not records are ignored.
    await rm(join(dir, `relay-${'44'.repeat(16)}.json`))
    await writeFile(join(dir, '.tmp-leftover'), 'half a record')
    expect((await j.list()).map((r) => r.id)).toEqual(['33'.repeat(16)])
    expect(() => fileRelayJournal('')).toThrow(/needs a directory/)
  })

  it('holds its directory\'s lock from the first call until close; journals of one process share it', async () => {
    const dir = await tempDir()
    const pids = async () => (await readDirectoryLock(dir)).map((h) => h.pid)
    const a = fileRelayJournal(dir)
    expect(await a.get('55'.repeat(16))).toBeUndefined()
    expect(await pids()).toEqual([process.pid])
    const b = fileRelayJournal(dir)
    await b.put(record('55'.repeat(16)))
    expect(await pids()).toEqual([process.pid, process.pid])

    await a.close()
    await a.close() // idempotent
    for (const call of [a.get('55'.repeat(16)), a.put(record('66'.repeat(16))), a.list()]) {
      expect(isZrError(await errorOf(call), 'LEDGER_CLOSED')).toBe(true)
    }
    expect(await pids()).toEqual([process.pid]) // still held by b
    expect((await b.list()).map((r) => r.id)).toEqual(['55'.repeat(16)])
    await b.close()
    expect(await readdir(dir)).toEqual([`relay-${'55'.repeat(16)}.json`]) // the lock is gone
  })
})
