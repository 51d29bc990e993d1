import { spawn } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as v8 from 'node:v8'
import * as vm from 'node:vm'
import Database from 'better-sqlite3'
import { sha256 } from '@noble/hashes/sha2.js'
import { type Setup, type SetupOptions, createTestKey, expectZrError, scaled, schemeSign, setup } from '@zrkit/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createEmbeddedLedger, type EmbeddedLedger } from '../embeddedLedger.js'
import type { QueryKind, QueryParams } from '../queries.js'
import { verifyLedgerDatabase } from '../verifyLedgerDatabase.js'
import type { Genesis } from '../types.js'
import { fileStore, LOG_FILE_NAME } from './fileStore.js'
import type { LedgerDatabase } from './LedgerStore.js'
import { memoryStore } from './memoryStore.js'
import { DATABASE_FILE_NAME, sqliteStore, sqliteStoreWithTestHooks } from './sqliteStore.js'

/**
 * The SQLite store against the behaviour a ledger operator relies on: everything acknowledged is there
 * after a restart, the restart does not replay history, every query answers exactly as a ledger replayed
 * from the same log in memory does, one process at a time, a fileStore directory imported once, and a
 * verification that catches a database that no longer matches its log.
 */

let dir: string
const ledgers: EmbeddedLedger[] = []
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zrkit-sqlite-'))
})
afterEach(async () => {
  for (const l of ledgers.splice(0)) await l.close().catch(() => {})
  await fs.rm(dir, { recursive: true, force: true })
})

async function world(options: SetupOptions): Promise<Setup> {
  const s = await setup({ parties: 1, ...options })
  ledgers.push(s.ledger)
  return s
}

/**
 * A history with every kind of record: keys, sign requests fulfilled, pending, expired and rejected by
 * the policy, an approval, a second workspace, transfers.
 */
async function history(s: Setup, requests: number): Promise<void> {
  const key = await createTestKey(s, 'ecdsa-secp256k1')
  const bob = await s.newActor('bob', 50_000n)
  await s.owner.client.addWorkspaceOwner({ workspace: s.workspace, owner: bob.address })
  for (let i = 0; i < requests; i++) {
    const payload = sha256(new TextEncoder().encode(`request ${i}`))
    const ttlMs = i % 7 === 3 ? 1_000 : undefined
    const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads: [payload], ...(ttlMs ? { ttlMs } : {}) })
    if (i % 5 === 1) continue // stays pending
    if (ttlMs) {
      s.clock.advance(2_000)
      await s.ledger.tick()
      continue
    }
    await s.parties[0]!.client.fulfilSignRequest({ requestId, result: { signatures: [schemeSign(key, payload)] } })
  }
  await s.owner.client.createWorkspace({ additionalOwners: [bob.address] })
  await s.owner.client.send({ to: s.outsider.address, amount: 1234n })
}

/** Every list query, walked page by page with a small limit, and the point queries of what they list. */
async function snapshot(ledger: EmbeddedLedger, s: Setup): Promise<unknown[]> {
  const out: unknown[] = [await ledger.query('status', {})]
  const lists: [QueryKind, Record<string, unknown>][] = [
    ['workspaces', {}],
    ['workspaces', { owner: s.owner.address }],
    ['keyrings', { party: s.parties[0]!.address }],
    ['policies', {}],
    ['actions', { workspace: s.workspace }],
    ['actions', { participant: s.owner.address, status: 'approved' }],
    ['keyRequests', { keyring: s.keyring }],
    ['keys', { workspace: s.workspace }],
    ['signRequests', {}],
    ['signRequests', { status: 'pending' }],
    ['signRequests', { status: 'rejected', keyId: 1 }],
    ['signRequests', { creator: s.owner.address, workspace: s.workspace, keyring: s.keyring }],
    ['events', {}],
    ['events', { filter: { types: ['signRequest.fulfilled'] } }],
  ]
  for (const [kind, params] of lists) {
    let cursor: string | undefined
    do {
      const page = (await ledger.query(kind, { ...params, limit: 7, ...(cursor ? { cursor } : {}) } as QueryParams<typeof kind>)) as { items: unknown[]; nextCursor?: string }
      out.push(kind, params, page)
      cursor = page.nextCursor
    } while (cursor)
  }
  for (const address of s.addresses()) out.push(await ledger.query('account', { address }))
  for (let id = 1; id <= 40; id++) out.push(await ledger.query('signRequest', { id }), await ledger.query('action', { id }))
  return out
}

