/**
 * The gateway's model catalog: what `GET /models` lists, with the metadata some gateways publish
 * (OpenRouter's context_length and per-token pricing), cached per base URL through an injected store.
 * The catalog never blocks a request: it is only read by the model picker and, where it knows a
 * context window or price the price library lacks, by the router. No `vscode` import.
 */
import * as z from 'zod/mini';

export interface CatalogModel {
  id: string;
  contextWindow?: number;
  /** The gateway's own price, USD per million tokens. */
  inputPerMTok?: number;
  outputPerMTok?: number;
}

/** What the store keeps: one gateway's list and when it was read. */
export interface StoredCatalog {
  baseURL: string;
  fetchedAt: number;
  models: CatalogModel[];
}

export interface CatalogStore {
  read(): unknown;
  write(value: StoredCatalog | undefined): void | PromiseLike<void>;
}

/** More than any gateway lists today (OpenRouter: about 400); a longer reply is cut here. */
export const MAX_MODELS = 5_000;
/** A list older than this is read again when the picker opens. */
export const MAX_AGE_MS = 24 * 60 * 60 * 1000;

const count = z.pipe(z.union([z.number(), z.string()]), z.transform((v) => Number(v)));
/** One entry of a `/models` reply, leniently: only `id` is required, unknown fields are ignored. */
const Entry = z.object({
  id: z.string().check(z.minLength(1), z.maxLength(200)),
  context_length: z.optional(z.unknown()),
  context_window: z.optional(z.unknown()),
  top_provider: z.optional(z.unknown()),
  pricing: z.optional(z.unknown()),
});

/** A model as the store keeps it (what parseModelEntry made of a gateway's entry). */
const Kept = z.object({
  id: z.string().check(z.minLength(1), z.maxLength(200)),
  contextWindow: z.optional(z.number().check(z.gt(0))),
  inputPerMTok: z.optional(z.number().check(z.gte(0))),
  outputPerMTok: z.optional(z.number().check(z.gte(0))),
});

function positive(value: unknown): number | undefined {
  const r = count.safeParse(value);
  return r.success && Number.isFinite(r.data) && r.data > 0 ? r.data : undefined;
}

