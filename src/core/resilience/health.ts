/**
 * Per-model health, learned from the requests the router makes: latency (time to first token, tokens
 * per second), outcomes, errors by kind, a circuit breaker, rate-limit cooldowns and "not offered by
 * this gateway". The one owner of that data: it is saved through an injected store (globalState in the
 * extension) with expiry, restored at activation, and reset when the key or the gateway changes.
 *
 * The breaker is a small state machine here rather than cockatiel's: its state must be saved and
 * restored across reloads, and tested with an injected clock, and cockatiel's reads Date.now and keeps
 * its open time private.
 */
import type { Classification, FailureReason } from '../errors';
import { HEDGE_WINDOW_MS, HISTORY_WINDOW, OUTCOME_WINDOW, degradation, hedgeAllowed, quantile, type Degradation, type LatencyHistory } from './policies';

export type Unavailable =
  | { why: 'cooling_down'; untilMs: number }
  | { why: 'circuit_open'; untilMs: number }
  | { why: 'unsupported'; summary: string };

/** `rate-limited, cooling down for 12 s`, `failing repeatedly (circuit open)`, `not offered by this gateway (…)`. */
function describeUnavailable(why: Unavailable, now: number): string {
  if (why.why === 'cooling_down') return `rate-limited, cooling down for ${Math.ceil((why.untilMs - now) / 1000)} s`;
  if (why.why === 'circuit_open') return 'failing repeatedly (circuit open)';
  return why.summary;
}

/** What one answered attempt measured. */
export interface AnswerTiming {
  ttftMs?: number;
  /** Output tokens per second after the first token, when the answer was long enough to tell. */
  tokensPerSecond?: number;
}

/** The outcome of one attempt, reported back exactly once. */
export interface Ticket {
  success(timing?: AnswerTiming): void;
  failure(c: Classification): void;
  /** Neither a verdict nor a measurement: the user stopped it, or it lost a race. */
  release(): void;
}

/** One model's record as saved: plain JSON, every time a wall-clock epoch in ms. */
export interface ModelRecord extends LatencyHistory {
  tps: number[];
  answered: number;
  failed: number;
  errors: Partial<Record<FailureReason, number>>;
  lastError?: { summary: string; at: number };
  consecutiveFailures: number;
  /** Set while the circuit is open: when it opened and how long it stays open before one test. */
  circuit?: { openedAt: number; openMs: number };
  cooldownUntil?: number;
  backoffMs?: number;
  /** The gateway answered that it does not serve this model. */
  notOffered?: { summary: string; at: number };
  hedges: { won: number; lost: number };
  updatedAt: number;
}

/** The state a model is in, as the health view shows it. */
export type ModelState = 'ok' | 'slow' | 'failing' | 'cooling_down' | 'circuit_open' | 'half_open' | 'not_offered' | 'unsupported';

export interface ModelHealthRow {
  model: string;
  state: ModelState;
  /** When the cooldown or the open circuit ends (epoch ms). */
  untilMs?: number;
  ttftP50Ms?: number;
  ttftP95Ms?: number;
  tokensPerSecond?: number;
  samples: number;
  answered: number;
  failed: number;
  errors: Partial<Record<FailureReason, number>>;
  lastError?: { summary: string; at: number };
  hedges: { won: number; lost: number };
  degradation?: Degradation;
  updatedAt: number;
}

/** Where health is saved (globalState in the extension); reads and writes plain JSON. */
export interface HealthStore {
  read(): unknown;
  write(value: unknown): unknown;
}

export interface HealthOptions {
  /** Consecutive failures that open a model's circuit. */
  failuresToOpen?: number;
  /** How long a circuit first stays open; each failed test doubles it, up to MAX_OPEN_MS. */
  halfOpenAfterMs?: number;
  /** Wall clock (epoch ms): cooldowns, open circuits and expiry survive a reload against it. */
  now?: () => number;
  store?: HealthStore;
  /** Delay before a change is saved, so a burst of answers is one write. */
  saveDelayMs?: number;
}

/** A record not updated for this long is dropped at restore: a week-old verdict is not trusted. */
export const EXPIRY_MS = 7 * 24 * 3600_000;
/** "Not offered by this gateway" is believed this long, then the model is asked again. */
export const NOT_OFFERED_MS = 24 * 3600_000;
/** The longest a circuit stays open before one request may test the model again. */
export const MAX_OPEN_MS = 10 * 60_000;

