/**
 * Small pure policies the router consults: how long a model may take to start answering, and where a
 * degraded model goes in its chain. Each is a function of what Health learned (plain data) and, where
 * time matters, an explicit `now`; none keeps state or reads a clock.
 */

/** What the policies read about one model (Health's persisted record has these fields). */
export interface LatencyHistory {
  /** Times to first token of answered requests, oldest first, at most HISTORY_WINDOW. */
  ttft: number[];
  /** The last outcomes that say something about the model's health, oldest first: true = answered. */
  outcomes: boolean[];
}

/** How many first-token times Health keeps per model. */
export const HISTORY_WINDOW = 64;
/** How many outcomes Health keeps per model. */
export const OUTCOME_WINDOW = 10;

/** Answered requests a model needs before its deadline is learned from its own latency. */
export const MIN_SAMPLES_FOR_DEADLINE = 20;
/** The learned deadline is this multiple of the model's p95 time to first token … */
export const DEADLINE_P95_MULTIPLE = 2;
/** … and never below this floor (a model that is usually instant may still take a moment). */
export const DEADLINE_FLOOR_MS = 2_000;

/** `q` in [0, 1] of the values, by linear interpolation between order statistics (undefined when empty). */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export interface Deadline {
  ms: number;
  /** Whether it was learned (a multiple of the model's own p95) rather than the configured value. */
  learned: boolean;
  p95Ms?: number;
}

/**
 * The first-token deadline of one attempt: the configured `switchboard.timeouts.firstTokenMs` until the
 * model has MIN_SAMPLES_FOR_DEADLINE answered requests; then DEADLINE_P95_MULTIPLE × its p95, at least
 * DEADLINE_FLOOR_MS and never more than the configured value.
 */
export function firstTokenDeadline(history: LatencyHistory | undefined, configuredMs: number): Deadline {
  if (!history || history.ttft.length < MIN_SAMPLES_FOR_DEADLINE) return { ms: configuredMs, learned: false };
  const p95 = quantile(history.ttft, 0.95)!;
  const ms = Math.min(configuredMs, Math.max(DEADLINE_FLOOR_MS, Math.round(DEADLINE_P95_MULTIPLE * p95)));
  return { ms, learned: ms < configuredMs, p95Ms: Math.round(p95) };
}

/** The last first-token times that say how a model is doing now. */
export const RECENT_SAMPLES = 8;
/** Slow: the median of the recent first tokens is at least this multiple of the usual median … */
export const SLOW_FACTOR = 3;
/** … and at least this much slower in absolute terms (100 ms → 400 ms is not worth a reorder). */
export const SLOW_MIN_EXTRA_MS = 1_000;
/** Failing often: at least this share of the recent outcomes failed … */
export const FAILING_SHARE = 0.4;
/** … with at least this many failures. */
export const FAILING_MIN = 3;

export type Degradation = { why: 'slow'; recentMs: number; usualMs: number } | { why: 'failing'; failures: number; of: number };

/**
 * Whether a model is clearly degraded: its recent first tokens are several times slower than its usual
 * ones (the median of its last RECENT_SAMPLES against the median of the samples before them, with at
 * least 12 of those), or it failed FAILING_SHARE of its recent attempts.
 */
export function degradation(history: LatencyHistory | undefined): Degradation | undefined {
  if (!history) return undefined;
  const failures = history.outcomes.filter((ok) => !ok).length;
  if (failures >= FAILING_MIN && failures / history.outcomes.length >= FAILING_SHARE) return { why: 'failing', failures, of: history.outcomes.length };
  const before = history.ttft.slice(0, -RECENT_SAMPLES);
  if (before.length < 12) return undefined;
  const recentMs = quantile(history.ttft.slice(-RECENT_SAMPLES), 0.5)!;
  const usualMs = quantile(before, 0.5)!;
  if (recentMs >= SLOW_FACTOR * usualMs && recentMs - usualMs >= SLOW_MIN_EXTRA_MS) return { why: 'slow', recentMs: Math.round(recentMs), usualMs: Math.round(usualMs) };
  return undefined;
}

/** `slow (first token 9.1 s, usually 1.2 s)`, `failing (4 of its last 10 attempts)`. */
export function describeDegradation(d: Degradation): string {
  return d.why === 'slow' ? `slow (first token ${seconds(d.recentMs)}, usually ${seconds(d.usualMs)})` : `failing (${d.failures} of its last ${d.of} attempts)`;
}

