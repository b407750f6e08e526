/**
 * `switchboard.dailyBudget`: a spending limit per local day, in US dollars. Pure decisions over
 * today's spend and a request's estimate; the host shows the warning and asks. No `vscode` import.
 */
import * as z from 'zod/mini';
import { formatCost } from './ledger';
import type { ModelPricing } from './prices';

/** Share of the budget at which the user is told once a day. */
export const WARN_AT = 0.8;

const error = 'expected a daily budget in US dollars (a number above 0), or null for none';
export const DailyBudget = z.nullable(z.number({ error }).check(z.gt(0, { error }), z.lte(1_000_000, { error: 'expected at most 1000000 US dollars a day' })));

/** The budget from settings: a number, or undefined (none) with a problem for a bad value. */
export function parseBudget(value: unknown): { budget: number | undefined; problem?: string } {
  if (value === undefined || value === null) return { budget: undefined };
  const parsed = DailyBudget.safeParse(value);
  if (parsed.success) return { budget: parsed.data ?? undefined };
  return { budget: undefined, problem: `${parsed.error.issues[0]?.message ?? error}, got ${JSON.stringify(value)}` };
}

/**
 * The most a request can cost: its prompt at the input price and every allowed output token at the
 * output price. An answer can be no dearer, so a request that passes this check cannot go over.
 */
export function requestCeiling(promptTokens: number, maxTokens: number, pricing: Pick<ModelPricing, 'inputPerMTok' | 'outputPerMTok'> | undefined): number | undefined {
  if (!pricing) return undefined;
  return (promptTokens * pricing.inputPerMTok + maxTokens * pricing.outputPerMTok) / 1_000_000;
}

export type BudgetVerdict =
  | { ask: false }
  /** Ask before sending: the sentence says why, in the user's terms. */
  | { ask: true; message: string; detail: string };

/**
 * Whether to ask before a request. Asks when today's spend is already at the budget, or when the
 * request's ceiling would take it over. A model with no price is asked about only once the budget is
 * reached (its cost cannot be known in advance).
 */
export function checkBudget(budget: number | undefined, spentToday: number, ceiling: number | undefined, model: string): BudgetVerdict {
  if (budget === undefined) return { ask: false };
  const limit = formatCost(budget);
  if (spentToday >= budget) {
    return {
      ask: true,
      message: `Today's spend (${formatCost(spentToday)}) has reached your daily budget of ${limit}. Send this request to ${model} anyway?`,
      detail: ceiling === undefined ? `${model} has no known price, so this request's cost is unknown.` : `This request can cost up to ${formatCost(ceiling)}.`,
    };
  }
  if (ceiling !== undefined && spentToday + ceiling > budget) {
    return {
      ask: true,
      message: `This request to ${model} can cost up to ${formatCost(ceiling)}, which would take today's spend (${formatCost(spentToday)}) over your daily budget of ${limit}. Send it anyway?`,
      detail: 'The ceiling counts the prompt and every output token the task allows (its max tokens); most answers cost less.',
    };
  }
  return { ask: false };
}

/** The warning to show when an answer takes today's spend across WARN_AT of the budget, else undefined. */
export function crossedWarning(budget: number | undefined, before: number, after: number): string | undefined {
  if (budget === undefined) return undefined;
  const line = budget * WARN_AT;
  if (before >= line || after < line) return undefined;
  const share = Math.round((after / budget) * 100);
  return `Today's spend is ${formatCost(after)}, ${share}% of your daily budget of ${formatCost(budget)}.`;
}