const MAX_MODELS = 200;
/*
 * What restore accepts, checked by hand rather than with zod: restore runs inside activation with a
 * 5 ms budget, and zod's first parse of 24 full records took 12 ms cold (1 ms warm); these checks take
 * a fraction of that. Anything that does not fit is dropped, model by model.
 */
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTimes = (v: unknown, max: number): v is number[] => Array.isArray(v) && v.length <= max && v.every(isTime);
const isNote = (v: unknown): v is { summary: string; at: number } => isObject(v) && typeof v.summary === 'string' && v.summary.length <= 300 && isTime(v.at);

function parseRecord(v: unknown): ModelRecord | undefined {
  if (!isObject(v)) return undefined;
  const { ttft, outcomes, tps, answered, failed, errors, lastError, consecutiveFailures, circuit, cooldownUntil, backoffMs, notOffered, hedges, updatedAt } = v;
  if (!isTimes(ttft, HISTORY_WINDOW) || !isTimes(tps, HISTORY_WINDOW) || !isTime(updatedAt)) return undefined;
  if (!Array.isArray(outcomes) || outcomes.length > OUTCOME_WINDOW || !outcomes.every((o) => typeof o === 'boolean')) return undefined;
  if (!isCount(answered) || !isCount(failed) || !isCount(consecutiveFailures)) return undefined;
  if (!isObject(errors) || !Object.values(errors).every(isCount)) return undefined;
  if (!isObject(hedges) || !isCount(hedges.won) || !isCount(hedges.lost)) return undefined;
  if (lastError !== undefined && !isNote(lastError)) return undefined;
  if (notOffered !== undefined && !isNote(notOffered)) return undefined;
  if (circuit !== undefined && !(isObject(circuit) && isTime(circuit.openedAt) && isTime(circuit.openMs) && circuit.openMs > 0 && circuit.openMs <= MAX_OPEN_MS)) return undefined;
  if (cooldownUntil !== undefined && !isTime(cooldownUntil)) return undefined;
  if (backoffMs !== undefined && !(isTime(backoffMs) && backoffMs > 0)) return undefined;
  return {
    ttft: [...ttft],
    outcomes: [...(outcomes as boolean[])],
    tps: [...tps],
    answered,
    failed,
    errors: { ...(errors as Record<string, number>) },
    consecutiveFailures,
    hedges: { won: hedges.won as number, lost: hedges.lost as number },
    updatedAt,
    ...(lastError ? { lastError: { ...lastError } } : {}),
    ...(notOffered ? { notOffered: { ...notOffered } } : {}),
    ...(circuit ? { circuit: { openedAt: circuit.openedAt as number, openMs: circuit.openMs as number } } : {}),
    ...(cooldownUntil !== undefined ? { cooldownUntil } : {}),
    ...(backoffMs !== undefined ? { backoffMs } : {}),
  };
}

interface Live extends ModelRecord {
  /** A request is testing the model's open circuit (session only). */
  testing?: boolean;
  /** A parameter this model rejected (session only: it depends on the request, not the model). */
  unsupported?: string;
}

