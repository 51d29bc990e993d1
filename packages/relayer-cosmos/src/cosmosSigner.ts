import { type DerivationSegment, type RelayEvent, type Relayer, ZrError, toBytes } from '@zrkit/core'
import { encodeSecp256k1Signature } from '@cosmjs/amino'
import type { AccountData, DirectSignResponse, OfflineDirectSigner } from '@cosmjs/proto-signing'
import type { DeliverTxResponse } from '@cosmjs/stargate'
import { SignDoc, TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx'
import type { CosmosTxIntent } from './cosmosAdapter.js'

/** How a signer waits for signatures. */
export type CosmosSignerOptions = {
  /** While a request still needs approvals: `'wait'` (default) for them, or `'fail'` at once with `APPROVAL_PENDING` (its `meta.requestId` says which request). */
  approvals?: 'wait' | 'fail'
  /** Give up waiting for approvals and the keyring after this many ms with `TIMEOUT` (default 60 000; 0 = never). */
  timeoutMs?: number
  /** Give up waiting when aborted, with `ABORTED`. */
  signal?: AbortSignal
  /** Sees the progress of each transaction it signs. */
  onEvent?: (event: RelayEvent) => void
}

/** What a signer needs from its relayer. */
export type CosmosSignerContext = {
  readonly keyId: number
  readonly path?: readonly DerivationSegment[]
  /** The key's account address with the chain's bech32 prefix. */
  readonly address: string
  /** The signing key, 33 bytes compressed. */
  readonly publicKey: Uint8Array
  readonly relayer: Relayer<CosmosTxIntent, DeliverTxResponse>
}

/**
 * A cosmjs `OfflineDirectSigner` whose every signature is a zrkit signature request: so
 * `SigningStargateClient.connectWithSigner(rpcUrl, signer)` and its `sendTokens`, `signAndBroadcast`,
 * `delegateTokens`... work unchanged, under the key's sign policy. Each sign doc goes through the relay
 * pipeline: it is recorded in the relayer's journal before its request is submitted, and the key signs
 * sha256 of the SignDoc bytes; the signer returns the 64-byte low-S r||s with the 33-byte compressed key.
 * So it asks for signatures as its relayer does: a sign-transaction request, which the sign policy judges
 * by what the SignDoc does, when the ledger runs the Cosmos decoder (the relayer's `requestKind`, `'auto'`
 * by default), else a request of the payload alone.
 *
 * When a request needs approvals, the signer waits for them (up to `timeoutMs`, or until `signal`
 * aborts) or, with `approvals: 'fail'`, throws `APPROVAL_PENDING` at once. Either way the request stays
 * on the ledger: finish it later with `cosmos.resume({ requestId })` (it broadcasts the transaction), or
 * withdraw it with `client.revokeAction({ actionId })`. Do not simply retry: that would be a second
 * request for a second transaction with the same sequence.
 *
 * @example
 * ```ts
 * import { SigningStargateClient, GasPrice } from '@cosmjs/stargate'
 * import { createCosmosRelayer } from '@zrkit/relayer-cosmos'
 *
 * const cosmos = await createCosmosRelayer({ client: alice, keyId, prefix: 'osmo', chainId: 'osmo-test-5' })
 * const stargate = await SigningStargateClient.connectWithSigner(rpcUrl, cosmos.signer, { gasPrice: GasPrice.fromString('0.025uosmo') })
 * const result = await stargate.sendTokens(cosmos.address, 'osmo1...', [{ denom: 'uosmo', amount: '1000' }], 'auto', 'hello')
 * ```
 */
export function cosmosSigner(context: CosmosSignerContext, options: CosmosSignerOptions = {}): OfflineDirectSigner {
  const { keyId, path, address, publicKey, relayer } = context
  const approvals = options.approvals ?? 'wait'
  if (approvals !== 'wait' && approvals !== 'fail') throw new ZrError('INVALID_INPUT', 'Invalid signer options.', { details: `approvals: expected 'wait' or 'fail', got ${JSON.stringify(approvals)}` })
  const wait = {
    approvals,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}),
  }
  const account: AccountData = Object.freeze({ address, algo: 'secp256k1', pubkey: publicKey })

  return Object.freeze({
    getAccounts: async () => [account],
    async signDirect(signerAddress: string, signDoc: SignDoc): Promise<DirectSignResponse> {
      if (signerAddress !== address) {
        throw new ZrError('INVALID_ADDRESS', 'This signer signs for another address.', { details: `expected the signer's address ${address}, got ${JSON.stringify(signerAddress)}`, context: { expected: address, actual: signerAddress } })
      }
      const { requestId } = await relayer.submit({ keyId, ...(path ? { path } : {}), intent: { signDoc } })
      const signed = await relayer.sign({ requestId, ...wait })
      const txRaw = TxRaw.decode(toBytes(signed.signedTx, 'signed transaction'))
      return {
        signed: SignDoc.fromPartial({ bodyBytes: txRaw.bodyBytes, authInfoBytes: txRaw.authInfoBytes, chainId: signDoc.chainId, accountNumber: signDoc.accountNumber }),
        signature: encodeSecp256k1Signature(publicKey, txRaw.signatures[0]!),
      }
    },
  })
}
