// The claims workflow: an agent-shaped process that reads a claim, checks the policy, waits days
// for the claimant's documents, scores fraud, and decides — or hands the decision to a person.
// It runs in Reprise's deterministic sandbox: only `reprise/workflow` and type-only imports here.
import {
  condition,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
} from 'reprise/workflow';
import type * as activities from './activities.ts';
import type { ClaimFields, FraudAssessment } from './activities.ts';

/** The claimant uploaded documents (`'photos'`, `'repair-estimate'`, `'police-report'`, …). */
export interface DocumentsUpload {
  readonly documents: readonly string[];
}

/** A reviewer's decision on a claim that needs one. */
export interface Approval {
  readonly reviewer: string;
  readonly approved: boolean;
}

export type ClaimStage =
  | 'extracting'
  | 'checking-policy'
  | 'awaiting-documents'
  | 'fraud-check'
  | 'awaiting-approval'
  | 'decided';

export interface ClaimDecision {
  readonly claimId: string;
  readonly decision: 'approved' | 'denied' | 'escalated';
  readonly reason: string;
  /** Workflow time: the time of the workflow task that decided, the same on every replay. */
  readonly decidedAt: string;
}

/** What the `status` query answers. */
export interface ClaimStatus {
  claimId: string;
  stage: ClaimStage;
  claim?: ClaimFields;
  documents: string[];
  missingDocuments: string[];
  fraud?: FraudAssessment;
  approval?: Approval;
  decision?: ClaimDecision;
}

// Signals and queries are declared at module level: the worker learns their names when it
// loads this module, and the engine refuses a signal that no workflow here declares.
export const documentsUploaded = defineSignal<[DocumentsUpload]>('documentsUploaded');
export const approve = defineSignal<[Approval]>('approve');
export const status = defineQuery<ClaimStatus>('status');

/** How long the claimant has to upload the documents before the claim is denied. */
export const DOCUMENTS_DEADLINE = '3 days';
/** How long a reviewer has to decide before the claim is escalated. */
export const REVIEW_DEADLINE = '2 days';

const { extractClaim, checkPolicy } = proxyActivities<typeof activities>({
  startToCloseTimeout: '30 seconds',
});

// Fraud scoring calls a service that rate-limits: retry it with backoff, but not forever, and
// never retry a claim it cannot read.
const { fraudCheck } = proxyActivities<typeof activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '200 ms',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['UnreadableClaim'],
  },
});

/**
 * Processes one insurance claim: extract → check policy → wait for documents (3 days) →
 * fraud check → decision. Claims above the policy's limit, or with a high fraud risk, wait for
 * an `approve` signal from a reviewer (2 days, then escalated).
 */
export async function processClaim(claimId: string): Promise<ClaimDecision> {
  const state: ClaimStatus = { claimId, stage: 'extracting', documents: [], missingDocuments: [] };
  setHandler(status, () => state);
  setHandler(documentsUploaded, ({ documents }) => {
    for (const d of documents) if (!state.documents.includes(d)) state.documents.push(d);
    state.missingDocuments = state.missingDocuments.filter((d) => !state.documents.includes(d));
  });
  setHandler(approve, (approval) => {
    state.approval = approval;
  });

  const decide = (decision: ClaimDecision['decision'], reason: string): ClaimDecision => {
    state.stage = 'decided';
    state.decision = { claimId, decision, reason, decidedAt: new Date().toISOString() };
    return state.decision;
  };

  const claim = await extractClaim(claimId);
  state.claim = claim;
  state.stage = 'checking-policy';
  const policy = await checkPolicy(claim);
  if (!policy.covered) return decide('denied', policy.reason);

  state.stage = 'awaiting-documents';
  state.missingDocuments = policy.requiredDocuments.filter((d) => !state.documents.includes(d));
  const complete = await condition(() => state.missingDocuments.length === 0, DOCUMENTS_DEADLINE);
  if (!complete) {
    return decide(
      'denied',
      `Documents still missing after ${DOCUMENTS_DEADLINE}: ${state.missingDocuments.join(', ')}.`,
    );
  }

  state.stage = 'fraud-check';
  const fraud = await fraudCheck(claim, state.documents);
  state.fraud = fraud;
  if (fraud.risk === 'low' && claim.amount <= policy.autoApproveLimit) {
    return decide('approved', `${policy.reason} Fraud risk low (score ${fraud.score}).`);
  }

  state.stage = 'awaiting-approval';
  const reviewed = await condition(() => state.approval !== undefined, REVIEW_DEADLINE);
  if (!reviewed || state.approval === undefined) {
    return decide('escalated', `No reviewer decided within ${REVIEW_DEADLINE}.`);
  }
  const { reviewer, approved } = state.approval;
  return decide(approved ? 'approved' : 'denied', `Reviewed by ${reviewer}.`);
}