export class Health {
  private models = new Map<string, Live>();
  private readonly now: () => number;
  private readonly halfOpenAfterMs: number;
  private readonly failuresToOpen: number;
  private gateway = '';
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<() => void>();
  /** Hedgeable requests and hedges of this session (epoch ms), for the hedge budget. */
  private readonly requestTimes: number[] = [];
  private readonly hedgeTimes: number[] = [];
  /** Attempts in flight per model (a pool sends the next request to a less busy member). */
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly options: HealthOptions = {}) {
    this.now = options.now ?? Date.now;
    this.halfOpenAfterMs = options.halfOpenAfterMs ?? 30_000;
    this.failuresToOpen = options.failuresToOpen ?? 3;
  }

  /**
   * Loads what was saved for this gateway: records older than EXPIRY_MS, stale "not offered" verdicts and
   * anything that does not parse are dropped. Returns how many models were restored.
   */
  restore(gateway: string): number {
    this.gateway = gateway;
    this.models.clear();
    const saved = this.options.store?.read();
    if (!isObject(saved) || saved.v !== 1 || saved.gateway !== gateway || !isObject(saved.models)) return 0;
    const now = this.now();
    for (const [model, raw] of Object.entries(saved.models).slice(0, MAX_MODELS)) {
      const record: Live | undefined = parseRecord(raw);
      if (!record || now - record.updatedAt > EXPIRY_MS) continue;
      if (record.notOffered && now - record.notOffered.at > NOT_OFFERED_MS) delete record.notOffered;
      this.models.set(model, record);
    }
    return this.models.size;
  }

  /** Forgets everything, saved state included (a new key or gateway makes past verdicts meaningless). */
  reset(gateway = this.gateway): void {
    this.gateway = gateway;
    this.models.clear();
    this.flush();
  }

  /** Called (at most once per save delay) after health changed. */
  onChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private get(model: string): Live {
    let h = this.models.get(model);
    if (!h) {
      h = { ttft: [], outcomes: [], tps: [], answered: 0, failed: 0, errors: {}, consecutiveFailures: 0, hedges: { won: 0, lost: 0 }, updatedAt: this.now() };
      this.models.set(model, h);
    }
    return h;
  }

  /** What the policies read about a model (undefined without history). */
  history(model: string): LatencyHistory | undefined {
    return this.models.get(model);
  }

  /** Why a model should be skipped right now, or undefined when it may be tried. */
  unavailable(model: string): Unavailable | undefined {
    const h = this.models.get(model);
    if (!h) return undefined;
    const now = this.now();
    if (h.notOffered) return { why: 'unsupported', summary: `not offered by this gateway (${h.notOffered.summary})` };
    if (h.unsupported) return { why: 'unsupported', summary: `${h.unsupported} earlier this session` };
    if ((h.cooldownUntil ?? 0) > now) return { why: 'cooling_down', untilMs: h.cooldownUntil! };
    if (h.circuit) {
      const until = h.circuit.openedAt + h.circuit.openMs;
      // Another request is already testing the model: do not queue behind it.
      if (until > now || h.testing) return { why: 'circuit_open', untilMs: Math.max(until, now) };
    }
    return undefined;
  }

  /** Starts an attempt; report its outcome on the returned ticket. An open circuit that is due is tested by it. */
  begin(model: string): Ticket {
    const h = this.get(model);
    const testing = h.circuit !== undefined && !h.testing;
    if (testing) h.testing = true;
    this.inFlight.set(model, this.outstanding(model) + 1);
    let done = false;
    const settle = (): boolean => {
      if (done) return false;
      done = true;
      this.inFlight.set(model, this.outstanding(model) - 1);
      if (testing) h.testing = false;
      h.updatedAt = this.now();
      return true;
    };
    return {
      success: (timing = {}) => {
        if (!settle()) return;
        h.answered++;
        h.consecutiveFailures = 0;
        h.circuit = undefined;
        h.backoffMs = undefined;
        h.cooldownUntil = undefined;
        h.notOffered = undefined;
        push(h.outcomes, true, OUTCOME_WINDOW);
        if (timing.ttftMs !== undefined) push(h.ttft, Math.round(timing.ttftMs), HISTORY_WINDOW);
        if (timing.tokensPerSecond !== undefined) push(h.tps, Math.round(timing.tokensPerSecond * 10) / 10, HISTORY_WINDOW);
        this.changed();
      },
      failure: (c) => {
        if (!settle()) return;
        h.failed++;
        h.errors[c.reason] = (h.errors[c.reason] ?? 0) + 1;
        h.lastError = { summary: c.summary, at: this.now() };
        if (c.reason === 'rate_limited' || c.retryAfterMs !== undefined) this.coolDown(h, c.retryAfterMs);
        if (c.reason === 'model_unavailable') h.notOffered = { summary: c.summary, at: this.now() };
        if (c.reason === 'unsupported_parameter') h.unsupported = c.summary;
        // A neutral outcome (rate limit, bad parameter) counts neither way; only health verdicts do.
        if (c.countsAgainstModel) {
          push(h.outcomes, false, OUTCOME_WINDOW);
          h.consecutiveFailures++;
          if (testing) h.circuit = { openedAt: this.now(), openMs: Math.min(MAX_OPEN_MS, 2 * (h.circuit?.openMs ?? this.halfOpenAfterMs)) };
          else if (!h.circuit && h.consecutiveFailures >= this.failuresToOpen) h.circuit = { openedAt: this.now(), openMs: this.halfOpenAfterMs };
        }
        this.changed();
      },
      release: () => {
        settle();
      },
    };
  }

  /** An interactive request started: it counts toward the hedge budget. */
  noteRequest(): void {
    this.requestTimes.push(this.now());
    prune(this.requestTimes, this.now() - HEDGE_WINDOW_MS);
  }

  /** Takes one hedge from the budget (`fraction` of the recent interactive requests), or says no. */
  takeHedge(fraction: number): boolean {
    const now = this.now();
    prune(this.hedgeTimes, now - HEDGE_WINDOW_MS);
    if (!hedgeAllowed(this.requestTimes, this.hedgeTimes, now, fraction)) return false;
    this.hedgeTimes.push(now);
    return true;
  }

  /** Attempts to this model that are in flight now. */
  outstanding(model: string): number {
    return this.inFlight.get(model) ?? 0;
  }

  /** A hedge race ended: the winner streamed first, the loser was aborted. */
  hedged(winner: string, loser: string): void {
    this.get(winner).hedges.won++;
    this.get(loser).hedges.lost++;
    this.changed();
  }

  private coolDown(h: Live, retryAfterMs: number | undefined) {
    let wait = retryAfterMs;
    if (wait === undefined) {
      // Exponential backoff without Retry-After: 1 s, 2 s, 4 s … up to a minute.
      h.backoffMs = Math.min(60_000, h.backoffMs ? 2 * h.backoffMs : 1_000);
      wait = h.backoffMs;
    }
    h.cooldownUntil = Math.max(h.cooldownUntil ?? 0, this.now() + wait);
  }

  /** Why a model is skipped now, in words, or undefined when it is not. */
  skipReason(model: string): string | undefined {
    const why = this.unavailable(model);
    return why ? this.describe(why) : undefined;
  }

  /** A verdict of unavailable() in words, against this health's clock. */
  describe(why: Unavailable): string {
    return describeUnavailable(why, this.now());
  }

  /** Milliseconds until the model's rate-limit cooldown ends (0 when it is not cooling down). */
  cooldownRemaining(model: string): number {
    const h = this.models.get(model);
    return h ? Math.max(0, (h.cooldownUntil ?? 0) - this.now()) : 0;
  }

  /** Median time to first token, when known. */
  latency(model: string): number | undefined {
    const h = this.models.get(model);
    return h ? quantile(h.ttft, 0.5) : undefined;
  }

  /** One row per model with history, as the health view shows them. */
  rows(): ModelHealthRow[] {
    const now = this.now();
    return [...this.models.entries()].map(([model, h]) => {
      const why = this.unavailable(model);
      const d = degradation(h);
      const state: ModelState = why
        ? why.why === 'unsupported'
          ? h.notOffered
            ? 'not_offered'
            : 'unsupported'
          : why.why
        : h.circuit
          ? 'half_open'
          : (d?.why ?? 'ok');
      const p50 = quantile(h.ttft, 0.5);
      const p95 = quantile(h.ttft, 0.95);
      const tps = quantile(h.tps, 0.5);
      return {
        model,
        state,
        ...(why && why.why !== 'unsupported' ? { untilMs: Math.max(now, why.untilMs) } : {}),
        ...(p50 !== undefined ? { ttftP50Ms: Math.round(p50), ttftP95Ms: Math.round(p95!) } : {}),
        ...(tps !== undefined ? { tokensPerSecond: Math.round(tps * 10) / 10 } : {}),
        samples: h.ttft.length,
        answered: h.answered,
        failed: h.failed,
        errors: { ...h.errors },
        ...(h.lastError ? { lastError: h.lastError } : {}),
        hedges: { ...h.hedges },
        ...(d ? { degradation: d } : {}),
        updatedAt: h.updatedAt,
      };
    });
  }

  /** The saved form: every record, without the session-only fields. */
  snapshot(): { v: 1; gateway: string; models: Record<string, ModelRecord> } {
    const models: Record<string, ModelRecord> = {};
    for (const [model, { testing: _t, unsupported: _u, ...record }] of this.models) models[model] = record;
    return { v: 1, gateway: this.gateway, models };
  }

  private changed(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => this.flush(), this.options.saveDelayMs ?? 1_000);
    // A pending save must not keep a test process or the extension host alive.
    (this.saveTimer as { unref?: () => void }).unref?.();
  }

  /** Writes pending changes now (also on dispose, so a reload loses nothing). */
  flush(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.options.store?.write(this.snapshot());
    for (const l of this.listeners) l();
  }

  dispose(): void {
    if (this.saveTimer) this.flush();
  }
}

/** Drops the times at or before `since` (the list is oldest first). */
function prune(times: number[], since: number): void {
  let i = 0;
  while (i < times.length && times[i]! <= since) i++;
  if (i) times.splice(0, i);
}

function push<T>(list: T[], value: T, max: number): void {
  list.push(value);
  if (list.length > max) list.splice(0, list.length - max);
}
