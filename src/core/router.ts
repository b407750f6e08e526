/**
 * The router: plans the candidate chain for a task and runs a request through it, streaming events
 * and failing over silently. Read top to bottom, each failover rule of DESIGN.md appears once, marked
 * `RULE:`.
 */
import { GatewayError, classify, isGatewayError, clip, type Classification, type FailureReason, type Fix } from './errors';
import type { ChatGateway, ToolSchema, Usage } from './gateway';
import { Health, type Ticket } from './resilience/health';
import { Attempt, AttemptAborted } from './resilience/attempt';
import { firstTokenDeadline, hedgeDelay, poolOrder as choosePoolOrder, reorderDegraded, type Deadline } from './resilience/policies';
import { POOL_PREFIX, candidateChain, type SwitchboardConfig } from './routes';
import type { ComplexityEstimate } from './routing/complexity';
import { applyCostMode } from './routing/costMode';
import { continuationMessages, type ChatMessage, type TaskType } from './tasks';
import { ToolCallAssembler, type ToolCall } from './tools/assemble';

export interface Candidate {
  model: string;
  maxTokens: number;
  temperature: number;
}

export interface RouteRequest {
  task: TaskType;
  messages: ChatMessage[];
  /** A model the user picked; it goes first, the task's chain follows as fallbacks. */
  model?: string;
  /** How hard the request looks; with a cost mode other than quality it may start on a cheaper model. */
  complexity?: ComplexityEstimate;
  /** Functions the model may call (a tool loop's step); the answer may then be tool calls instead of text. */
  tools?: ToolSchema[];
  toolChoice?: 'auto' | 'none' | 'required';
  /** Interactive work (chat, editor actions) may be hedged; batch work never is. */
  hedge?: boolean;
  /** The plan to run, when the caller already made one (so a pool's choice and the log line agree). */
  plan?: RoutePlan;
}

/** One line of the story of a request: who was tried and what they answered. */
export interface AttemptRecord {
  model: string;
  outcome: 'answered' | 'failed' | 'skipped' | 'cancelled' | 'lost_race';
  reason?: FailureReason | 'cooling_down' | 'circuit_open' | 'unsupported';
  status?: number;
  /** `rate-limited (429)`, `server error (500)`, `skipped: cooling down for 12 s`. */
  summary: string;
  ttftMs?: number;
  durationMs: number;
}

export type RouterEvent =
  | { type: 'start'; model: string; attempt: number; task: TaskType; continuing: boolean }
  | { type: 'delta'; model: string; text: string }
  /** Reasoning text, streamed apart from the answer; a new attempt that is not a continuation starts it over. */
  | { type: 'reasoning'; model: string; text: string }
  | { type: 'failover'; from: string; to: string; reason: FailureReason; summary: string; status?: number }
  /** Every candidate is rate-limited: the router waits once, bounded, and then tries again. */
  | { type: 'waiting'; ms: number; reason: 'rate_limited'; userText: string }
  /** `from` sent nothing within `afterMs`: `to` starts in parallel, and the first to stream answers. */
  | { type: 'hedge'; from: string; to: string; afterMs: number }
  | { type: 'usage'; model: string; usage: Usage }
  | {
      type: 'done';
      model: string;
      /** Every model that contributed text, in order (more than one after a mid-stream continuation). */
      models: string[];
      text: string;
      finishReason: string;
      cancelled: boolean;
      usage: Usage;
      attempts: AttemptRecord[];
      /** The calls the answering model made (empty for a plain answer), assembled from its stream. */
      toolCalls: ToolCall[];
      /** Set when a hedge race decided who answered: the winner streamed first, the loser was stopped. */
      hedge?: HedgeResult;
    }
  | {
      type: 'error';
      reason: FailureReason | 'all_failed';
      userText: string;
      fix?: Fix;
      /** Text already streamed is kept: the view shows it above the error. */
      text: string;
      attempts: AttemptRecord[];
    };

export interface HedgeResult {
  winner: string;
  loser: string;
  afterMs: number;
}

