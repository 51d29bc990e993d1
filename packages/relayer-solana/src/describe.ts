import { AddressLookupTableProgram, ComputeBudgetProgram, type PublicKey, SystemProgram, type TransactionInstruction, type VersionedMessage } from '@solana/web3.js'
import { ASSOCIATED_TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID, isTokenProgram } from './splToken.js'
import type { SolanaLifetime } from './wire.js'

/** At most this many instructions are spelled out in a summary (the pipeline allows 24 entries in all). */
const MAX_DESCRIBED = 14

const u32 = (d: Uint8Array, o: number) => (d.length >= o + 4 ? new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(o, true) : undefined)
const u64 = (d: Uint8Array, o: number) => (d.length >= o + 8 ? new DataView(d.buffer, d.byteOffset, d.byteLength).getBigUint64(o, true) : undefined)

/** One line a human approver can read, for the instructions the relayer itself builds; others by program and size. */
export function describeInstruction(ix: TransactionInstruction): string {
  const data = new Uint8Array(ix.data)
  const k = (i: number) => ix.keys[i]?.pubkey.toBase58() ?? '?'
  const p = ix.programId
  if (p.equals(SystemProgram.programId)) {
    const tag = u32(data, 0)
    if (tag === 2) return `system.transfer ${u64(data, 4)} lamports from ${k(0)} to ${k(1)}`
    if (tag === 0) return `system.createAccount ${k(1)} with ${u64(data, 4)} lamports and ${u64(data, 12)} bytes, paid by ${k(0)}`
    if (tag === 4) return `system.advanceNonce ${k(0)} by ${k(2)}`
    if (tag === 6) return `system.initializeNonce ${k(0)}`
    return `system instruction ${tag}`
  }
  if (isTokenProgram(p)) {
    const name = p.equals(TOKEN_2022_PROGRAM_ID) ? 'token2022' : 'token'
    if (data[0] === 12) return `${name}.transferChecked ${u64(data, 1)} base units (decimals ${data[9]}) of mint ${k(1)} from ${k(0)} to ${k(2)}, authority ${k(3)}`
    if (data[0] === 3) return `${name}.transfer ${u64(data, 1)} base units from ${k(0)} to ${k(1)}, authority ${k(2)}`
    return `${name} instruction ${data[0]}`
  }
  if (p.equals(ASSOCIATED_TOKEN_PROGRAM_ID)) {
    const what = data.length === 0 || data[0] === 0 ? 'create' : data[0] === 1 ? 'createIdempotent' : `instruction ${data[0]}`
    return `associatedToken.${what} ${k(1)} for owner ${k(2)} and mint ${k(3)}, paid by ${k(0)}`
  }
  if (p.equals(ComputeBudgetProgram.programId)) {
    if (data[0] === 2) return `computeBudget.setComputeUnitLimit ${u32(data, 1)}`
    if (data[0] === 3) return `computeBudget.setComputeUnitPrice ${u64(data, 1)} micro-lamports`
    return `computeBudget instruction ${data[0]}`
  }
  if (p.equals(AddressLookupTableProgram.programId)) {
    const tag = u32(data, 0)
    if (tag === 0) return `addressLookupTable.create ${k(0)}, authority ${k(1)}`
    if (tag === 2) return `addressLookupTable.extend ${k(0)} by ${u64(data, 4)} addresses`
    return `addressLookupTable instruction ${tag}`
  }
  return `program ${p.toBase58()}: ${ix.keys.length} accounts, ${data.length} bytes of data`
}

/**
 * The summary a relay keeps in its journal and shows approvers: fee payer, signers, version, lifetime and
 * what each instruction does.
 */
export function summarize(params: {
  message: VersionedMessage
  key: PublicKey
  lifetime: SolanaLifetime
  instructions?: readonly TransactionInstruction[]
  lookupTables?: number
}): Record<string, string> {
  const { message, key, lifetime } = params
  const signers = message.staticAccountKeys.slice(0, message.header.numRequiredSignatures)
  const summary: Record<string, string> = {
    feePayer: signers[0]!.toBase58(),
    key: key.toBase58(),
    signers: signers.map((s) => s.toBase58()).join(','),
    version: String(message.version),
    instructions: String(message.compiledInstructions.length),
  }
  if (lifetime.type === 'nonce') {
    summary.lifetime = 'nonce'
    summary.nonceAccount = lifetime.nonceAccount.toBase58()
    summary.nonce = lifetime.nonce
  } else {
    summary.lifetime = 'blockhash'
    summary.blockhash = lifetime.blockhash
    if (lifetime.lastValidBlockHeight !== undefined) summary.lastValidBlockHeight = String(lifetime.lastValidBlockHeight)
  }
  if (params.lookupTables) summary.lookupTables = String(params.lookupTables)
  const ixs = params.instructions ?? []
  ixs.slice(0, MAX_DESCRIBED).forEach((ix, i) => {
    const line = describeInstruction(ix)
    summary[`ix.${i}`] = line.length <= 1024 ? line : `${line.slice(0, 1021)}...`
  })
  if (ixs.length > MAX_DESCRIBED) summary['ix.more'] = `${ixs.length - MAX_DESCRIBED} more instructions`
  return summary
}