/** A `/models` entry as the catalog keeps it; undefined for an entry without a usable id. */
export function parseModelEntry(raw: unknown): CatalogModel | undefined {
  const r = Entry.safeParse(raw);
  if (!r.success) return undefined;
  const e = r.data;
  const top = typeof e.top_provider === 'object' && e.top_provider !== null ? (e.top_provider as Record<string, unknown>) : {};
  const window = positive(e.context_length) ?? positive(e.context_window) ?? positive(top.context_length);
  const pricing = typeof e.pricing === 'object' && e.pricing !== null ? (e.pricing as Record<string, unknown>) : {};
  // OpenRouter quotes USD per token as strings ("0.000003"); "0" is a real price (free models).
  const perToken = (v: unknown) => {
    const n = count.safeParse(v);
    return n.success && Number.isFinite(n.data) && n.data >= 0 ? n.data * 1_000_000 : undefined;
  };
  const input = perToken(pricing.prompt);
  const output = perToken(pricing.completion);
  return {
    id: e.id,
    ...(window ? { contextWindow: Math.round(window) } : {}),
    ...(input !== undefined && output !== undefined ? { inputPerMTok: round(input), outputPerMTok: round(output) } : {}),
  };
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

function isStored(v: unknown): v is StoredCatalog {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return typeof s.baseURL === 'string' && typeof s.fetchedAt === 'number' && Array.isArray(s.models);
}

export interface CatalogState {
  models: CatalogModel[];
  fetchedAt?: number;
  /** Why the last read failed (the list shown is then the cached one, or none). */
  error?: string;
}

export class ModelCatalog {
  private stored: StoredCatalog | undefined;
  private error: { baseURL: string; text: string } | undefined;
  private byId = new Map<string, CatalogModel>();
  private inflight: { baseURL: string; promise: Promise<CatalogState> } | undefined;

  constructor(
    private readonly store: CatalogStore,
    private readonly now: () => number = Date.now,
  ) {
    const raw = store.read();
    if (isStored(raw)) this.remember({ ...raw, models: raw.models.filter((m) => Kept.safeParse(m).success) }, false);
  }

  /** The cached list for a gateway (empty when none, or when it belongs to another base URL). */
  state(baseURL: string): CatalogState {
    const s = this.stored?.baseURL === baseURL ? this.stored : undefined;
    const error = this.error?.baseURL === baseURL ? this.error.text : undefined;
    return { models: s?.models ?? [], ...(s ? { fetchedAt: s.fetchedAt } : {}), ...(error ? { error } : {}) };
  }

  /** What the gateway published about one model, if it is listed. */
  info(model: string): CatalogModel | undefined {
    return this.byId.get(model);
  }

  /** Whether the cached list for this gateway is missing or older than MAX_AGE_MS. */
  stale(baseURL: string): boolean {
    const s = this.stored;
    return !s || s.baseURL !== baseURL || this.now() - s.fetchedAt > MAX_AGE_MS;
  }

  /**
   * Reads the list again with `list` (one read at a time per gateway). A failure keeps the cached list
   * and is reported in the state's `error`, never thrown.
   */
  refresh(baseURL: string, list: () => Promise<unknown[]>): Promise<CatalogState> {
    if (this.inflight?.baseURL === baseURL) return this.inflight.promise;
    const promise = (async () => {
      try {
        this.accept(baseURL, await list());
      } catch (err) {
        this.error = { baseURL, text: err instanceof Error ? err.message : String(err) };
      }
      return this.state(baseURL);
    })().finally(() => {
      if (this.inflight?.promise === promise) this.inflight = undefined;
    });
    this.inflight = { baseURL, promise };
    return promise;
  }

  /** Takes a list read elsewhere (the key check reads it anyway). */
  accept(baseURL: string, entries: unknown[]): void {
    const seen = new Set<string>();
    const models: CatalogModel[] = [];
    for (const raw of entries) {
      const m = parseModelEntry(raw);
      if (!m || seen.has(m.id)) continue;
      seen.add(m.id);
      models.push(m);
      if (models.length >= MAX_MODELS) break;
    }
    this.error = undefined;
    this.remember({ baseURL, fetchedAt: this.now(), models }, true);
  }

  /** Forgets the list (a new key or base URL): the next picker opens with a fresh read. */
  invalidate(): void {
    this.error = undefined;
    if (!this.stored) return;
    this.remember(undefined, true);
  }

  private remember(value: StoredCatalog | undefined, persist: boolean): void {
    this.stored = value;
    this.byId = new Map((value?.models ?? []).map((m) => [m.id, m]));
    if (persist) void this.store.write(value);
  }
}

export interface PickerEntry {
  id: string;
  /** The tasks that route to this model, in table order (empty for the gateway's other models). */
  routedFor: string[];
  /** The gateway lists it (false: routed, but missing from the gateway's list). */
  listed: boolean;
}

/**
 * The picker's order: the routed models first (in routing order, with the tasks they serve), then
 * every other model the gateway lists, alphabetically. A routed model the gateway does not list is
 * kept, marked, so a typo in a route shows up here.
 */
export function pickerEntries(listed: readonly CatalogModel[], routes: ReadonlyArray<{ task: string; models: readonly string[] }>): PickerEntry[] {
  const ids = new Set(listed.map((m) => m.id));
  const routed = new Map<string, string[]>();
  for (const { task, models } of routes) {
    for (const m of models) {
      const tasks = routed.get(m) ?? [];
      if (!tasks.includes(task)) tasks.push(task);
      routed.set(m, tasks);
    }
  }
  const first = [...routed].map(([id, routedFor]) => ({ id, routedFor, listed: ids.size === 0 || ids.has(id) }));
  const rest = [...ids].filter((id) => !routed.has(id)).sort((a, b) => a.localeCompare(b)).map((id) => ({ id, routedFor: [], listed: true }));
  return [...first, ...rest];
}

/** `200K`, `1M`, `131K`: a context window as a picker shows it. */
export function formatTokens(n: number): string {
  if (n >= 1_000_000) return `${+(n / 1_000_000).toFixed(n % 1_000_000 === 0 ? 0 : 1)}M`;
  if (n >= 1_000) return `${Math.round(n / 1_000)}K`;
  return String(n);
}

/** `$3 / $15 per M tokens` (input / output). */
export function formatPrice(inputPerMTok: number, outputPerMTok: number): string {
  const usd = (n: number) => (n === 0 ? '$0' : n < 0.01 ? `$${n.toPrecision(2)}` : `$${+n.toFixed(2)}`);
  return `${usd(inputPerMTok)} / ${usd(outputPerMTok)} per M tokens`;
}
