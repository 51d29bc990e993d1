/**
 * Test helper: what a Cosmos SDK node checks about a signed transaction's signature, done offline with
 * verifiers independent of the relayer's own code: decode the TxRaw, rebuild the SignDoc from its body
 * and auth info with the chain id and account number the chain would use, hash it, and verify the
 * signature with cosmjs's `Secp256k1` and, as a second verifier, noble; the signer's address is
 * recomputed as bech32(prefix, ripemd160(sha256(compressed key))) with cosmjs's hashes.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { Secp256k1, Secp256k1Signature, ripemd160, sha256 } from '@cosmjs/crypto'
import { toBech32, toHex } from '@cosmjs/encoding'
import { type DecodedTxRaw, type Registry, decodeTxRaw, makeSignBytes, makeSignDoc } from '@cosmjs/proto-signing'
import { PubKey } from 'cosmjs-types/cosmos/crypto/secp256k1/keys'
import { SignMode } from 'cosmjs-types/cosmos/tx/signing/v1beta1/signing'
import { TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx'

/** secp256k1 group order, written out from SEC 2 so that the low-S check does not lean on a library. */
const ORDER = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141')

/** What the chain would use to check the signature. */
export type ChainView = { readonly chainId: string; readonly accountNumber: bigint; readonly prefix: string }

export type OfflineVerification = {
  /** Both verifiers accept the signature, S is low, and the signer info is one secp256k1 key in SIGN_MODE_DIRECT. */
  readonly valid: boolean
  readonly cosmjs: boolean
  readonly noble: boolean
  readonly lowS: boolean
  readonly problems: readonly string[]
  /** bech32(prefix, ripemd160(sha256(key))) of the key in the auth info. */
  readonly address: string
  readonly publicKey: Uint8Array
  readonly sequence: bigint
  readonly decoded: DecodedTxRaw
  /** sha256 of the rebuilt SignDoc bytes. */
  readonly signDocHash: Uint8Array
}

/** Verifies a signed TxRaw offline, as a node's ante handler would for a single-signer transaction. */
export async function verifyTxOffline(txBytes: Uint8Array, view: ChainView): Promise<OfflineVerification> {
  const raw = TxRaw.decode(txBytes)
  const decoded = decodeTxRaw(txBytes)
  const problems: string[] = []
  const info = decoded.authInfo.signerInfos[0]
  if (decoded.authInfo.signerInfos.length !== 1) problems.push(`expected 1 signer info, got ${decoded.authInfo.signerInfos.length}`)
  if (decoded.signatures.length !== 1) problems.push(`expected 1 signature, got ${decoded.signatures.length}`)
  if (info?.publicKey?.typeUrl !== '/cosmos.crypto.secp256k1.PubKey') problems.push(`signer key type ${info?.publicKey?.typeUrl}`)
  if (info?.modeInfo?.single?.mode !== SignMode.SIGN_MODE_DIRECT) problems.push('sign mode is not DIRECT')
  const publicKey = info?.publicKey ? PubKey.decode(info.publicKey.value).key : new Uint8Array()
  if (publicKey.length !== 33) problems.push(`expected a 33-byte compressed key, got ${publicKey.length} bytes`)
  const signature = decoded.signatures[0] ?? new Uint8Array()
  if (signature.length !== 64) problems.push(`expected a 64-byte r||s signature, got ${signature.length} bytes`)

  // The SignDoc as the chain rebuilds it: the transaction's own body and auth info bytes as sent, the chain's id and account number.
  const signDocHash = sha256(makeSignBytes(makeSignDoc(raw.bodyBytes, raw.authInfoBytes, view.chainId, view.accountNumber)))
  const s = signature.length === 64 ? BigInt(`0x${toHex(signature.subarray(32))}`) : 0n
  const lowS = s > 0n && s <= ORDER / 2n
  let cosmjs = false
  let noble = false
  if (signature.length === 64 && publicKey.length === 33) {
    cosmjs = await Secp256k1.verifySignature(Secp256k1Signature.fromFixedLength(signature), signDocHash, publicKey)
    noble = secp256k1.verify(signature, signDocHash, publicKey, { prehash: false, lowS: true })
  }
  if (!lowS) problems.push('high S')
  if (!cosmjs) problems.push('cosmjs Secp256k1 rejects the signature')
  if (!noble) problems.push('noble rejects the signature')
  const address = publicKey.length === 33 ? toBech32(view.prefix, ripemd160(sha256(publicKey))) : ''
  return { valid: problems.length === 0, cosmjs, noble, lowS, problems, address, publicKey, sequence: info?.sequence ?? -1n, decoded, signDocHash }
}

/** The address each message must be signed by (bank sends, staking, contract calls...), by its usual field. */
export function messageSigners(decoded: DecodedTxRaw, registry: Registry): string[] {
  return decoded.body.messages.map((any) => {
    const m = registry.decode(any) as Record<string, unknown>
    const signer = m.fromAddress ?? m.sender ?? m.delegatorAddress ?? m.signer
    if (typeof signer !== 'string') throw new Error(`no signer field in ${any.typeUrl}`)
    return signer
  })
}
