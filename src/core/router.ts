/**
 * The router: plans the candidate chain for a task and runs a request through it, streaming events
 * and failing over silently. Read top to bottom, each failover rule of DESIGN.md appears once, marked
 * `RULE:`.
 */
import { GatewayError, classify, isGatewayError, clip, type Classification, type FailureReason, type Fix } from './errors';
import type { ChatGateway, StreamPart, ToolSchema, Usage } from './gateway';
import { Health } from './resilience/health';
import { Attempt, AttemptAborted } from './resilience/attempt';
import { firstTokenDeadline, reorderDegraded, type Deadline } from './resilience/policies';
import { candidateChain, type SwitchboardConfig } from './routes';
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
  toolChoice?: 'auto' | 'none';
}

/** One line of the story of a request: who was tried and what they answered. */
export interface AttemptRecord {
  model: string;
  outcome: 'answered' | 'failed' | 'skipped' | 'cancelled';
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
  options: { pick?: string; complexity?: ComplexityEstimate; price?: (model: string) => number | undefined } = {},
): RoutePlan {
  const { maxTokens, temperature } = config.routes[task];
  const chain = candidateChain(config, task);
  const { pick } = options;
  const choice = pick ? { models: [pick, ...chain.filter((m) => m !== pick)] } : applyCostMode(chain, config.tiers, config.costMode, options.complexity, options.price);
  return { candidates: choice.models.map((model) => ({ model, maxTokens, temperature })), note: choice.note };
}

export class Router {
  readonly health: Health;
  private readonly maxRateLimitWaits: number;