export interface RouterOptions {
  gateway: ChatGateway;
  /** Read on every run, so settings changes apply without a reload. */
  config: () => SwitchboardConfig;
  health?: Health;
  /** How many times, at most, the router waits out a storm of 429s within one request. */
  maxRateLimitWaits?: number;
  /** A model's blended price (USD per million tokens), for the cost modes' choice of the cheapest. */
  price?: (model: string) => number | undefined;
  /** A model's context window in tokens, when known (usage/prices.ts). */
  contextWindow?: (model: string) => number | undefined;
  /** Random numbers in [0, 1) for a pool's choice (tests inject their own). */
  random?: () => number;
}

export interface RoutePlan {
  candidates: Candidate[];
  /** Why the first model is not the table's primary, when a cost mode chose it. */
  note?: string;
  /** Models health moved behind the next candidate, one line each (`gpt-5 asked after claude-sonnet-4: slow (…)`). */
  moved?: string[];
}

/**
 * The ordered candidates for a task, each with the task's limits: a model the user picked first;
 * otherwise the cost mode's choice for this complexity, then the task's chain.
 */
export function planRoute(
  task: TaskType,
  config: SwitchboardConfig,
  options: {
    pick?: string;
    complexity?: ComplexityEstimate;
    price?: (model: string) => number | undefined;
    /** The order a pool's members are asked in for this request (default: as listed). */
    poolOrder?: (members: string[]) => string[];
  } = {},
): RoutePlan {
  const { maxTokens, temperature } = config.routes[task];
  const chain = expandPools(candidateChain(config, task), config.pools, options.poolOrder ?? ((m) => m));
  const { pick } = options;
  const choice = pick ? { models: [pick, ...chain.filter((m) => m !== pick)] } : applyCostMode(chain, config.tiers, config.costMode, options.complexity, options.price);
  return { candidates: choice.models.map((model) => ({ model, maxTokens, temperature })), note: choice.note };
}

/** Each `pool:name` becomes its members, in the order chosen for this request; duplicates keep their first place. */
export function expandPools(chain: string[], pools: Record<string, string[]>, order: (members: string[]) => string[]): string[] {
  const out = chain.flatMap((m) => (m.startsWith(POOL_PREFIX) ? order(pools[m.slice(POOL_PREFIX.length)] ?? []) : [m]));
  return [...new Set(out)];
}

/** One attempt in flight: the model's stream, its health ticket and its first-token deadline. */
interface Running {
  candidate: Candidate;
  attempt: Attempt;
  ticket: Ticket;
  deadline: Deadline;
  dispose(): void;
}

/** What one request has gathered across its attempts. */
class Story {
  constructor(readonly candidates: Candidate[]) {}
  text = '';
  readonly usage: Usage = { promptTokens: 0, completionTokens: 0 };
  /** Every model that contributed text, in order. */
  readonly contributors: string[] = [];
  readonly attempts: AttemptRecord[] = [];
  /** Models that failed for this request with something other than a rate limit: not tried again. */
  readonly failedHere = new Set<string>();
  /** After a context-length failure: only models with a larger window may help. */
  minContext = 0;
  waits = 0;
  /** The last failure, announced as a failover when the next model starts. */
  previous: { model: string; c: Classification } | undefined;
  hedge: HedgeResult | undefined;

  cancelled(model: string): RouterEvent {
    return { type: 'done', model, models: this.contributors, text: this.text, finishReason: 'cancelled', cancelled: true, usage: this.usage, attempts: this.attempts, toolCalls: [] };
  }
}

export class Router {
  readonly health: Health;
  private readonly maxRateLimitWaits: number;
  private readonly random: () => number;

  constructor(private readonly options: RouterOptions) {
    this.health = options.health ?? new Health();
    this.maxRateLimitWaits = options.maxRateLimitWaits ?? 2;
    this.random = options.random ?? Math.random;
  }

  private window(model: string): number | undefined {
    return this.options.contextWindow?.(model);
  }

  /** Whether a model may take a prompt that overflowed `minContext` tokens elsewhere (0: no overflow yet). */
  private fits(model: string, minContext: number): boolean {
    return minContext === 0 || (this.window(model) ?? 0) > minContext;
  }

