/**
 * The zrkit network demo: the same system as `demo.ts`, with every part in its own OS process, as it runs
 * across machines. One call (`startLocalNetwork` from `@zrkit/cli`, also `zrkit devnet`) starts the ledger
 * server, the party relay and three MPC parties (2 of 3) as child processes; this process is only a client.
 * Run it with `npx -y pnpm@10 demo:network` from the repository root.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { startLocalNetwork } from '@zrkit/cli'
import { type KeyType, connectLedgerWs, createZrClient, toHex } from '@zrkit/core'
import { WebSocket } from 'ws'

const step = (n: number, text: string) => console.log(`\n${n}. ${text}`)
const note = (text: string) => console.log(`   ${text}`)

/** Checks a signature with noble, independently of zrkit. */
function verifies(keyType: KeyType, publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean {
  if (keyType === 'eddsa-ed25519') return ed25519.verify(signature, digest, publicKey)
  if (keyType === 'schnorr-secp256k1') return schnorr.verify(signature, digest, publicKey.subarray(1)) // x-only key
  return secp256k1.verify(signature.subarray(0, 64), digest, publicKey, { prehash: false, format: 'compact' })
}

step(1, 'Start the network: ledger server, relay and three parties (2 of 3), each its own process')
const net = await startLocalNetwork({ parties: 3, threshold: 2 })
try {
  note(`ledger   ${net.ledgerUrl}   (pid ${net.ledger.pid})`)
  note(`relay    ${net.relayUrl}   (pid ${net.relay.pid})`)
  for (const p of net.parties) note(`${p.name}  ${p.address}   (pid ${p.pid})`)
  note(`keyring  ${net.keyring}`)
  note(`files    ${net.dir} (account keys, encrypted shares, one log per process)`)

  step(2, 'Connect to the ledger server over WebSocket, as a dApp does')
  const ledger = await connectLedgerWs(net.ledgerUrl, { WebSocket: WebSocket as never })
  const client = createZrClient({ ledger, account: net.user })
  const { workspace } = await client.createWorkspace()
  note(`user ${net.user.address} created ${workspace}`)

  step(3, 'Generate a key of every key type: the three parties run a distributed key generation over the relay')
  const keys = new Map<KeyType, { id: number; publicKey: Uint8Array }>()
  for (const keyType of ['ecdsa-secp256k1', 'eddsa-ed25519', 'schnorr-secp256k1', 'bitcoin-secp256k1'] as const) {
    const started = performance.now()
    const key = await client.createKey({ workspace, keyring: net.keyring, keyType })
    keys.set(keyType, key)
    note(`${keyType.padEnd(18)} key ${key.id}  ${toHex(key.publicKey).slice(0, 24)}...  ${(performance.now() - started).toFixed(0)} ms`)
  }

  const signAll = async (label: string) => {
    for (const [keyType, key] of keys) {
      const digest = sha256(new TextEncoder().encode(`${label} ${keyType}`))
      const started = performance.now()
      const [signature] = await client.sign({ keyId: key.id, payloads: [digest] })
      const ok = verifies(keyType, key.publicKey, digest, signature!)
      note(`${keyType.padEnd(18)} signed in ${(performance.now() - started).toFixed(0).padStart(4)} ms, noble verifies: ${ok}`)
      if (!ok) throw new Error(`the ${keyType} signature does not verify`)
    }
  }

  step(4, 'Sign with each key: two of the three parties sign, each posts its response to the ledger')
  await signAll('all up')

  step(5, `Kill ${net.parties[0]!.name} (SIGKILL): the other two still sign`)
  await net.parties[0]!.kill('SIGKILL')
  note('(the relay tells the others it left; a signing that waits for it gives up after 2 s away, later ones do not wait)')
  await signAll('one down')

  step(6, `Restart ${net.parties[0]!.name} from its encrypted shares, and stop ${net.parties[1]!.name}: the restarted party signs`)
  await net.parties[0]!.restart()
  await net.parties[1]!.kill('SIGTERM')
  await signAll('restarted')
  await net.parties[1]!.restart()

  const s = await ledger.query('status', {})
  step(7, `Ledger height ${s.height}, ${s.lastEventSeq} events; stopping every process with SIGTERM`)
  await ledger.close()
} finally {
  const codes = await net.stop()
  note(`exit codes: ${Object.entries(codes).map(([name, code]) => `${name} ${code}`).join(', ')}`)
}
