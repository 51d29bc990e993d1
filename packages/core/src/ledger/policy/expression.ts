/*
 * Policy expressions: one file per concept, gathered here for the package index and the ledger.
 *   expressionTypes.ts         PolicyExpression, Vote, PolicyDecision
 *   expressionRules.ts         limits, the INVALID_POLICY error, the check of a tree handed in
 *   parsePolicyExpression.ts   text -> tree (lexer, participants, parser)
 *   formatPolicyExpression.ts  tree -> text
 *   evaluatePolicy.ts          tree + votes (+ transaction conditions) -> decision, and why
 *   judgeTxConditions.ts       tree + decoded transaction -> how each transaction condition came out
 *   policyAddresses.ts         tree -> the participants it names
 */
export type { PolicyDecision, PolicyExpression, TxComparison, TxCondition, TxField, TxOperand, Vote } from './expressionTypes.js'
export { parsePolicyExpression } from './parsePolicyExpression.js'
export { formatPolicyExpression } from './formatPolicyExpression.js'
export { evaluatePolicy, explainPolicyDecision, type TxConditionValues } from './evaluatePolicy.js'
export { judgeTxConditions, txConditionsOf, type TokenDefinition, type TxConditionContext, type TxConditionResult } from './judgeTxConditions.js'
export { policyAddresses } from './policyAddresses.js'
