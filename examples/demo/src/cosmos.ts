/**
 * The demo's Cosmos part: a bank send signed with the threshold ECDSA key through `@zrkit/relayer-cosmos`
 * (Alice asks, the 2-of-2 sign policy waits for Bob, the federation signs), then verified offline the way
 * a Cosmos SDK node would: decode the TxRaw, rebuild the SignDoc from its bytes with the chain id and
 * account number, verify the signature with cosmjs's Secp256k1, and check that the signer is the sender.
 * No Cosmos node runs in the demo; with `rpcEndpoint` the same relayer broadcasts and waits for the block
 * (see packages/relayer-cosmos/README.md for a public testnet).
 */
import { Secp256k1, Secp256k1Signature, ripemd160, sha256 } from '@cosmjs/crypto'
import { toBech32 } from '@cosmjs/encoding'
import { decodeTxRaw, makeSignBytes, makeSignDoc } from '@cosmjs/proto-signing'
import { coins } from '@cosmjs/stargate'
import type { ZrClient } from '@zrkit/core'
import { createCosmosRelayer } from '@zrkit/relayer-cosmos'
import { PubKey } from 'cosmjs-types/cosmos/crypto/secp256k1/keys'
import { TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx'

const note = (text: string) => console.log(`   ${text}`)

/**
 * Signs a bank send on the Osmosis testnet's chain id with the ECDSA key `keyId`, requested by `alice` and
 * approved by `bob`, and verifies it offline. Throws if it does not verify; returns the transaction hash.
 */
export async function cosmosDemo({ alice, bob, keyId }: { alice: ZrClient; bob: ZrClient; keyId: number }): Promise<string> {
  console.log('\nCosmos. The ECDSA key signs a bank send through the relayer and the 2-of-2 policy, verified offline')
  const chainId = 'osmo-test-5'
  const accountNumber = 12345n
  const cosmos = await createCosmosRelayer({ client: alice, keyId, prefix: 'osmo', chainId, gasPrice: '0.025uosmo' })
  note(`the key's Osmosis address ${cosmos.address}`)

  const to = toBech32('osmo', new Uint8Array(20).fill(1))
  const send = { typeUrl: '/cosmos.bank.v1beta1.MsgSend', value: { fromAddress: cosmos.address, toAddress: to, amount: coins(1000, 'uosmo') } }
  // Offline: account number and sequence given (with rpcEndpoint they come from the chain, and it broadcasts).
  const { requestId, actionId, status } = await cosmos.submit({ messages: [send], memo: 'zrkit demo', accountNumber, sequence: 0, gas: 100_000 })
  note(`signature request ${requestId}: ${status}, Bob approves action ${actionId}`)
  await bob.approveAction({ actionId: actionId! })
  const signed = await cosmos.resume({ requestId })

  // What a node checks: the SignDoc rebuilt from the transaction's bytes, the signature, the signer's address.
  const raw = TxRaw.decode(signed.txBytes)
  const { authInfo } = decodeTxRaw(signed.txBytes)
  const publicKey = PubKey.decode(authInfo.signerInfos[0]!.publicKey!.value).key
  const signDocHash = sha256(makeSignBytes(makeSignDoc(raw.bodyBytes, raw.authInfoBytes, chainId, accountNumber)))
  const valid = await Secp256k1.verifySignature(Secp256k1Signature.fromFixedLength(raw.signatures[0]!), signDocHash, publicKey)
  const signer = toBech32('osmo', ripemd160(sha256(publicKey)))
  note(`tx ${signed.transactionHash} (${signed.txBytes.length} bytes, fee ${authInfo.fee!.amount.map((c) => c.amount + c.denom).join()})`)
  note(`cosmjs Secp256k1.verifySignature: ${valid}; signer ${signer === cosmos.address ? 'is' : 'is NOT'} the sender`)
  if (!valid || signer !== cosmos.address) throw new Error('the Cosmos transaction does not verify')
  return signed.transactionHash
}