export interface Reordering {
  models: string[];
  /** One line per model that moved: `gpt-5 asked after claude-sonnet-4: slow (…)`. */
  moved: string[];
}

/**
 * The user's order is the intent: a degraded model moves behind the next candidate of its chain (when
 * that one is not degraded too), and nothing else moves.
 */
export function reorderDegraded(models: readonly string[], history: (model: string) => LatencyHistory | undefined): Reordering {
  const out = [...models];
  const moved: string[] = [];
  for (let i = 0; i + 1 < out.length; i++) {
    const d = degradation(history(out[i]!));
    if (!d || degradation(history(out[i + 1]!))) continue;
    moved.push(`${out[i]} asked after ${out[i + 1]}: ${describeDegradation(d)}`);
    [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
    i++; // the moved model keeps its new place
  }
  return { models: out, moved };
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Hedging waits at least this multiple of the model's median first token (so noise is not hedged) … */
export const HEDGE_P50_MULTIPLE = 1.5;
/** … and at least this long. */
export const HEDGE_FLOOR_MS = 250;

/**
 * How long to wait for a model's first token before the next candidate starts in parallel: its learned
 * p95 (at least HEDGE_P50_MULTIPLE × its median and HEDGE_FLOOR_MS) once it has MIN_SAMPLES_FOR_DEADLINE
 * answers, else the configured bound (`switchboard.hedging.afterMs`).
 */
export function hedgeDelay(history: LatencyHistory | undefined, configuredMs: number): { ms: number; learned: boolean } {
  if (!history || history.ttft.length < MIN_SAMPLES_FOR_DEADLINE) return { ms: configuredMs, learned: false };
  const p95 = quantile(history.ttft, 0.95)!;
  const p50 = quantile(history.ttft, 0.5)!;
  return { ms: Math.round(Math.max(p95, HEDGE_P50_MULTIPLE * p50, HEDGE_FLOOR_MS)), learned: true };
}

/** The window the hedge budget counts over. */
export const HEDGE_WINDOW_MS = 10 * 60_000;

/**
 * The hedge budget: one more hedge is allowed while hedges (this one included) stay within `fraction`
 * of the hedgeable requests made in the last HEDGE_WINDOW_MS. Times are epoch ms, oldest first.
 */
export function hedgeAllowed(requestTimes: readonly number[], hedgeTimes: readonly number[], now: number, fraction: number): boolean {
  const since = now - HEDGE_WINDOW_MS;
  const requests = requestTimes.filter((t) => t > since).length;
  const hedges = hedgeTimes.filter((t) => t > since).length;
  return hedges + 1 <= fraction * requests;
}

/** What the pool choice reads about a member. */
export interface MemberLoad {
  /** Requests to it in flight now. */
  outstanding: number;
  /** Its median time to first token, when known. */
  latencyMs?: number;
  /** Known down (circuit open, cooling down, not offered): asked last. */
  down: boolean;
}

/** When no member has latency history, each counts as this slow. */
export const POOL_DEFAULT_LATENCY_MS = 1_000;

/**
 * The order a pool's members are asked in for one request: power of two choices. Two members that are
 * up are drawn at random and the less loaded one goes first (load: requests in flight plus this one,
 * times its median first token, or the members' typical one without history); the others follow from
 * least to most loaded, and members known to be down come last. `random` returns a number in [0, 1).
 */
export function poolOrder(members: readonly string[], load: (model: string) => MemberLoad, random: () => number): string[] {
  const loads = new Map(members.map((m) => [m, load(m)]));
  // A member without history counts as the pool's typical member, so it is tried rather than starved.
  const typical = quantile([...loads.values()].flatMap((l) => (l.latencyMs !== undefined ? [l.latencyMs] : [])), 0.5) ?? POOL_DEFAULT_LATENCY_MS;
  const score = (m: string) => {
    const l = loads.get(m)!;
    return (l.outstanding + 1) * (l.latencyMs ?? typical);
  };
  const up = members.filter((m) => !loads.get(m)!.down);
  const down = members.filter((m) => loads.get(m)!.down);
  if (up.length < 2) return [...up, ...down];
  const i = Math.floor(random() * up.length);
  let j = Math.floor(random() * (up.length - 1));
  if (j >= i) j++;
  const first = score(up[j]!) < score(up[i]!) ? up[j]! : up[i]!;
  const rest = up.filter((m) => m !== first).sort((a, b) => score(a) - score(b));
  return [first, ...rest, ...down];
}
