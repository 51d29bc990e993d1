import type { Account } from '../account/Account.js'
import { describeValue } from '../errors/describeValue.js'
import { ZrError } from '../errors/ZrError.js'
import type { Ledger } from '../ledger/Ledger.js'
import * as bank from './actions/bank.js'
import * as keyRequest from './actions/keyRequest.js'
import * as keyring from './actions/keyring.js'
import * as policy from './actions/policy.js'
import * as signRequest from './actions/signRequest.js'
import * as workspace from './actions/workspace.js'
import { requireParams } from './requireParams.js'
import { type ClientBase, sendMessage } from './sendMessage.js'
import { watchEvents } from './wait.js'

const actions = { ...bank, ...workspace, ...keyring, ...policy, ...keyRequest, ...signRequest, sendMessage, watchEvents }
type Actions = typeof actions

type Bound<F> = F extends (client: ClientBase, ...rest: infer R) => infer Out ? (...rest: R) => Out : never

/** A client: the ledger, the account it acts as, and every action bound to both. */
export type ZrClient = ClientBase & { readonly chainId: string } & { readonly [K in keyof Actions]: Bound<Actions[K]> }

/** Parameters of {@link createZrClient}. */
export type CreateZrClientParameters = {
  /** The ledger to talk to: the embedded one, or any other {@link Ledger}. */
  ledger: Ledger
  /** The account that signs messages. Omit it for a read-only client. */
  account?: Account
}

/**
 * Creates a client: a plain object with every action bound to the ledger and account. Each action is
 * also a standalone function taking the client first, for tree-shaking. Throws `INVALID_CONFIG` unless
 * `ledger` is a Ledger (query, submit, subscribe) and `account`, when given, an Account.
 *
 * @example
 * ```ts
 * import { createEmbeddedLedger, createZrClient, generateAccount } from '@zrkit/core'
 *
 * const account = generateAccount()
 * const ledger = await createEmbeddedLedger({ genesis: { chainId: 'zrkit-dev', balances: [{ address: account.address, amount: 10_000n }] } })
 * const client = createZrClient({ ledger, account })
 * const { workspace } = await client.createWorkspace()
 * ```
 */
export function createZrClient(parameters: CreateZrClientParameters): ZrClient {
  const { ledger, account } = requireParams(parameters, 'createZrClient')
  if (ledger === null || typeof ledger !== 'object' || typeof ledger.query !== 'function' || typeof ledger.submit !== 'function' || typeof ledger.subscribe !== 'function') {
    throw new ZrError('INVALID_CONFIG', 'Invalid ledger.', { details: `expected a Ledger (query, submit, subscribe), got ${describeValue(ledger)}` })
  }
  if (account !== undefined && (account === null || typeof account !== 'object' || typeof account.address !== 'string' || typeof account.sign !== 'function')) {
    throw new ZrError('INVALID_CONFIG', 'Invalid account.', { details: `expected an Account (address, publicKey, sign) or none, got ${describeValue(account)}` })
  }
  const base: ClientBase & { chainId: string } = { ledger, chainId: ledger.chainId, ...(account ? { account } : {}) }
  const client = { ...base } as Record<string, unknown>
  for (const [name, fn] of Object.entries(actions)) client[name] = (...args: unknown[]) => (fn as (c: ClientBase, ...a: unknown[]) => unknown)(base, ...args)
  return Object.freeze(client) as ZrClient
}