  /**
   * The plan a request would run with, and why its first model was chosen: the table's (or the cost
   * mode's) order, each pool's members ordered by load for this request, and a clearly degraded model
   * moved behind the next candidate. A model the user picked keeps its place.
   */
  route(request: Pick<RouteRequest, 'task' | 'model' | 'complexity'>, config = this.options.config()): RoutePlan {
    const poolOrder = (members: string[]) =>
      choosePoolOrder(members, (m) => ({ outstanding: this.health.outstanding(m), latencyMs: this.health.latency(m), down: this.health.unavailable(m) !== undefined }), this.random);
    const plan = planRoute(request.task, config, { pick: request.model, complexity: request.complexity, price: this.options.price, poolOrder });
    if (request.model) return plan;
    const { models, moved } = reorderDegraded(
      plan.candidates.map((c) => c.model),
      (m) => this.health.history(m),
    );
    if (moved.length === 0) return plan;
    const byModel = new Map(plan.candidates.map((c) => [c.model, c]));
    return { ...plan, candidates: models.map((m) => byModel.get(m)!), moved };
  }

  /** Runs a request to completion, failing over as needed; always ends with one `done` or `error` event. */
  async *run(request: RouteRequest, signal: AbortSignal): AsyncGenerator<RouterEvent> {
    const config = this.options.config();
    const { candidates } = request.plan ?? this.route(request, config);
    const story = new Story(candidates);
    const hedging = request.hedge === true && config.hedging.enabled && config.hedging.maxExtraPercent > 0;
    if (hedging) this.health.noteRequest();
    /** An attempt a hedge started that keeps running after the one beside it ended without streaming. */
    let carried: Running | undefined;
    try {
      for (;;) {
        const queue = this.order(candidates, story.failedHere, story.minContext, story.attempts);
        while (carried || queue.length > 0) {
          let current: Running;
          if (carried) {
            current = carried;
            carried = undefined;
          } else {
            const candidate = queue.shift()!;
            // A context-length failure earlier in this round rules out the models whose window is no larger.
            if (!this.fits(candidate.model, story.minContext)) continue;
            // RULE: the user pressed stop: no further attempts, partial text kept.
            if (signal.aborted) {
              yield story.cancelled(candidate.model);
              return;
            }
            current = this.start(candidate, request, story.text, config, signal);
          }
          const { model } = current.candidate;
          if (story.previous) {
            const { c } = story.previous;
            yield { type: 'failover', from: story.previous.model, to: model, reason: c.reason, summary: c.summary, status: c.status };
          }
          yield { type: 'start', model, attempt: story.attempts.length + 1, task: request.task, continuing: story.text.length > 0 };
          if (hedging && !story.hedge) {
            const raced = yield* this.hedge(current, queue, story, config, request, signal);
            current = raced.current;
            carried = raced.carried;
          }
          if ((yield* this.read(current, story, request, config, signal)) === 'over') return;
        }

        // RULE: every candidate is rate-limited: wait for the shortest Retry-After (bounded, announced), then retry.
        const wait = this.rateLimitWait(candidates, story.failedHere, config.timeouts.rateLimitMaxWaitMs);
        if (wait !== undefined && story.waits < this.maxRateLimitWaits) {
          story.waits++;
          yield {
            type: 'waiting',
            ms: wait,
            reason: 'rate_limited',
            userText: `All models are rate-limited; retrying in ${Math.max(1, Math.round(wait / 1000))} s.`,
          };
          if (!(await sleep(wait, signal))) {
            yield story.cancelled(story.previous?.model ?? candidates[0]!.model);
            return;
          }
          story.previous = undefined;
          continue;
        }
        // RULE: every candidate failed: one message listing each model and what it answered.
        yield { type: 'error', reason: 'all_failed', userText: allFailedText(story.attempts), text: story.text, attempts: story.attempts };
        return;
      }
    } finally {
      if (carried) this.abandon(carried);
    }
  }

