/**
 * Tokens and cost of every answer, per model and per day, kept through an injected store (the host
 * uses globalState) and bounded to the last MAX_DAYS days. No `vscode` import.
 */
import type { Usage } from '../gateway';

export const MAX_DAYS = 90;

export interface UsageRow {
  /** Local calendar day, YYYY-MM-DD. */
  day: string;
  model: string;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  /** USD, for the requests that had a price. */
  cost: number;
  /** Requests whose tokens were estimated (the gateway sent no usage). */
  estimated: number;
  /** Requests with no known price (their cost is not in `cost`). */
  unpriced: number;
  failovers: number;
}

export interface UsageTotals {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  cost: number;
  estimated: boolean;
  unpriced: boolean;
}

/** Persistence for the ledger: a JSON value in, a JSON value out. */
export interface UsageStore {
  read(): unknown;
  write(rows: UsageRow[]): void | PromiseLike<void>;
}

export interface AnswerUsage {
  model: string;
  usage: Usage;
  /** USD; undefined when the model has no price. */
  cost: number | undefined;
  estimated: boolean;
  failovers: number;
}

/** Prices and a token counter: what an answer's cost is worked out from. */
export interface Pricing {
  cost(model: string, usage: Usage): number | undefined;
  countTokens(text: string): number;
}

/**
 * One answer's cost while it streams (each usage the gateway reports, priced as it arrives), and at the
 * end its usage and cost: counted here, and said to be estimated, when the gateway sent no usage at all.
 */
export class AnswerCost {
  private cost = 0;
  private unpriced = false;
  private reported = false;

  constructor(private readonly pricing: Pricing) {}

  add(model: string, usage: Usage): void {
    this.reported = true;
    const cost = this.pricing.cost(model, usage);
    if (cost === undefined) this.unpriced = true;
    else this.cost += cost;
  }

  settle(model: string, usage: Usage, prompt: string, answer: string): { usage: Usage; cost: number | undefined; estimated: boolean } {
    const estimated = !this.reported && (usage.promptTokens === 0 || usage.completionTokens === 0);
    if (!estimated) return { usage, cost: this.unpriced ? undefined : this.cost, estimated };
    const counted = { promptTokens: this.pricing.countTokens(prompt), completionTokens: this.pricing.countTokens(answer) };
    return { usage: counted, cost: this.pricing.cost(model, counted), estimated };
  }
}

const empty = (): UsageTotals => ({ requests: 0, promptTokens: 0, completionTokens: 0, cost: 0, estimated: false, unpriced: false });

export function localDay(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function isRow(v: unknown): v is UsageRow {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  const num = (k: string) => typeof r[k] === 'number' && Number.isFinite(r[k]) && (r[k] as number) >= 0;
  return typeof r.day === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(r.day) && typeof r.model === 'string' && ['requests', 'promptTokens', 'completionTokens', 'cost', 'estimated', 'unpriced', 'failovers'].every(num);
}

export class UsageLedger {
  private rows: UsageRow[];
  private readonly session = empty();

  constructor(
    private readonly store: UsageStore,
    private readonly now: () => Date = () => new Date(),
  ) {
    const stored = store.read();
    // A damaged or foreign value loses nothing that can be read: each row is checked on its own.
    this.rows = Array.isArray(stored) ? stored.filter(isRow) : [];
    this.prune();
  }

  /** Counts one finished (or failed after some text) answer. */
  record(answer: AnswerUsage): void {
    const day = localDay(this.now());
    let row = this.rows.find((r) => r.day === day && r.model === answer.model);
    if (!row) {
      row = { day, model: answer.model, requests: 0, promptTokens: 0, completionTokens: 0, cost: 0, estimated: 0, unpriced: 0, failovers: 0 };
      this.rows.push(row);
    }
    for (const t of [row, this.session] as const) {
      t.requests += 1;
      t.promptTokens += answer.usage.promptTokens;
      t.completionTokens += answer.usage.completionTokens;
      t.cost += answer.cost ?? 0;
    }
    row.estimated += answer.estimated ? 1 : 0;
    row.unpriced += answer.cost === undefined ? 1 : 0;
    row.failovers += answer.failovers;
    this.session.estimated ||= answer.estimated;
    this.session.unpriced ||= answer.cost === undefined;
    this.prune();
    void this.store.write(this.rows);
  }

  /** Since the extension started. */
  sessionTotals(): UsageTotals {
    return { ...this.session };
  }

  /** Today (local time), all models. */
  today(): UsageTotals {
    return this.sum(this.rows.filter((r) => r.day === localDay(this.now())));
  }

  /** Per model over the kept days, most expensive first. */
  byModel(): Array<UsageTotals & { model: string; failovers: number }> {
    const models = [...new Set(this.rows.map((r) => r.model))];
    return models
      .map((model) => {
        const rows = this.rows.filter((r) => r.model === model);
        return { model, ...this.sum(rows), failovers: rows.reduce((n, r) => n + r.failovers, 0) };
      })
      .sort((a, b) => b.cost - a.cost || b.requests - a.requests);
  }

  /** Cost per day, oldest first, for the days that have usage. */
  byDay(): Array<{ day: string; cost: number; requests: number }> {
    const days = [...new Set(this.rows.map((r) => r.day))].sort();
    return days.map((day) => {
      const t = this.sum(this.rows.filter((r) => r.day === day));
      return { day, cost: t.cost, requests: t.requests };
    });
  }

  private sum(rows: UsageRow[]): UsageTotals {
    const t = empty();
    for (const r of rows) {
      t.requests += r.requests;
      t.promptTokens += r.promptTokens;
      t.completionTokens += r.completionTokens;
      t.cost += r.cost;
      t.estimated ||= r.estimated > 0;
      t.unpriced ||= r.unpriced > 0;
    }
    return t;
  }

  private prune(): void {
    const oldest = new Date(this.now());
    oldest.setDate(oldest.getDate() - (MAX_DAYS - 1));
    const cut = localDay(oldest);
    this.rows = this.rows.filter((r) => r.day >= cut);
  }
}

/** `$0.012`, `≈$0.012` when part of it was estimated, `$0.012+` when some answers had no price. */
export function formatTotal(t: UsageTotals): string {
  return `${t.estimated ? '≈' : ''}${formatCost(t.cost)}${t.unpriced ? '+' : ''}`;
}

/** 12345 → `12,345`, without Intl (whose first use costs milliseconds at activation). */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `$0.0031`, `$1.24`, `<$0.0001`: a cost as the user reads it. */
export function formatCost(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.0001) return '<$0.0001';
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  if (usd < 1) return `$${usd.toFixed(3)}`;
  return `$${usd.toFixed(2)}`;
}
