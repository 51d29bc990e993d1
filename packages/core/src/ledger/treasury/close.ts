import { payFee, refundFee } from '../bank/bank.js'
import type { StateTx } from '../state.js'
import type { KeyRequest, SignRequest } from '../types.js'

/** Ends a key request as rejected and refunds its fee. */
export function rejectKeyRequest(tx: StateTx, req: KeyRequest, reason: string, extra: Partial<KeyRequest> = {}): void {
  tx.put('keyRequests', req.id, { ...req, ...extra, status: 'rejected', rejectReason: reason, decidedAt: tx.time })
  refundFee(tx, req.creator, req.fee, { requestKind: 'key', requestId: req.id, keyring: req.keyring })
  tx.emit('keyRequest.rejected', { requestId: req.id, keyring: req.keyring, workspace: req.workspace, reason })
}

/** Ends a signature request as rejected and refunds its fee. */
export function rejectSignRequest(tx: StateTx, req: SignRequest, reason: string, extra: Partial<SignRequest> = {}): void {
  tx.put('signRequests', req.id, { ...req, ...extra, status: 'rejected', rejectReason: reason, decidedAt: tx.time })
  refundFee(tx, req.creator, req.fee, { requestKind: 'sign', requestId: req.id, keyring: req.keyring })
  tx.emit('signRequest.rejected', { requestId: req.id, keyring: req.keyring, workspace: req.workspace, keyId: req.keyId, reason })
}

/** Pays the escrowed fee of a fulfilled request to its keyring. */
export function payRequestFee(tx: StateTx, kind: 'key' | 'sign', req: KeyRequest | SignRequest): void {
  payFee(tx, req.fee, { requestKind: kind, requestId: req.id, keyring: req.keyring })
}