/** A memory ledger replayed from the database's own log. */
async function replayOfLog(db: LedgerDatabase, genesis?: Genesis): Promise<EmbeddedLedger> {
  await db.open()
  const entries = [...db.log(0)]
  await db.close()
  const mem = memoryStore()
  await mem.append(entries)
  const replica = await createEmbeddedLedger({ store: mem, ...(genesis ? { genesis } : {}), autoTick: false })
  ledgers.push(replica)
  return replica
}

const raw = () => new Database(path.join(dir, DATABASE_FILE_NAME))

describe('sqliteStore', () => {
  it('keeps every record across a restart, resumes without replay, and goes on from where it stopped', async () => {
    const s = await world({ store: sqliteStore(dir) })
    await history(s, 40)
    const before = { hash: s.ledger.stateHash(), height: s.ledger.height, answers: await snapshot(s.ledger, s) }
    await s.ledger.close()

    // Damage an early log entry: a restart that replayed the log would now fail. This one does not read it.
    const db = raw()
    db.prepare(`UPDATE log SET body = '{"tick":true,"x":1}' WHERE height = 3`).run()
    db.close()

    const again = await createEmbeddedLedger({ store: sqliteStore(dir), now: s.clock.now, autoTick: false })
    ledgers.push(again)
    expect(again.height).toBe(before.height)
    expect(again.stateHash()).toBe(before.hash)
    expect(await snapshot(again, s)).toEqual(before.answers)

    // It goes on: sequences, counters and event numbers continue where they stopped.
    const events: number[] = []
    again.subscribe({}, (e) => events.push(e.seq), { fromSeq: 1 })
    const status = await again.query('status', {})
    const { createZrClient } = await import('../../client/createZrClient.js')
    const owner = createZrClient({ ledger: again, account: s.owner.account })
    const { requestId, receipt } = await owner.requestSignature({ keyId: 1, payloads: [sha256(new Uint8Array([9]))] })
    expect(requestId).toBe(41)
    expect(receipt.events[0]!.seq).toBe(status.lastEventSeq + 1)
    await new Promise((r) => setTimeout(r, 10))
    expect(events.length).toBe(status.lastEventSeq + receipt.events.length) // every event from 1 on, then the new request's
    expect(events).toEqual(Array.from({ length: events.length }, (_, i) => i + 1))

    // The damaged log entry is found by the verification, not by the restart.
    await again.close()
    const report = await verifyLedgerDatabase(sqliteStore(dir))
    expect(report.ok).toBe(false)
    expect(report.problem).toContain('the log does not replay: Ledger log entry does not apply. height 4')
  })

  it('answers every query exactly as a ledger replayed in memory from the same log', async () => {
    const s = await world({ store: sqliteStore(dir) })
    await history(s, 60)
    const answers = await snapshot(s.ledger, s)
    const hash = s.ledger.stateHash()
    await s.ledger.close()
    const replica = await replayOfLog(sqliteStore(dir))
    expect(replica.stateHash()).toBe(hash)
    expect(await snapshot(replica, s)).toEqual(answers)
  })

  it('expires a request that was open when the ledger stopped (the open-request index is restored)', async () => {
    const s = await world({ store: sqliteStore(dir) })
    const key = await createTestKey(s, 'eddsa-ed25519')
    const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads: [new Uint8Array(32)], ttlMs: 5_000 })
    await s.ledger.close()
    const again = await createEmbeddedLedger({ store: sqliteStore(dir), now: s.clock.now, autoTick: false })
    ledgers.push(again)
    expect(await again.tick()).toEqual([]) // not due yet
    s.clock.advance(6_000)
    expect((await again.tick()).map((e) => e.type)).toContain('signRequest.rejected')
    expect((await again.query('signRequest', { id: requestId }))!.status).toBe('rejected')
  })

  it('verifies a database against its log, and finds a record changed behind its back', async () => {
    const s = await world({ store: sqliteStore(dir) })
    await history(s, 12)
    await s.ledger.close()
    const ok = await verifyLedgerDatabase(sqliteStore(dir))
    expect(ok).toMatchObject({ ok: true, height: s.ledger.height })
    expect(ok.databaseHash).toBe(ok.replayedHash)

    const db = raw()
    const row = db.prepare(`SELECT id, json FROM records WHERE tbl = 'accounts' AND id = ?`).get(s.outsider.address) as { id: string; json: string }
    db.prepare(`UPDATE records SET json = ? WHERE tbl = 'accounts' AND id = ?`).run(row.json.replace(/"\$bigint":"\d+"/, '"$bigint":"999999999"'), row.id)
    db.close()
    const bad = await verifyLedgerDatabase(sqliteStore(dir))
    expect(bad.ok).toBe(false)
    expect(bad.databaseHash).not.toBe(bad.replayedHash)
    expect(bad.problem).toBe('the records in the database differ from a replay of its log')
  })

  it('imports a fileStore directory once, with its state hash checked, and moves the old log aside', async () => {
    const s = await world({ store: fileStore(dir) })
    await history(s, 20)
    const before = { hash: s.ledger.stateHash(), height: s.ledger.height, answers: await snapshot(s.ledger, s) }
    await s.ledger.close()

    const imported = await createEmbeddedLedger({ store: sqliteStore(dir), autoTick: false, now: s.clock.now })
    ledgers.push(imported)
    expect(imported.stateHash()).toBe(before.hash)
    expect(imported.height).toBe(before.height)
    expect(await snapshot(imported, s)).toEqual(before.answers)
    await imported.close()
    await expect(fs.access(path.join(dir, LOG_FILE_NAME))).rejects.toMatchObject({ code: 'ENOENT' })
    await fs.access(path.join(dir, `${LOG_FILE_NAME}.imported`))

    // Opened again: the database, not a second import.
    const again = await createEmbeddedLedger({ store: sqliteStore(dir), autoTick: false, now: s.clock.now })
    ledgers.push(again)
    expect(again.stateHash()).toBe(before.hash)
    expect((await verifyLedgerDatabase(sqliteStore(dir)).catch((e: unknown) => e)) as { code?: string }).toMatchObject({ code: 'LEDGER_UNAVAILABLE' }) // open in `again`
  })

  it('lets one ledger at a time use a database: a second one, in this process or another, is LEDGER_UNAVAILABLE', async () => {
    const s = await world({ store: sqliteStore(dir) })
    const err = await expectZrError(createEmbeddedLedger({ store: sqliteStore(dir) }), 'LEDGER_UNAVAILABLE')
    expect(err.details).toContain('is open in another ledger')
    const other = await openInChild(dir, 0)
    expect(other.result).toBe('LEDGER_UNAVAILABLE')
    // still serving, and after it closes another process opens it
    await s.owner.client.send({ to: s.outsider.address, amount: 1n })
    const height = s.ledger.height
    await s.ledger.close()
    const next = await openInChild(dir, 0)
    expect(next.result).toBe(`opened ${height}`)
  })

  it('two processes restarting on one database at the same moment: exactly one opens it', async () => {
    const s = await world({ store: sqliteStore(dir) })
    await s.owner.client.send({ to: s.outsider.address, amount: 1n })
    const height = s.ledger.height
    await s.ledger.close()
    for (let round = 0; round < 3; round++) {
      const results = (await Promise.all([openInChild(dir, 800), openInChild(dir, 800)])).map((r) => r.result).sort()
      expect(results).toEqual(['LEDGER_UNAVAILABLE', `opened ${height}`])
    }
  })

  it('stops on a failed write (a full disk): the message is refused, nothing acknowledged is lost, reopening resumes', async () => {
    let connection: Database.Database | undefined
    const s = await world({ store: sqliteStoreWithTestHooks(dir, {}, { opened: (db) => (connection = db) }) })
    await s.owner.client.send({ to: s.outsider.address, amount: 5n })
    const acknowledged = { height: s.ledger.height, hash: s.ledger.stateHash() }
    // the database may not grow by another page: the next write fails as on a full disk (SQLITE_FULL)
    const pages = (connection!.pragma('page_count', { simple: true }) as number)
    connection!.pragma(`max_page_count = ${pages}`)
    let failed: { code?: string } | undefined
    for (let i = 0; !failed && i < 500; i++) {
      failed = (await s.owner.client.send({ to: s.outsider.address, amount: 1n }).then(
        () => undefined,
        (e: unknown) => e,
      )) as { code?: string } | undefined
      if (!failed) Object.assign(acknowledged, { height: s.ledger.height, hash: s.ledger.stateHash() })
    }
    expect(failed).toMatchObject({ code: 'LEDGER_UNAVAILABLE' })
    expect((failed as { details?: string }).details).toContain('SQLITE_FULL')
    // stopped: every later call is refused, nothing half-applied is served
    await expectZrError(s.owner.client.send({ to: s.outsider.address, amount: 1n }), 'LEDGER_UNAVAILABLE')
    await s.ledger.close()
    const again = await createEmbeddedLedger({ store: sqliteStore(dir), autoTick: false, now: s.clock.now })
    ledgers.push(again)
    expect(again.height).toBe(acknowledged.height)
    expect(again.stateHash()).toBe(acknowledged.hash) // the refused message left nothing behind
    expect((await verifyLedgerDatabase(sqliteStore(dir)).catch((e: unknown) => e)) as { code?: string }).toMatchObject({ code: 'LEDGER_UNAVAILABLE' })
    await again.close()
    expect(await verifyLedgerDatabase(sqliteStore(dir))).toMatchObject({ ok: true, height: acknowledged.height })
  })

  it('refuses bad configuration and damaged files with typed errors', async () => {
    expect(() => sqliteStore('')).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
    expect(() => sqliteStore(dir, { synchronous: 'sometimes' as never })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', details: 'expected "full" or "normal", got "sometimes"' }))
    expect(() => sqliteStore(dir, { cacheRecords: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }))
    await expectZrError(createEmbeddedLedger({ store: sqliteStore(dir) }), 'INVALID_CONFIG') // new and no genesis

    const s = await world({ store: sqliteStore(dir), chainId: 'chain-a' })
    await s.ledger.close()
    const other = await expectZrError(createEmbeddedLedger({ store: sqliteStore(dir), genesis: { chainId: 'chain-b' } }), 'INVALID_CONFIG')
    expect(other.details).toContain('the store holds chain "chain-a"')

    const db = raw()
    db.prepare(`UPDATE meta SET v = '99' WHERE k = 'schema'`).run()
    db.close()
    const layout = await expectZrError(createEmbeddedLedger({ store: sqliteStore(dir) }), 'INVALID_CONFIG')
    expect(layout.details).toContain('has version 99')

    // what is not a ledger database, given to the verification
    for (const notADatabase of [null, undefined, 'dir', 7, {}, memoryStore(), fileStore(dir)]) {
      await expectZrError(verifyLedgerDatabase(notADatabase as never), 'INVALID_CONFIG')
    }
    await expectZrError(verifyLedgerDatabase(sqliteStore(dir), { transactionDecoders: 'evm' as never }), 'INVALID_CONFIG')
    const empty = path.join(dir, 'empty')
    await expectZrError(verifyLedgerDatabase(sqliteStore(empty)), 'INVALID_CONFIG')

    const junk = path.join(dir, 'junk')
    await fs.mkdir(junk)
    await fs.writeFile(path.join(junk, DATABASE_FILE_NAME), 'this is not a database, but a text file that is long enough to look like one '.repeat(20))
    await expectZrError(createEmbeddedLedger({ store: sqliteStore(junk), genesis: { chainId: 'x' } }), 'STORE_CORRUPT')
  })
})