  /** Starts one model's attempt with its deadline (learned, or the configured one) and its health ticket; stop cancels it. */
  private start(candidate: Candidate, request: RouteRequest, text: string, config: SwitchboardConfig, signal: AbortSignal): Running {
    // RULE: stream dies after partial text: the next model continues from where the text stopped.
    const messages = text ? continuationMessages(request.messages, text) : request.messages;
    // A model with enough history gets a deadline learned from its own latency instead of the configured one.
    const deadline = firstTokenDeadline(this.health.history(candidate.model), config.timeouts.firstTokenMs);
    const ticket = this.health.begin(candidate.model);
    const attempt = new Attempt(
      this.options.gateway,
      {
        model: candidate.model,
        messages,
        maxTokens: candidate.maxTokens,
        temperature: candidate.temperature,
        ...(request.tools?.length ? { tools: request.tools, toolChoice: request.toolChoice } : {}),
      },
      deadline.ms,
      config.timeouts.idleMs,
    );
    const onAbort = () => attempt.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) attempt.cancel();
    return {
      candidate,
      attempt,
      ticket,
      deadline,
      dispose: () => {
        attempt.dispose();
        signal.removeEventListener('abort', onAbort);
      },
    };
  }

  /** Stops an attempt that is no longer wanted: its connection is closed and it counts neither way. */
  private abandon(running: Running): void {
    running.attempt.cancel();
    running.ticket.release();
    running.dispose();
  }

  /**
   * RULE: hedging. The model's first token is later than its usual (its learned p95, or the configured
   * bound without history), and the budget allows: the next candidate starts in parallel, the first to
   * stream answers and the other is stopped at once. When one of the two ends without streaming, it is
   * read (and fails over) while the other is carried on.
   */
  private async *hedge(
    current: Running,
    queue: Candidate[],
    story: Story,
    config: SwitchboardConfig,
    request: RouteRequest,
    signal: AbortSignal,
  ): AsyncGenerator<RouterEvent, { current: Running; carried?: Running }> {
    const delay = hedgeDelay(this.health.history(current.candidate.model), config.hedging.afterMs);
    // The deadline comes first: failover, not a hedge, handles that model.
    if (delay.ms >= current.deadline.ms) return { current };
    const first = await Promise.race([current.attempt.firstContent(), sleep(delay.ms, signal).then(() => 'late' as const)]);
    if (first !== 'late' || signal.aborted) return { current };
    const i = queue.findIndex((c) => this.fits(c.model, story.minContext));
    if (i < 0 || !this.health.takeHedge(config.hedging.maxExtraPercent / 100)) return { current };
    const backup = this.start(queue.splice(i, 1)[0]!, request, story.text, config, signal);
    yield { type: 'hedge', from: current.candidate.model, to: backup.candidate.model, afterMs: delay.ms };
    const firstOf = (r: Running) => r.attempt.firstContent().then((outcome) => ({ r, outcome }));
    const { r: winner, outcome } = await Promise.race([firstOf(current), firstOf(backup)]);
    const other = winner === current ? backup : current;
    if (outcome === 'ended') return { current: winner, carried: other };
    this.abandon(other);
    story.attempts.push({ model: other.candidate.model, outcome: 'lost_race', summary: `stopped: ${winner.candidate.model} streamed first`, durationMs: elapsed(other.attempt.started) });
    this.health.hedged(winner.candidate.model, other.candidate.model);
    story.hedge = { winner: winner.candidate.model, loser: other.candidate.model, afterMs: delay.ms };
    return { current: winner };
  }

  /**
   * Reads one attempt to its end, streaming its events. 'over' when the request ended here (done, error
   * or stop, already yielded); 'failed' when the next candidate should be asked.
   */
  private async *read(current: Running, story: Story, request: RouteRequest, config: SwitchboardConfig, signal: AbortSignal): AsyncGenerator<RouterEvent, 'over' | 'failed'> {
    const { candidate, attempt, ticket, deadline } = current;
    const { started } = attempt;
    let finishReason: string | undefined;
    let attemptTokens = 0;
    let modelText = '';
    const calls = new ToolCallAssembler();
    try {
      for await (const part of attempt.parts()) {
        if (part.type === 'usage') {
          story.usage.promptTokens += part.usage.promptTokens;
          story.usage.completionTokens += part.usage.completionTokens;
          attemptTokens += part.usage.completionTokens;
          yield { type: 'usage', model: candidate.model, usage: part.usage };
        } else if (part.type === 'finish') {
          finishReason = part.reason;
        } else if (part.type === 'text') {
          if (!modelText) story.contributors.push(candidate.model);
          modelText += part.text;
          story.text += part.text;
          yield { type: 'delta', model: candidate.model, text: part.text };
        } else if (part.type === 'reasoning') {
          yield { type: 'reasoning', model: candidate.model, text: part.text };
        } else {
          calls.add(part.deltas);
        }
      }
      const { ttftMs } = attempt;
      // RULE: a stream that ends without a finish_reason was cut: treat it like a dropped connection.
      if (!finishReason) {
        throw new GatewayError({
          message: modelText ? 'the stream ended without a finish reason' : 'the stream ended without any answer',
          transport: modelText ? 'truncated' : 'empty',
        });
      }
      const toolCalls = calls.calls();
      // RULE: an empty answer (no text, no tool call) is not an answer: next candidate.
      if (!story.text && toolCalls.length === 0) {
        throw new GatewayError({ message: `the model finished (${finishReason}) without any text`, transport: 'empty' });
      }
      ticket.success(timing(started, ttftMs, attemptTokens, modelText));
      // RULE: content filter: stop and show it; never route around a provider's safety filter.
      if (finishReason === 'content_filter') {
        const c = classify({ message: 'finish_reason content_filter', code: 'content_filter' });
        story.attempts.push(record(candidate.model, 'failed', c, started, ttftMs));
        yield { type: 'error', reason: c.reason, userText: c.userText, text: story.text, attempts: story.attempts };
        return 'over';
      }
      story.attempts.push({ model: candidate.model, outcome: 'answered', summary: `answered (${finishReason})`, ttftMs, durationMs: elapsed(started) });
      const { text, contributors: models, usage, attempts, hedge } = story;
      yield { type: 'done', model: candidate.model, models, text, finishReason, cancelled: false, usage, attempts, toolCalls, ...(hedge ? { hedge } : {}) };
      return 'over';
    } catch (err) {
      const { ttftMs } = attempt;
      const why = attempt.fired ?? (err instanceof AttemptAborted ? err.why : undefined);
      if (why === 'cancelled' || signal.aborted) {
        ticket.release();
        story.attempts.push({ model: candidate.model, outcome: 'cancelled', summary: 'stopped by the user', ttftMs, durationMs: elapsed(started) });
        yield story.cancelled(candidate.model);
        return 'over';
      }
      const failure =
        why !== undefined
          ? { message: why === 'stalled' ? `no data for ${config.timeouts.idleMs} ms` : noAnswerWithin(deadline), transport: why }
          : isGatewayError(err)
            ? err.failure
            : { message: err instanceof Error ? err.message : String(err), transport: 'network' as const };
      const c = classify(failure);
      ticket.failure(c);
      story.attempts.push(record(candidate.model, 'failed', c, started, ttftMs));
      // RULE: 429 rate limit: next candidate at once; this model cools down (Health) and may be retried after a wait.
      if (c.reason !== 'rate_limited') story.failedHere.add(candidate.model);
      // RULE: 400 context length exceeded: only a candidate with a larger known context may help.
      if (c.reason === 'context_length') {
        // The gateway's own figure ("maximum context length is 131072 tokens") beats the price data's.
        story.minContext = Math.max(story.minContext, contextLimit(failure.message) ?? this.window(candidate.model) ?? Number.MAX_SAFE_INTEGER);
        if (!story.candidates.some((x) => !story.failedHere.has(x.model) && this.fits(x.model, story.minContext))) {
          yield { type: 'error', reason: c.reason, userText: c.userText, text: story.text, attempts: story.attempts };
          return 'over';
        }
      } else if (c.kind === 'fatal') {
        // RULE: 401/402/403, quota and billing, malformed requests: stop and say so; retrying cannot help.
        yield { type: 'error', reason: c.reason, userText: c.userText, ...(c.fix ? { fix: c.fix } : {}), text: story.text, attempts: story.attempts };
        return 'over';
      }
      // RULE: 5xx, 529, network errors, timeouts, 404 and unsupported parameters: next candidate at once
      // (Health counts the first kind against the model's breaker and remembers the last two).
      story.previous = { model: candidate.model, c };
      return 'failed';
    } finally {
      current.dispose();
    }
  }

  /**
   * The candidates to try in this round: healthy ones in chain order. Models skipped as known-down
   * cost nothing; if every remaining model is known-down, they are tried anyway rather than not at all.
   */
  private order(candidates: Candidate[], failedHere: Set<string>, minContext: number, attempts: AttemptRecord[]): Candidate[] {
    const open = candidates.filter((c) => !failedHere.has(c.model) && this.fits(c.model, minContext));
    const healthy: Candidate[] = [];
    const knownDown: Candidate[] = [];
    for (const c of open) {
      const why = this.health.unavailable(c.model);
      if (!why) healthy.push(c);
      else {
        if (!attempts.some((a) => a.model === c.model && a.outcome === 'skipped')) {
          attempts.push({ model: c.model, outcome: 'skipped', reason: why.why, summary: `skipped: ${this.health.describe(why)}`, durationMs: 0 });
        }
        if (why.why === 'circuit_open') knownDown.push(c);
      }
    }
    return healthy.length > 0 ? healthy : knownDown;
  }

  /** When every remaining candidate is only cooling down, how long until the first one may be tried. */
  private rateLimitWait(candidates: Candidate[], failedHere: Set<string>, maxWaitMs: number): number | undefined {
    const waiting = candidates.filter((c) => !failedHere.has(c.model)).map((c) => this.health.cooldownRemaining(c.model));
    if (waiting.length === 0 || waiting.some((ms) => ms === 0)) return undefined;
    const shortest = Math.min(...waiting);
    return shortest <= maxWaitMs ? shortest : undefined;
  }
}

