/**
 * The demo's EVM part: it starts a local anvil (the EVM node from npm `@foundry-rs/anvil`), funds the
 * ledger key's Ethereum address there, and sends a transaction with `@zrkit/relayer-evm`: Alice asks,
 * the sign policy waits for Bob, the keyring signs, the relayer assembles, broadcasts and confirms.
 * The same code runs against Sepolia or any other viem chain: only the public client changes.
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Action, ZrClient } from '@zrkit/core'
import { createEvmRelayer } from '@zrkit/relayer-evm'
import { createPublicClient, createWalletClient, formatEther, http, parseEther } from 'viem'
import { foundry } from 'viem/chains'

const note = (text: string) => console.log(`   ${text}`)

/** Starts anvil on a free port; returns its URL and a stop function. */
async function startAnvil(): Promise<{ url: string; stop(): void }> {
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch as 'x64' | 'arm64']
  const wrapper = createRequire(import.meta.url).resolve('@foundry-rs/anvil/package.json')
  const platform = createRequire(wrapper).resolve(`@foundry-rs/anvil-${process.platform}-${arch}/package.json`)
  const anvil = spawn(join(dirname(platform), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil'), ['--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: anvil.stdout }).on('line', (line) => {
      const m = /Listening on (\S+)/.exec(line)
      if (m) resolve(`http://${m[1]}`)
    })
    anvil.once('exit', (code) => reject(new Error(`anvil exited with ${code}`)))
  })
  return { url, stop: () => void anvil.kill() }
}

/** The decoded transaction and the policy's view of it, as an approver reads them on the action. */
function showAction(action: Action): void {
  const tx = action.subject.kind === 'sign-request' ? action.subject.transaction : undefined
  if (tx) {
    note(`  action ${action.id} shows the transaction the ledger decoded (${tx.decoder}, ${tx.network}, ${tx.format}):`)
    note(`    from ${tx.from}`)
    for (const t of tx.transfers) note(`    ${t.kind} ${formatEther(t.amount)} ${t.asset === 'native' ? 'ETH' : t.asset} to ${t.to}`)
    for (const c of tx.calls) note(`    call ${c.to}${c.selector ? ` ${c.selector}` : ''}`)
    note(`    fee at most ${formatEther(tx.fee)} ETH; nonce ${tx.fields.nonce}`)
  }
  for (const c of action.conditions ?? []) note(`    ${c.condition}: ${c.holds} (${c.why})`)
  note(`    policy: ${action.expression}`)
}

/**
 * Sends 0.25 ETH from the ECDSA key `keyId` on a local anvil, requested by `alice` and approved by `bob`
 * (the workspace's 2-of-2 sign policy). Then, from `treasuryKeyId` (a workspace whose sign policy reads the
 * transaction: `tx.value <= 0.1 eth && any(1, [alice, bob]) || all([alice, bob])`), a small payment goes
 * out on Alice's request alone and a large one waits for Bob, who reads the decoded transaction on the
 * action first. Returns the first transaction's hash and receipt status.
 */
export async function evmDemo({ alice, bob, keyId, treasuryKeyId }: { alice: ZrClient; bob: ZrClient; keyId: number; treasuryKeyId: number }): Promise<{ hash: string; status: string }> {
  console.log('\nEVM. The ECDSA key sends a transaction on a local anvil, through the relayer and the 2-of-2 policy')
  const anvil = await startAnvil()
  const stopApproving = bob.watchEvents({ types: ['action.created'] }, (e) => {
    void (async () => {
      showAction(await bob.getAction({ id: e.data.actionId as number }))
      note(`  bob approves action ${e.data.actionId}`)
      await bob.approveAction({ actionId: e.data.actionId as number })
    })()
  })
  try {
    const publicClient = createPublicClient({ chain: foundry, transport: http(anvil.url), pollingInterval: 50 })
    const evm = await createEvmRelayer({ client: alice, publicClient, keyId })
    note(`anvil at ${anvil.url} (chain ${evm.chainId}); key ${keyId} is ${evm.address}`)

    const devnet = createWalletClient({ chain: foundry, transport: http(anvil.url) })
    const [faucet] = await devnet.getAddresses()
    await publicClient.waitForTransactionReceipt({ hash: await devnet.sendTransaction({ account: faucet!, to: evm.address, value: parseEther('1') }) })
    note(`funded: ${formatEther(await publicClient.getBalance({ address: evm.address }))} ETH`)

    const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
    const { hash, receipt, requestId } = await evm.sendTransaction({
      to,
      value: parseEther('0.25'),
      timeoutMs: 60_000,
      onEvent: (e) => {
        if (e.type === 'requested') note(`  signature request ${e.requestId}: ${e.status}`)
        else if (e.type === 'ledger' && e.event.type === 'signRequest.fulfilled') note(`  signature request ${e.requestId}: fulfilled`)
        else if (e.type === 'broadcast' || e.type === 'confirmed') note(`  ${e.type} ${e.txid}`)
      },
    })
    note(`transaction ${hash} (signature request ${requestId}): ${receipt!.status} in block ${receipt!.blockNumber}`)
    note(`${to} now holds ${formatEther(await publicClient.getBalance({ address: to }))} ETH`)
    if (receipt!.status !== 'success') throw new Error(`transaction ${hash} ${receipt!.status}`)

    console.log('\nEVM policy. The treasury key pays on the ledger-decoded transaction: 0.05 ETH on Alice alone, 0.5 ETH only with Bob')
    const treasury = await createEvmRelayer({ client: alice, publicClient, keyId: treasuryKeyId })
    await publicClient.waitForTransactionReceipt({ hash: await devnet.sendTransaction({ account: faucet!, to: treasury.address, value: parseEther('1') }) })
    for (const value of ['0.05', '0.5']) {
      const paid = await treasury.sendTransaction({
        to,
        value: parseEther(value),
        timeoutMs: 60_000,
        onEvent: (e) => {
          if (e.type === 'requested') note(`  ${value} ETH: ${e.requestKind === 'transaction' ? 'sign-transaction' : 'opaque'} request ${e.requestId} is ${e.status}${e.status === 'pending' ? ' (no approval needed beyond Alice)' : ''}`)
        },
      })
      const request = await alice.getSignRequest({ id: paid.requestId })
      note(`  ${value} ETH: ${request.decidedBy}; transaction ${paid.hash} ${paid.receipt!.status}`)
      if (paid.receipt!.status !== 'success') throw new Error(`transaction ${paid.hash} ${paid.receipt!.status}`)
    }
    return { hash, status: receipt!.status }
  } finally {
    stopApproving()
    anvil.stop()
  }
}
