/**
 * Cost modes: how much a request may cost, decided per request from its complexity. `quality` keeps
 * the routing table as configured; `balanced` sends simple work to the economy tier and moderate work
 * off the premium tier; `economy` sends everything but complex work to the economy tier. The task's
 * own chain always follows as fallbacks, so failover still reaches the models the table names.
 */
import type { ComplexityEstimate } from './complexity';

export const COST_MODES = ['quality', 'balanced', 'economy'] as const;
export type CostMode = (typeof COST_MODES)[number];

export const TIERS = ['premium', 'standard', 'economy'] as const;
export type Tier = (typeof TIERS)[number];
export type TierTable = Record<Tier, string[]>;

/** DESIGN.md's tiers. */
export const DEFAULT_TIERS: TierTable = {
  premium: ['gpt-5', 'claude-opus-4'],
  standard: ['claude-sonnet-4', 'gemini-2.5-pro'],
  economy: ['gpt-5-mini', 'deepseek-v4', 'qwen3-235b', 'glm-5'],
};

const RANK: Record<Tier, number> = { premium: 2, standard: 1, economy: 0 };

export function tierOf(tiers: TierTable, model: string): Tier | undefined {
  return TIERS.find((t) => tiers[t].includes(model));
}

export interface CostChoice {
  /** The chain to try, cheapest acceptable model first. */
  models: string[];
  /** Shown with the answer when the mode changed the model: `economy: short question → deepseek-v4`. */
  note?: string;
}

/** The tier a request of this complexity needs under a mode (undefined: whatever the table says). */
function ceiling(mode: CostMode, complexity: ComplexityEstimate): Tier | undefined {
  if (mode === 'quality') return undefined;
  if (mode === 'balanced') return complexity.level === 'simple' ? 'economy' : complexity.level === 'moderate' ? 'standard' : undefined;
  return complexity.level === 'complex' ? 'standard' : 'economy';
}

/**
 * Applies a cost mode to a task's chain. `price` (blended USD per million tokens, when known) picks
 * the cheapest model of the tier; the task's own models of that tier come first among equals.
 */
export function applyCostMode(
  chain: string[],
  tiers: TierTable,
  mode: CostMode,
  complexity: ComplexityEstimate | undefined,
  price: (model: string) => number | undefined = () => undefined,
): CostChoice {
  const primary = chain[0];
  if (!primary || !complexity) return { models: chain };
  const target = ceiling(mode, complexity);
  const current = tierOf(tiers, primary);
  if (!target || !current || RANK[current] <= RANK[target]) return { models: chain };
  // Candidates of the target tier: the chain's own first (the user's preferences), then the tier list.
  const pool = [...new Set([...chain.filter((m) => tierOf(tiers, m) === target), ...tiers[target]])];
  if (!pool.length) return { models: chain };
  const ranked = pool
    .map((model, i) => ({ model, i, p: price(model) ?? Number.POSITIVE_INFINITY }))
    .sort((a, b) => a.p - b.p || a.i - b.i);
  const chosen = ranked[0]!.model;
  return { models: [chosen, ...chain.filter((m) => m !== chosen)], note: `${mode}: ${complexity.reason} → ${chosen}` };
}