describe('sqliteStore over a long run', () => {
  /**
   * Memory: the ledger holds hot state only. Sign requests are made and fulfilled with 16 in flight; the
   * heap is sampled after a forced collection once the record cache has filled (warm) and then at every
   * tenth of the run. Bound stated in the README: the heap grows by less than 4 MB over the run (records,
   * events and the log stay on disk), whatever the number of requests. The same measurement on the
   * memory store grows past it within 1,500 requests (about 5 KB a request), so the bound is one that a
   * ledger keeping its history in memory cannot meet.
   */
  const BOUND = 4 * 1024 * 1024
  async function heapGrowth(options: SetupOptions, requests: number, warm: number): Promise<{ growth: number; samples: number[] }> {
    const s = await world({ ...options, parties: 1 })
    const key = await createTestKey(s, 'ecdsa-secp256k1')
    const samples: number[] = []
    let next = 0
    const worker = async () => {
      while (next < requests) {
        const i = next++
        const payload = sha256(new TextEncoder().encode(`load ${i}`))
        const { requestId } = await s.owner.client.requestSignature({ keyId: key.keyId, payloads: [payload] })
        await s.parties[0]!.client.fulfilSignRequest({ requestId, result: { signatures: [schemeSign(key, payload)] } })
        if (i === warm || (i > warm && (i - warm) % Math.floor((requests - warm) / 10) === 0)) samples.push(heapUsed())
      }
    }
    await Promise.all(Array.from({ length: 16 }, worker))
    samples.push(heapUsed())
    expect((await s.ledger.query('signRequests', { status: 'fulfilled', limit: 1 })).items.length).toBe(1)
    expect((await s.ledger.query('status', {})).height).toBeGreaterThan(2 * requests)
    return { growth: Math.max(...samples) - samples[0]!, samples }
  }

  it(`holds hot state only: the heap grows by less than 4 MB over ${scaled(3000, 12000)} sign requests`, async () => {
    // warm: the record cache (4096 records, three new ones a request) is full after about 1,400 requests
    const [requests, warm] = [scaled(3000, 12000), 1500]
    const sqlite = await heapGrowth({ store: sqliteStore(dir) }, requests, warm)
    const memory = await heapGrowth({}, 2000, 500)
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`
    console.log(`heap growth after warm-up: sqlite ${mb(sqlite.growth)} over ${requests - warm} requests; memory store ${mb(memory.growth)} over 1500`)
    expect(sqlite.growth).toBeLessThan(BOUND)
    expect(memory.growth).toBeGreaterThan(BOUND)

    // Restart after the long run: no replay, the same state, and it answers at once.
    const hash = ledgers[0]!.stateHash()
    await ledgers[0]!.close()
    const started = performance.now()
    const again = await createEmbeddedLedger({ store: sqliteStore(dir), autoTick: false })
    const openMs = performance.now() - started
    ledgers.push(again)
    console.log(`restart after ${again.height} log entries: ${openMs.toFixed(0)} ms`)
    expect(again.stateHash()).toBe(hash)
  }, 600_000)
})

/** Heap in use after a full collection. */
function heapUsed(): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}
v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

const coreRoot = fileURLToPath(new URL('../../..', import.meta.url))

/** Opens the store in another process (built package), holds it `holdMs`, and says what happened. */
function openInChild(storeDir: string, holdMs: number): Promise<{ result: string }> {
  const code = `
    import { createEmbeddedLedger } from '@zrkit/core'
    import { sqliteStore } from '@zrkit/core/node'
    try {
      const l = await createEmbeddedLedger({ store: sqliteStore(${JSON.stringify(storeDir)}), autoTick: false })
      console.log('opened ' + l.height)
      await new Promise((r) => setTimeout(r, ${holdMs}))
      await l.close()
    } catch (e) { console.log(e.code ?? String(e)) }`
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: coreRoot, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (b: Buffer) => (out += b.toString()))
    child.on('error', reject)
    child.on('exit', () => resolve({ result: out.trim() }))
  })
}
