// Activities of the claims example: plain async functions the worker runs outside the sandbox,
// retried by their policy and recorded in history, so a replay never runs them again. These are
// pure stand-ins with no network, so that the example runs offline and gives the same answer
// every time.
import { ApplicationFailure, activityInfo } from 'reprise/activity';

/** What extraction reads out of a claim's free text. */
export interface ClaimFields {
  readonly claimId: string;
  readonly policyId: string;
  readonly claimant: string;
  readonly peril: 'water-damage' | 'theft' | 'fire' | 'other';
  readonly incidentDate: string;
  readonly amount: number;
  readonly currency: string;
}

export interface PolicyCheck {
  readonly covered: boolean;
  readonly reason: string;
  /** The documents the claimant must upload before the claim can go on. */
  readonly requiredDocuments: readonly string[];
  /** Claims above this amount need a person's approval. */
  readonly autoApproveLimit: number;
}

export interface FraudAssessment {
  readonly score: number;
  readonly risk: 'low' | 'high';
  readonly signals: readonly string[];
}

/** The claims inbox: what a claimant typed into the form. */
const CLAIM_TEXTS: Readonly<Record<string, string>> = {
  '42':
    'Policy P-1001. Claimant: Ana Lima. On 2026-01-03 a burst pipe flooded the kitchen. ' +
    'Repair estimate: 1,850.00 EUR.',
  '77':
    'Policy P-1001. Claimant: Ben Okafor. On 2026-01-05 my car was stolen from the driveway. ' +
    'Value: 24,000.00 EUR.',
  '13':
    'Policy P-9999. Claimant: Cy Young. On 2026-01-07 a fire damaged the garage. ' +
    'Repair estimate: 3,100.00 EUR.',
};

const POLICIES: Readonly<
  Record<string, { perils: readonly ClaimFields['peril'][]; autoApproveLimit: number }>
> = {
  'P-1001': { perils: ['water-damage', 'theft'], autoApproveLimit: 5_000 },
};

const REQUIRED_DOCUMENTS: Readonly<Record<ClaimFields['peril'], readonly string[]>> = {
  'water-damage': ['photos', 'repair-estimate'],
  theft: ['police-report'],
  fire: ['photos', 'fire-report'],
  other: ['photos'],
};

/**
 * Turns a claim's free text into fields. A real system would call a model here (structured
 * output with a schema, through a provider library) and the activity's retry policy would
 * absorb rate limits; this deterministic stand-in reads the fields with regular expressions.
 * Throws a non-retryable `ApplicationFailure` when the claim does not exist or cannot be read:
 * retrying would not help.
 */
export async function extractClaim(claimId: string): Promise<ClaimFields> {
  const text = CLAIM_TEXTS[claimId];
  if (text === undefined) {
    throw ApplicationFailure.nonRetryable(`No claim with id '${claimId}'.`, 'ClaimNotFound');
  }
  const policyId = /Policy (P-\d+)/.exec(text)?.[1];
  const claimant = /Claimant: ([^.]+)\./.exec(text)?.[1];
  const incidentDate = /(\d{4}-\d{2}-\d{2})/.exec(text)?.[1];
  const money = /([\d,]+\.\d{2}) ([A-Z]{3})/.exec(text);
  if (!policyId || !claimant || !incidentDate || !money?.[1] || !money[2]) {
    throw ApplicationFailure.nonRetryable(
      `Claim '${claimId}' lacks a policy, claimant, date or amount.`,
      'UnreadableClaim',
    );
  }
  return Promise.resolve({
    claimId,
    policyId,
    claimant,
    peril: perilOf(text),
    incidentDate,
    amount: Number(money[1].replaceAll(',', '')),
    currency: money[2],
  });
}

function perilOf(text: string): ClaimFields['peril'] {
  if (/flood|pipe|leak|water/i.test(text)) return 'water-damage';
  if (/stolen|theft|burglar/i.test(text)) return 'theft';
  if (/fire|smoke/i.test(text)) return 'fire';
  return 'other';
}

/** Looks the claim's policy up and says whether it covers the peril, and what must be sent. */
export async function checkPolicy(claim: ClaimFields): Promise<PolicyCheck> {
  const policy = POLICIES[claim.policyId];
  const requiredDocuments = REQUIRED_DOCUMENTS[claim.peril];
  if (policy === undefined) {
    return Promise.resolve({
      covered: false,
      reason: `Policy ${claim.policyId} does not exist or has lapsed.`,
      requiredDocuments,
      autoApproveLimit: 0,
    });
  }
  const covered = policy.perils.includes(claim.peril);
  return Promise.resolve({
    covered,
    reason: covered
      ? `Policy ${claim.policyId} covers ${claim.peril}.`
      : `Policy ${claim.policyId} does not cover ${claim.peril}.`,
    requiredDocuments,
    autoApproveLimit: policy.autoApproveLimit,
  });
}

/**
 * Scores the claim for fraud. A real system would call a scoring service or a model; this
 * stand-in scores from the amount and the documents. Its first attempt fails with a retryable
 * error, as a rate-limited service's might, so that the example shows the retry policy at work:
 * the workflow sees only the second attempt's result.
 */
export async function fraudCheck(
  claim: ClaimFields,
  documents: readonly string[],
): Promise<FraudAssessment> {
  if (activityInfo().attempt === 1) {
    throw ApplicationFailure.retryable('Fraud scoring is rate limited; try again.', 'RateLimited');
  }
  const signals: string[] = [];
  if (claim.amount > 10_000) signals.push('amount above 10,000');
  if (claim.peril === 'theft') signals.push('theft claims need a police report check');
  if (documents.length === 0) signals.push('no documents');
  const score = Math.min(1, signals.length * 0.35);
  return Promise.resolve({ score, risk: score >= 0.5 ? 'high' : 'low', signals });
}
