/** Default routing table, tiers and the validation of user overrides. No `vscode` import. */
import * as z from 'zod/mini';
import { COST_MODES, DEFAULT_TIERS, TIERS, type CostMode, type TierTable } from './routing/costMode';
import { DEFAULT_ACTION_TASKS, TASK_TYPES, type EditorAction, type TaskType } from './tasks';
import type { PriceOverride } from './usage/prices';

export interface Route {
  primary: string;
  fallbacks: string[];
  maxTokens: number;
  temperature: number;
}

export interface Timeouts {
  /** From sending the request to the first content token; a silent model is abandoned after this. */
  firstTokenMs: number;
  /** Longest gap between two content events once streaming (keep-alive comments do not count). */
  idleMs: number;
  /** Longest single wait when every candidate is rate-limited at once. */
  rateLimitMaxWaitMs: number;
}

export interface Hedging {
  /** Whether interactive requests (chat, editor actions) may be hedged; batch work never is. */
  enabled: boolean;
  /** Where a model has no history yet: how long its first token may take before the next candidate also starts. */
  afterMs: number;
  /** The most extra requests hedging may add, as a share of the interactive requests of the last 10 minutes. */
  maxExtraPercent: number;
}

export type RoutedAction = Exclude<EditorAction, 'chat'>;

/** `pool:economy` names the pool `economy` wherever a model name is allowed. */
export const POOL_PREFIX = 'pool:';

export interface SwitchboardConfig {
  routes: Record<TaskType, Route>;
  globalFallbacks: string[];
  actionTasks: Record<RoutedAction, TaskType>;
  translationLanguage: string;
  timeouts: Timeouts;
  /** How cheap a model a request may get (routing/costMode.ts). */
  costMode: CostMode;
  tiers: TierTable;
  /** `switchboard.prices`: USD per million tokens (and a context window) by model, over the price library. */
  prices: Record<string, PriceOverride>;
  hedging: Hedging;
  /** `switchboard.pools`: named sets of models the user considers equivalent. */
  pools: Record<string, string[]>;
}

const route = (primary: string, fallback: string, maxTokens: number, temperature: number): Route => ({
  primary,
  fallbacks: [fallback],
  maxTokens,
  temperature,
});

/** The product brief's defaults (DESIGN.md). */
export const DEFAULT_ROUTES: Record<TaskType, Route> = {
  code_generation: route('claude-opus-4', 'gpt-5', 4096, 0.2),
  code_review: route('gpt-5', 'claude-sonnet-4', 4096, 0.1),
  creative_writing: route('gpt-5', 'claude-opus-4', 8192, 0.9),
  data_analysis: route('gemini-2.5-pro', 'gpt-5-mini', 4096, 0.1),
  translation: route('deepseek-v4', 'qwen3-235b', 4096, 0.3),
  math_reasoning: route('gpt-5', 'deepseek-v4', 4096, 0.0),
  general_qa: route('gpt-5-mini', 'deepseek-v4', 2048, 0.5),
  summarization: route('gpt-5-mini', 'claude-sonnet-4', 2048, 0.3),
};

export const DEFAULT_GLOBAL_FALLBACKS = ['gpt-5', 'claude-opus-4', 'gemini-2.5-pro', 'deepseek-v4', 'gpt-5-mini'];

/**
 * Interactive defaults: a model that accepts the connection and never answers costs at most 15 s
 * before the next one starts; a stream quiet for 20 s is considered dead (reasoning models can pause).
 */
export const DEFAULT_TIMEOUTS: Timeouts = { firstTokenMs: 15_000, idleMs: 20_000, rateLimitMaxWaitMs: 30_000 };

export const DEFAULT_HEDGING: Hedging = { enabled: true, afterMs: 3_000, maxExtraPercent: 10 };

export const DEFAULT_CONFIG: SwitchboardConfig = {
  routes: DEFAULT_ROUTES,
  globalFallbacks: DEFAULT_GLOBAL_FALLBACKS,
  actionTasks: DEFAULT_ACTION_TASKS,
  translationLanguage: 'English',
  timeouts: DEFAULT_TIMEOUTS,
  costMode: 'quality',
  tiers: DEFAULT_TIERS,
  prices: {},
  hedging: DEFAULT_HEDGING,
  pools: {},
};

