/** Per-model health: circuit breaker, rate-limit cooldown, session-long unavailability and latency. */
import { CircuitState, ConsecutiveBreaker, ExponentialBackoff, circuitBreaker, handleAll, type CircuitBreakerPolicy, type IBackoff } from 'cockatiel';
import type { Classification } from './errors';

export type Unavailable =
  | { why: 'cooling_down'; untilMs: number }
  | { why: 'circuit_open' }
  | { why: 'unsupported'; summary: string };

/** The outcome of one attempt, reported back exactly once. */
export interface Ticket {
  success(ttftMs?: number): void;
  failure(c: Classification): void;
}

interface ModelHealth {
  breaker: CircuitBreakerPolicy;
  cooldownUntil: number;
  backoff?: IBackoff<unknown>;
  unsupported?: string;
  ttftEwmaMs?: number;
}

export interface HealthOptions {
  /** Consecutive failures that open a model's circuit. */
  failuresToOpen?: number;
  /** How long an open circuit skips its model before one request may test it again. */
  halfOpenAfterMs?: number;
  now?: () => number;
}

const settle = { ok: () => undefined };

export class Health {
  private readonly models = new Map<string, ModelHealth>();
  private readonly now: () => number;

  private readonly halfOpenAfterMs: number;

  constructor(private readonly options: HealthOptions = {}) {
    this.now = options.now ?? Date.now;
    this.halfOpenAfterMs = options.halfOpenAfterMs ?? 15_000;
  }

  private get(model: string): ModelHealth {
    let h = this.models.get(model);
    if (!h) {
      h = {
        breaker: circuitBreaker(handleAll, {
          halfOpenAfter: this.halfOpenAfterMs,
          breaker: new ConsecutiveBreaker(this.options.failuresToOpen ?? 3),
        }),
        cooldownUntil: 0,
      };
      this.models.set(model, h);
    }
    return h;
  }

  /** Why a model should be skipped right now, or undefined when it may be tried. */
  unavailable(model: string): Unavailable | undefined {
    const h = this.models.get(model);
    if (!h) return undefined;
    if (h.unsupported) return { why: 'unsupported', summary: h.unsupported };
    if (h.cooldownUntil > this.now()) return { why: 'cooling_down', untilMs: h.cooldownUntil };
    // Half-open means another request is already testing the model: do not queue behind it.
    if (h.breaker.state === CircuitState.HalfOpen) return { why: 'circuit_open' };
    if (h.breaker.state === CircuitState.Open && !this.dueForTest(h)) return { why: 'circuit_open' };
    return undefined;
  }

  private dueForTest(h: ModelHealth): boolean {
    // cockatiel keeps the open time private; its JSON snapshot exposes it (and it uses Date.now).
    const openedAt = (h.breaker.toJSON() as { ownState?: { openedAt?: number } }).ownState?.openedAt;
    return openedAt === undefined || Date.now() - openedAt >= this.halfOpenAfterMs;
  }

  /** Starts an attempt through the model's breaker; report its outcome on the returned ticket. */
  begin(model: string): Ticket {
    const h = this.get(model);
    let resolve: () => void = settle.ok;
    let reject: (e: unknown) => void = settle.ok;
    const outcome = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A neutral outcome (rate limit, bad parameter) must not count either way; only health verdicts do.
    h.breaker.execute(() => outcome).catch(() => undefined);
    let done = false;
    return {
      success: (ttftMs) => {
        if (done) return;
        done = true;
        h.backoff = undefined;
        if (ttftMs !== undefined) h.ttftEwmaMs = h.ttftEwmaMs === undefined ? ttftMs : 0.8 * h.ttftEwmaMs + 0.2 * ttftMs;
        resolve();
      },
      failure: (c) => {
        if (done) return;
        done = true;
        if (c.reason === 'rate_limited' || c.retryAfterMs !== undefined) this.coolDown(h, c.retryAfterMs);
        if (c.reason === 'model_unavailable' || c.reason === 'unsupported_parameter') h.unsupported = c.summary;
        if (c.countsAgainstModel) reject(new Error(c.summary));
        else resolve();
      },
    };
  }

  private coolDown(h: ModelHealth, retryAfterMs: number | undefined) {
    let wait = retryAfterMs;
    if (wait === undefined) {
      h.backoff = h.backoff ? h.backoff.next(undefined) : new ExponentialBackoff({ initialDelay: 1_000, maxDelay: 60_000 }).next();
      wait = h.backoff.duration;
    }
    h.cooldownUntil = Math.max(h.cooldownUntil, this.now() + wait);
  }

  /** Milliseconds until the model's rate-limit cooldown ends (0 when it is not cooling down). */
  cooldownRemaining(model: string): number {
    const h = this.models.get(model);
    return h ? Math.max(0, h.cooldownUntil - this.now()) : 0;
  }

  /** Smoothed time to first token, when known. */
  latency(model: string): number | undefined {
    return this.models.get(model)?.ttftEwmaMs;
  }

  /** Forgets everything (a new key or base URL makes past verdicts meaningless). */
  reset(): void {
    this.models.clear();
  }
}