/** The token limit a context-length error states, if it states one. */
export function contextLimit(message: string): number | undefined {
  const m = /(?:maximum context length|context window|context length|max(?:imum)? (?:prompt|input) tokens?)\D{0,20}?(\d{4,8})/i.exec(message);
  return m ? Number(m[1]) : undefined;
}

/** `no answer within 2000 ms (learned from its p95 of 1000 ms)`. */
function noAnswerWithin(deadline: Deadline): string {
  return deadline.learned ? `no answer within ${deadline.ms} ms (learned from its p95 of ${deadline.p95Ms} ms)` : `no answer within ${deadline.ms} ms`;
}

/** What an answered attempt measured: time to first token, and output speed once there is enough to tell. */
function timing(started: number, ttftMs: number | undefined, reportedTokens: number, text: string) {
  if (ttftMs === undefined) return {};
  const streamingS = (performance.now() - started - ttftMs) / 1000;
  // Without a usage chunk, about four characters per token.
  const tokens = reportedTokens || Math.round(text.length / 4);
  return streamingS >= 0.2 && tokens >= 10 ? { ttftMs, tokensPerSecond: tokens / streamingS } : { ttftMs };
}

function record(model: string, outcome: AttemptRecord['outcome'], c: Classification, started: number, ttftMs?: number): AttemptRecord {
  return { model, outcome, reason: c.reason, status: c.status, summary: c.summary, ttftMs, durationMs: elapsed(started) };
}

function elapsed(since: number): number {
  return Math.round((performance.now() - since) * 10) / 10;
}

function allFailedText(attempts: AttemptRecord[]): string {
  const lines = attempts.filter((a) => a.outcome !== 'answered').map((a) => `${a.model}: ${a.summary}`);
  return `Every model failed. ${clip(lines.join('; '), 1000)}.`;
}

/** Resolves true after `ms`, or false as soon as the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