/**
 * The ordered candidate chain for a task: its primary, its fallbacks, then the global chain, without
 * duplicates. A `pool:name` entry stays as it is; planRoute expands it into the pool's members.
 */
export function candidateChain(config: SwitchboardConfig, task: TaskType): string[] {
  const r = config.routes[task];
  return [...new Set([r.primary, ...r.fallbacks, ...config.globalFallbacks])];
}

// ---- validation of user overrides -------------------------------------------------------------

const modelName = z.string({ error: 'expected a model name' }).check(
  z.minLength(1, { error: 'expected a model name' }),
  z.maxLength(200, { error: 'expected a model name (at most 200 characters)' }),
  z.regex(/^[\w.\-/:@+]+$/, { error: 'expected a model name (letters, digits and . - _ / : @ +)' }),
);

const LEAVES = {
  primary: modelName,
  fallbacks: z.array(modelName, { error: 'expected a list of model names' }),
  maxTokens: z
    .int({ error: 'expected a whole number of tokens' })
    .check(z.gte(1, { error: 'expected at least 1 token' }), z.lte(1_000_000, { error: 'expected at most 1000000 tokens' })),
  temperature: z
    .number({ error: 'expected a number from 0 to 2' })
    .check(z.gte(0, { error: 'expected a number from 0 to 2' }), z.lte(2, { error: 'expected a number from 0 to 2' })),
} satisfies Record<keyof Route, z.ZodMiniType>;

const taskType = z.enum(TASK_TYPES, { error: `expected one of ${TASK_TYPES.join(', ')}` });
const ms = (min: number, max: number) => {
  const error = `expected whole milliseconds from ${min} to ${max}`;
  return z.int({ error }).check(z.gte(min, { error }), z.lte(max, { error }));
};
const TIMEOUT_LEAVES = {
  firstTokenMs: ms(100, 600_000),
  idleMs: ms(100, 600_000),
  rateLimitMaxWaitMs: ms(0, 600_000),
} satisfies Record<keyof Timeouts, z.ZodMiniType>;
const usd = z.number({ error: 'expected US dollars per million tokens (a number, 0 or more)' }).check(z.gte(0, { error: 'expected US dollars per million tokens (a number, 0 or more)' }), z.lte(10_000, { error: 'expected at most 10000 US dollars per million tokens' }));
const PRICE_LEAVES = {
  input: usd,
  output: usd,
  contextWindow: z.int({ error: 'expected a whole number of tokens' }).check(z.gte(1, { error: 'expected at least 1 token' }), z.lte(100_000_000, { error: 'expected at most 100000000 tokens' })),
} satisfies Record<keyof PriceOverride, z.ZodMiniType>;
const HEDGING_LEAVES = {
  enabled: z.boolean({ error: 'expected true or false' }),
  afterMs: ms(100, 600_000),
  maxExtraPercent: z.number({ error: 'expected a percentage from 0 to 100' }).check(z.gte(0, { error: 'expected a percentage from 0 to 100' }), z.lte(100, { error: 'expected a percentage from 0 to 100' })),
} satisfies Record<keyof Hedging, z.ZodMiniType>;
const POOL_NAME = /^[\w.-]{1,60}$/;
const costMode = z.enum(COST_MODES, { error: `expected one of ${COST_MODES.join(', ')}` });
const language = z.string({ error: 'expected a language name such as English' }).check(
  z.regex(/\S/, { error: 'expected a language name such as English' }),
  z.maxLength(60, { error: 'expected a language name of at most 60 characters' }),
);

/** The raw shape read from settings (everything under `switchboard.`), before validation. */
export interface RawSettings {
  routes?: unknown;
  globalFallbacks?: unknown;
  actionTasks?: unknown;
  translation?: unknown;
  timeouts?: unknown;
  costMode?: unknown;
  tiers?: unknown;
  prices?: unknown;
  hedging?: unknown;
  pools?: unknown;
}

