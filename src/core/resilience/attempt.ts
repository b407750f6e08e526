/**
 * One model's stream with its watchdog: the first-token deadline and the idle timer each abort the
 * request when they fire, and so does cancel(). The stream can be read ahead up to its first content
 * part (firstContent), which is how a hedge races two attempts; parts() then replays what was read.
 */
import type { ChatGateway, CompletionRequest, StreamPart } from '../gateway';

export type AbortWhy = 'first_token_timeout' | 'stalled' | 'cancelled';

export class AttemptAborted extends Error {
  constructor(readonly why: AbortWhy) {
    super(why);
  }
}

/** What firstContent() found: content is streaming, or the stream ended or failed before any. */
export type FirstOutcome = 'content' | 'ended';

export class Attempt {
  readonly started = performance.now();
  /** Time from the request to its first content part (text, reasoning or a tool-call delta). */
  ttftMs: number | undefined;
  private readonly controller = new AbortController();
  private readonly watchdog: Watchdog;
  private readonly iterator: AsyncIterator<StreamPart>;
  /** Parts read ahead by firstContent(), replayed by parts(); a failure read ahead is rethrown there. */
  private readonly ahead: StreamPart[] = [];
  private aheadDone = false;
  private aheadError: { error: unknown } | undefined;
  private first: Promise<FirstOutcome> | undefined;

  constructor(
    gateway: ChatGateway,
    request: CompletionRequest,
    firstTokenMs: number,
    idleMs: number,
  ) {
    this.watchdog = new Watchdog(this.controller, firstTokenMs, idleMs);
    this.iterator = gateway.stream(request, this.controller.signal)[Symbol.asyncIterator]();
  }

  /** Which timer (or cancel) ended the attempt, if one did. */
  get fired(): AbortWhy | undefined {
    return this.watchdog.fired;
  }

  /** Reads ahead until the first content part, the end, or a failure; never rejects. */
  firstContent(): Promise<FirstOutcome> {
    this.first ??= (async () => {
      try {
        for (;;) {
          const next = await this.read();
          if (next.done) {
            this.aheadDone = true;
            return 'ended';
          }
          this.ahead.push(next.value);
          if (isContent(next.value)) return 'content';
        }
      } catch (error) {
        this.aheadError = { error };
        return 'ended';
      }
    })();
    return this.first;
  }

  /** Every part of the stream, read ahead ones first; throws AttemptAborted when a timer ended it. */
  async *parts(): AsyncGenerator<StreamPart> {
    if (this.first) await this.first;
    yield* this.ahead.splice(0);
    if (this.aheadError) throw this.aheadError.error;
    if (!this.aheadDone) {
      for (;;) {
        const next = await this.read();
        if (next.done) break;
        yield next.value;
      }
    }
    this.watchdog.throwIfFired();
  }

  private async read(): Promise<IteratorResult<StreamPart>> {
    const next = await this.iterator.next();
    if (!next.done && isContent(next.value)) {
      // RULE: no first token within the first-token timeout, or a stall between chunks: abort, next candidate.
      this.watchdog.alive();
      this.ttftMs ??= performance.now() - this.started;
    }
    return next;
  }

  /** Stops the attempt: its connection is closed and parts() ends with AttemptAborted('cancelled'). */
  cancel(): void {
    this.watchdog.cancel();
  }

  dispose(): void {
    this.watchdog.dispose();
  }
}

/** Reasoning and tool-call deltas are first tokens too: the model is answering. */
function isContent(part: StreamPart): boolean {
  return part.type !== 'usage' && part.type !== 'finish';
}

/** First-token and idle timers for one attempt; aborting the attempt's controller when either fires. */
class Watchdog {
  fired: AbortWhy | undefined;
  private timer: ReturnType<typeof setTimeout>;

  constructor(
    private readonly controller: AbortController,
    firstTokenMs: number,
    private readonly idleMs: number,
  ) {
    this.timer = setTimeout(() => this.fire('first_token_timeout'), firstTokenMs);
  }

  /** A content event arrived (keep-alive comments never reach here). */
  alive(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire('stalled'), this.idleMs);
  }

  cancel(): void {
    this.fire('cancelled');
  }

  throwIfFired(): void {
    if (this.fired) throw new AttemptAborted(this.fired);
  }

  private fire(why: AbortWhy): void {
    this.fired ??= why;
    this.controller.abort();
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