  constructor(private readonly options: RouterOptions) {
    this.health = options.health ?? new Health();
    this.maxRateLimitWaits = options.maxRateLimitWaits ?? 2;
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
   * mode's) order, with a clearly degraded model moved behind the next candidate. A model the user
   * picked keeps its place.
   */
  route(request: Pick<RouteRequest, 'task' | 'model' | 'complexity'>, config = this.options.config()): RoutePlan {
    const plan = planRoute(request.task, config, { pick: request.model, complexity: request.complexity, price: this.options.price });
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
    const { candidates } = this.route(request, config);
    const attempts: AttemptRecord[] = [];
    const usage: Usage = { promptTokens: 0, completionTokens: 0 };
    const contributors: string[] = [];
    let text = '';
    let previous: { model: string; c: Classification } | undefined;
    /** Models that failed for this request with something other than a rate limit: not tried again. */
    const failedHere = new Set<string>();
    let minContext = 0;
    let waits = 0;

    const cancelled = (model: string): RouterEvent => ({
      type: 'done',
      model,
      models: contributors,
      text,
      finishReason: 'cancelled',
      cancelled: true,
      usage,
      attempts,
      toolCalls: [],
    });

    for (;;) {
      const round = this.order(candidates, failedHere, minContext, attempts);
      for (const candidate of round) {
        // A context-length failure earlier in this round rules out the models whose window is no larger.
        if (!this.fits(candidate.model, minContext)) continue;
        // RULE: the user pressed stop: no further attempts, partial text kept.
        if (signal.aborted) {
          yield cancelled(candidate.model);
          return;
        }
        if (previous) {
          yield { type: 'failover', from: previous.model, to: candidate.model, reason: previous.c.reason, summary: previous.c.summary, status: previous.c.status };
        }
        yield { type: 'start', model: candidate.model, attempt: attempts.length + 1, task: request.task, continuing: text.length > 0 };
        // RULE: stream dies after partial text: the next model continues from where the text stopped.
        const messages = text ? continuationMessages(request.messages, text) : request.messages;
        // A model with enough history gets a deadline learned from its own latency instead of the configured one.
        const deadline = firstTokenDeadline(this.health.history(candidate.model), config.timeouts.firstTokenMs);
        const ticket = this.health.begin(candidate.model);
        const attempt = new Attempt(
          candidate.model,
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
        const { started } = attempt;
        let finishReason: string | undefined;
        let attemptTokens = 0;
        const onAbort = () => attempt.cancel();
        signal.addEventListener('abort', onAbort, { once: true });
        let modelText = '';
        const calls = new ToolCallAssembler();
        try {
          for await (const part of attempt.parts()) {
            if (part.type === 'usage') {
              usage.promptTokens += part.usage.promptTokens;
              usage.completionTokens += part.usage.completionTokens;
              attemptTokens += part.usage.completionTokens;
              yield { type: 'usage', model: candidate.model, usage: part.usage };
              continue;
            }
            if (part.type === 'finish') {
              finishReason = part.reason;
              continue;
            }
            if (part.type === 'text') {
              if (!modelText) contributors.push(candidate.model);
              modelText += part.text;
              text += part.text;
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
          if (!text && toolCalls.length === 0) {
            throw new GatewayError({ message: `the model finished (${finishReason}) without any text`, transport: 'empty' });
          }
          // RULE: content filter: stop and show it; never route around a provider's safety filter.
          if (finishReason === 'content_filter') {
            const c = classify({ message: 'finish_reason content_filter', code: 'content_filter' });
            ticket.success(timing(started, ttftMs, attemptTokens, modelText));
            attempts.push(record(candidate.model, 'failed', c, started, ttftMs));
            yield { type: 'error', reason: c.reason, userText: c.userText, text, attempts };
            return;
          }
          ticket.success(timing(started, ttftMs, attemptTokens, modelText));
          attempts.push({ model: candidate.model, outcome: 'answered', summary: `answered (${finishReason})`, ttftMs, durationMs: elapsed(started) });
          yield { type: 'done', model: candidate.model, models: contributors, text, finishReason, cancelled: false, usage, attempts, toolCalls };
          return;
        } catch (err) {
          const { ttftMs } = attempt;
          const why = attempt.fired ?? (err instanceof AttemptAborted ? err.why : undefined);
          if (why === 'cancelled' || signal.aborted) {
            ticket.release();
            attempts.push({ model: candidate.model, outcome: 'cancelled', summary: 'stopped by the user', ttftMs, durationMs: elapsed(started) });
            yield cancelled(candidate.model);
            return;
          }
          const failure =
            why !== undefined
              ? { message: why === 'stalled' ? `no data for ${config.timeouts.idleMs} ms` : noAnswerWithin(deadline), transport: why }
              : isGatewayError(err)
                ? err.failure
                : { message: err instanceof Error ? err.message : String(err), transport: 'network' as const };
          const c = classify(failure);
          ticket.failure(c);
          attempts.push(record(candidate.model, 'failed', c, started, ttftMs));
          // RULE: 429 rate limit: next candidate at once; this model cools down (Health) and may be retried after a wait.
          if (c.reason !== 'rate_limited') failedHere.add(candidate.model);
          // RULE: 400 context length exceeded: only a candidate with a larger known context may help.
          if (c.reason === 'context_length') {
            // The gateway's own figure ("maximum context length is 131072 tokens") beats the price data's.
            minContext = Math.max(minContext, contextLimit(failure.message) ?? this.window(candidate.model) ?? Number.MAX_SAFE_INTEGER);
            if (!candidates.some((x) => !failedHere.has(x.model) && this.fits(x.model, minContext))) {
              yield { type: 'error', reason: c.reason, userText: c.userText, text, attempts };
              return;
            }
          } else if (c.kind === 'fatal') {
            // RULE: 401/402/403, quota and billing, malformed requests: stop and say so; retrying cannot help.
            yield { type: 'error', reason: c.reason, userText: c.userText, ...(c.fix ? { fix: c.fix } : {}), text, attempts };
            return;
          }
          // RULE: 5xx, 529, network errors, timeouts, 404 and unsupported parameters: next candidate at once
          // (Health counts the first kind against the model's breaker and remembers the last two for the session).
          previous = { model: candidate.model, c };
        } finally {
          attempt.dispose();
          signal.removeEventListener('abort', onAbort);
        }
      }

      // RULE: every candidate is rate-limited: wait for the shortest Retry-After (bounded, announced), then retry.
      const wait = this.rateLimitWait(candidates, failedHere, config.timeouts.rateLimitMaxWaitMs);
      if (wait !== undefined && waits < this.maxRateLimitWaits) {
        waits++;
        yield {
          type: 'waiting',
          ms: wait,
          reason: 'rate_limited',
          userText: `All models are rate-limited; retrying in ${Math.max(1, Math.round(wait / 1000))} s.`,
        };
        if (!(await sleep(wait, signal))) {
          yield cancelled(previous?.model ?? candidates[0]!.model);
          return;
        }
        previous = undefined;
        continue;
      }
      // RULE: every candidate failed: one message listing each model and what it answered.
      yield { type: 'error', reason: 'all_failed', userText: allFailedText(attempts), text, attempts };
      return;
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
          attempts.push({ model: c.model, outcome: 'skipped', reason: why.why, summary: `skipped: ${this.health.skipReason(c.model)}`, durationMs: 0 });
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