export type SettingSource = 'default' | 'user' | 'workspace' | 'workspaceFolder';

export interface SettingsProblem {
  /** The full settings key, e.g. `switchboard.routes.code_review.primary`. */
  key: string;
  message: string;
}

export interface ResolvedSettings {
  config: SwitchboardConfig;
  /** Where each leaf came from, keyed by full settings key; absent keys are defaults. */
  sources: Record<string, SettingSource>;
  problems: SettingsProblem[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function firstMessage(error: { issues: Array<{ message: string }> }): string {
  return error.issues[0]?.message ?? 'invalid value';
}

/**
 * Merges settings layers (lowest priority first) over the defaults. Each bad value is reported with
 * its exact key and replaced by the value below it; nothing else is affected.
 */
export function resolveSettings(layers: Array<{ source: SettingSource; values: RawSettings }>): ResolvedSettings {
  const config: SwitchboardConfig = structuredClone(DEFAULT_CONFIG);
  const sources: Record<string, SettingSource> = {};
  const problems: SettingsProblem[] = [];

  const leaf = <T>(key: string, schema: z.ZodMiniType<T>, value: unknown, source: SettingSource, apply: (v: T) => void) => {
    if (value === undefined) return;
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      problems.push({ key, message: `${firstMessage(parsed.error)}, got ${describe(value)}` });
      return;
    }
    apply(parsed.data);
    sources[key] = source;
  };
  const section = (key: string, value: unknown, each: (name: string, v: unknown) => void) => {
    if (value === undefined) return;
    if (!isRecord(value)) {
      problems.push({ key, message: `expected an object, got ${describe(value)}` });
      return;
    }
    for (const [name, v] of Object.entries(value)) each(name, v);
  };

  /** An object of known fields (`switchboard.timeouts`, `switchboard.hedging`), each validated into `target`. */
  const fields = <T extends object>(base: string, value: unknown, schemas: Record<keyof T, z.ZodMiniType>, target: T, source: SettingSource) =>
    section(base, value, (field, v) => {
      const key = `${base}.${field}`;
      if (!(field in schemas)) {
        problems.push({ key, message: `unknown field; expected ${Object.keys(schemas).join(', ')}` });
        return;
      }
      leaf(key, schemas[field as keyof T] as z.ZodMiniType<unknown>, v, source, (parsed) => {
        (target as Record<string, unknown>)[field] = parsed;
      });
    });

  for (const { source, values } of layers) {
    section('switchboard.routes', values.routes, (task, routeValue) => {
      const base = `switchboard.routes.${task}`;
      if (!(TASK_TYPES as readonly string[]).includes(task)) {
        problems.push({ key: base, message: `unknown task type; expected one of ${TASK_TYPES.join(', ')}` });
        return;
      }
      const target = config.routes[task as TaskType];
      section(base, routeValue, (field, v) => {
        if (!(field in LEAVES)) {
          problems.push({ key: `${base}.${field}`, message: 'unknown field; expected primary, fallbacks, maxTokens or temperature' });
          return;
        }
        const f = field as keyof Route;
        leaf(`${base}.${f}`, LEAVES[f] as z.ZodMiniType<unknown>, v, source, (parsed) => {
          (target as unknown as Record<string, unknown>)[f] = parsed;
        });
      });
    });
    leaf('switchboard.globalFallbacks', LEAVES.fallbacks, values.globalFallbacks, source, (v) => {
      config.globalFallbacks = v;
    });
    section('switchboard.actionTasks', values.actionTasks, (action, v) => {
      const key = `switchboard.actionTasks.${action}`;
      if (!(action in DEFAULT_ACTION_TASKS)) {
        problems.push({ key, message: `unknown editor action; expected one of ${Object.keys(DEFAULT_ACTION_TASKS).join(', ')}` });
        return;
      }
      leaf(key, taskType, v, source, (t) => {
        config.actionTasks[action as RoutedAction] = t;
      });
    });
    section('switchboard.translation', values.translation, (field, v) => {
      if (field !== 'targetLanguage') {
        problems.push({ key: `switchboard.translation.${field}`, message: 'unknown field; expected targetLanguage' });
        return;
      }
      leaf('switchboard.translation.targetLanguage', language, v, source, (l) => {
        config.translationLanguage = l.trim();
      });
    });
    leaf('switchboard.costMode', costMode, values.costMode, source, (m) => {
      config.costMode = m;
    });
    section('switchboard.tiers', values.tiers, (tier, v) => {
      const key = `switchboard.tiers.${tier}`;
      if (!(TIERS as readonly string[]).includes(tier)) {
        problems.push({ key, message: `unknown tier; expected ${TIERS.join(', ')}` });
        return;
      }
      leaf(key, LEAVES.fallbacks, v, source, (models) => {
        config.tiers[tier as keyof TierTable] = models;
      });
    });
    section('switchboard.prices', values.prices, (model, v) => {
      const base = `switchboard.prices.${model}`;
      if (!modelName.safeParse(model).success) {
        problems.push({ key: base, message: 'expected a model name (letters, digits and . - _ / : @ +)' });
        return;
      }
      const next: Partial<PriceOverride> = { ...config.prices[model] };
      section(base, v, (field, value) => {
        if (!(field in PRICE_LEAVES)) {
          problems.push({ key: `${base}.${field}`, message: 'unknown field; expected input, output or contextWindow' });
          return;
        }
        const f = field as keyof PriceOverride;
        leaf(`${base}.${f}`, PRICE_LEAVES[f], value, source, (n) => {
          next[f] = n;
        });
      });
      if (next.input === undefined || next.output === undefined) {
        if (isRecord(v)) problems.push({ key: base, message: 'expected both input and output prices (US dollars per million tokens)' });
        return;
      }
      config.prices[model] = next as PriceOverride;
    });
    fields('switchboard.timeouts', values.timeouts, TIMEOUT_LEAVES, config.timeouts, source);
    fields('switchboard.hedging', values.hedging, HEDGING_LEAVES, config.hedging, source);
    section('switchboard.pools', values.pools, (name, v) => {
      const key = `switchboard.pools.${name}`;
      if (!POOL_NAME.test(name)) {
        problems.push({ key, message: 'expected a pool name (letters, digits and . - _, at most 60)' });
        return;
      }
      leaf(key, LEAVES.fallbacks, v, source, (models) => {
        const nested = models.find((m) => m.startsWith(POOL_PREFIX));
        if (nested) problems.push({ key, message: `a pool lists models, not other pools; got ${JSON.stringify(nested)}` });
        else if (models.length === 0) problems.push({ key, message: 'expected at least one model' });
        else config.pools[name] = [...new Set(models)];
      });
    });
  }
  checkPoolReferences(config, problems);
  return { config, sources, problems };
}

/** A `pool:name` that no pool defines is reported where it is used and left out (a primary falls back to its default). */
function checkPoolReferences(config: SwitchboardConfig, problems: SettingsProblem[]): void {
  const known = (m: string) => !m.startsWith(POOL_PREFIX) || m.slice(POOL_PREFIX.length) in config.pools;
  const message = (m: string) => {
    const names = Object.keys(config.pools);
    return `unknown pool ${JSON.stringify(m.slice(POOL_PREFIX.length))}; ${names.length ? `switchboard.pools defines ${names.join(', ')}` : 'define it in switchboard.pools'}`;
  };
  const list = (key: string, models: string[]): string[] => {
    const bad = models.filter((m) => !known(m));
    for (const m of bad) problems.push({ key, message: message(m) });
    return bad.length ? models.filter(known) : models;
  };
  for (const task of TASK_TYPES) {
    const r = config.routes[task];
    if (!known(r.primary)) {
      problems.push({ key: `switchboard.routes.${task}.primary`, message: message(r.primary) });
      r.primary = DEFAULT_ROUTES[task].primary;
    }
    r.fallbacks = list(`switchboard.routes.${task}.fallbacks`, r.fallbacks);
  }
  config.globalFallbacks = list('switchboard.globalFallbacks', config.globalFallbacks);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
