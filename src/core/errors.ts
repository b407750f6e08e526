/** Every failure, classified once: retry later, fail over now, or stop; and the sentence the user reads. */

/** What went wrong, as the gateway adapter or the router's watchdog observed it. */
export interface GatewayFailure {
  /** HTTP status; absent for network failures and for errors sent inside a 200 stream. */
  status?: number;
  /** Response headers, lower-cased. */
  headers?: Record<string, string>;
  /** Provider error code or type, e.g. `insufficient_quota`, `rate_limit_exceeded`, `overloaded_error`. */
  code?: string;
  type?: string;
  /** The provider's message (or the start of an HTML body), with secrets redacted. */
  message: string;
  /** Failures that are not an HTTP answer. */
  transport?: 'network' | 'first_token_timeout' | 'stalled' | 'malformed' | 'truncated' | 'empty' | 'stream_error';
}

export class GatewayError extends Error {
  constructor(readonly failure: GatewayFailure) {
    super(failure.status ? `${failure.status} ${failure.message}` : failure.message);
    this.name = 'GatewayError';
  }
}

/**
 * A GatewayError from any copy of this module: the gateway ships in a bundle of its own (loaded on the
 * first request), so `instanceof` would not see its errors as this module's class.
 */
export function isGatewayError(err: unknown): err is GatewayError {
  if (err instanceof GatewayError) return true;
  if (!(err instanceof Error) || err.name !== 'GatewayError') return false;
  const failure = (err as { failure?: unknown }).failure;
  return typeof failure === 'object' && failure !== null && typeof (failure as { message?: unknown }).message === 'string';
}

export type ErrorKind = 'retry' | 'failover' | 'fatal';

export type FailureReason =
  | 'rate_limited'
  | 'quota'
  | 'auth'
  | 'forbidden'
  | 'content_filter'
  | 'server_error'
  | 'overloaded'
  | 'network'
  | 'first_token_timeout'
  | 'stalled'
  | 'model_unavailable'
  | 'unsupported_parameter'
  | 'context_length'
  | 'bad_request'
  | 'stream_error'
  | 'malformed_stream'
  | 'truncated'
  | 'empty_answer'
  | 'tool_call_invalid';

/** The action that fixes a fatal error, offered next to its message. */
export type Fix = 'setApiKey' | 'openSettings';

export interface Classification {
  kind: ErrorKind;
  reason: FailureReason;
  status?: number;
  /** How long the gateway asked us to wait, from Retry-After, retry-after-ms or the message text. */
  retryAfterMs?: number;
  /** Whether this failure says the model itself is unhealthy (counts against its circuit breaker). */
  countsAgainstModel: boolean;
  /** Short phrase for lists: `rate-limited (429)`. */
  summary: string;
  /** A whole sentence for the user. */
  userText: string;
  fix?: Fix;
}

const SHORT: Record<FailureReason, string> = {
  rate_limited: 'rate-limited',
  quota: 'out of quota or credits',
  auth: 'refused the API key',
  forbidden: 'access denied',
  content_filter: 'blocked by the provider’s content filter',
  server_error: 'server error',
  overloaded: 'overloaded',
  network: 'could not be reached',
  first_token_timeout: 'sent nothing in time',
  stalled: 'stalled mid-answer',
  model_unavailable: 'model not available',
  unsupported_parameter: 'rejected a request parameter',
  context_length: 'prompt too long for this model',
  bad_request: 'rejected the request',
  stream_error: 'reported an error mid-stream',
  malformed_stream: 'sent a malformed stream',
  truncated: 'ended the answer early',
  empty_answer: 'sent an empty answer',
  tool_call_invalid: 'wrote a tool call that failed validation',
};

const has = (text: string, ...needles: RegExp[]) => needles.some((n) => n.test(text));

/** Maps any failure to retry / failover / fatal. Pure: no I/O, no clock. */
export function classify(failure: GatewayFailure): Classification {
  const text = `${failure.code ?? ''} ${failure.type ?? ''} ${failure.message}`.toLowerCase();
  const retryAfterMs = retryAfter(failure.headers, failure.message);
  const make = (kind: ErrorKind, reason: FailureReason, countsAgainstModel: boolean, fix?: Fix): Classification => {
    const code = failure.status ? ` (${failure.status})` : '';
    const summary = `${SHORT[reason]}${code}`;
    return {
      kind,
      reason,
      status: failure.status,
      retryAfterMs,
      countsAgainstModel,
      summary,
      userText: sentence(reason, failure),
      ...(fix ? { fix } : {}),
    };
  };

  // Text first where gateways (LiteLLM, OpenRouter) wrap a provider's error in another status.
  const quota = has(text, /insufficient_quota|exceeded your current quota|insufficient (credits|balance|funds)|billing|payment required|credit balance/);
  const rateLimit = has(text, /rate[ _-]?limit|too many requests|throttl|requests per (min|sec)|tokens per min|\brpm\b|\btpm\b/);
  const contentFilter = has(text, /content[ _-]?filter|content management policy|content_policy_violation|safety system|responsible ai policy/);
  const contextLength = has(
    text,
    /context[ _-]?length|context window|maximum context|prompt is too long|too many tokens|reduce the length|input is too long|token limit exceeded/,
  );
  const modelMissing = has(
    text,
    /model_not_found|model .*(does not exist|not found|not supported|is not available|unavailable|unknown)|(invalid|unknown|unsupported) model|no (such )?model|no endpoints found/,
  );
  // The model's own output failed the provider's check (Groq's tool_use_failed): that model's failure, not a bad request.
  const toolInvalid = has(text, /tool_use_failed|tool call validation failed|failed to call a function|invalid tool call|failed_generation/);
  const badParam = has(text, /unsupported (parameter|value)|unrecognized request argument|not supported with this model|unknown parameter|invalid_request_parameter|extra inputs are not permitted/);

  const s = failure.status;
  if (s === 401) return make('fatal', 'auth', false, 'setApiKey');
  if (s === 402 || quota) return make('fatal', 'quota', false, 'setApiKey');
  if (s === 403) return modelMissing ? make('failover', 'model_unavailable', false) : make('fatal', 'forbidden', false, 'setApiKey');
  if (contentFilter) return make('fatal', 'content_filter', false);
  if (s === 429 || (rateLimit && (s === undefined || s >= 400))) return make('retry', 'rate_limited', false);
  if (toolInvalid && (s === undefined || s === 400 || s === 422)) return make('failover', 'tool_call_invalid', false);
  if (s === 413 || contextLength) return make('fatal', 'context_length', false);
  if (s === 404 || modelMissing) return make('failover', 'model_unavailable', false);
  if (s === 400 || s === 422) return badParam ? make('failover', 'unsupported_parameter', false) : make('fatal', 'bad_request', false, 'openSettings');
  if (s === 529 || /overloaded/.test(text)) return make('failover', 'overloaded', true);
  if (s !== undefined && (s >= 500 || s === 408 || s === 409 || s === 425)) return make('failover', 'server_error', true);
  switch (failure.transport) {
    case 'first_token_timeout':
      return make('failover', 'first_token_timeout', true);
    case 'stalled':
      return make('failover', 'stalled', true);
    case 'malformed':
      return make('failover', 'malformed_stream', true);
    case 'truncated':
      return make('failover', 'truncated', true);
    case 'empty':
      return make('failover', 'empty_answer', true);
    case 'network':
      return make('failover', 'network', true);
    default:
      // An error inside a 200 stream, or a status we have no rule for: another model may do better.
      return make('failover', s === undefined ? 'stream_error' : 'server_error', true);
  }
}

function sentence(reason: FailureReason, f: GatewayFailure): string {
  const detail = f.message ? ` The gateway said: “${clip(f.message, 200)}”` : '';
  switch (reason) {
    case 'auth':
      return `The gateway refused the API key${f.status ? ` (${f.status})` : ''}. Set a valid key with “Switchboard: Set API Key”.${detail}`;
    case 'quota':
      return `The gateway account is out of quota or credits${f.status ? ` (${f.status})` : ''}. Top it up or set another key.${detail}`;
    case 'forbidden':
      return `The gateway denied access (403). Check that this key may use the model.${detail}`;
    case 'content_filter':
      return `The provider’s content filter blocked this request. Switchboard does not route around safety filters; rephrase the request.${detail}`;
    case 'context_length':
      return `The prompt is too long for the available models. Select less text or start a new chat.${detail}`;
    case 'bad_request':
      return `The gateway rejected the request as malformed${f.status ? ` (${f.status})` : ''}. Check the routing settings (model names, max tokens, temperature).${detail}`;
    default:
      return `${SHORT[reason][0]!.toUpperCase()}${SHORT[reason].slice(1)}${f.status ? ` (${f.status})` : ''}.${detail}`;
  }
}

export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Milliseconds to wait, from `retry-after-ms`, `retry-after` (seconds or HTTP date) or "try again in 1.5s" in the message. */
export function retryAfter(headers: Record<string, string> | undefined, message = '', now = Date.now()): number | undefined {
  const ms = headers?.['retry-after-ms'];
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const ra = headers?.['retry-after']?.trim();
  if (ra) {
    if (/^\d+(\.\d+)?$/.test(ra)) return Math.ceil(Number(ra) * 1000);
    const date = Date.parse(ra);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const m = /try again in\s+(\d+(?:\.\d+)?)\s*(ms|s|sec|seconds?)\b/i.exec(message);
  if (m) return Math.ceil(Number(m[1]) * (m[2]!.toLowerCase() === 'ms' ? 1 : 1000));
  return undefined;
}

/** Removes anything that looks like a key from text bound for logs, errors or the UI. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  return out
    .replace(/\b(Bearer\s+)[^\s"',]+/gi, '$1[redacted]')
    .replace(/\b(sk-[A-Za-z0-9]{0,4})[A-Za-z0-9_\-*.]{8,}/g, '$1…[redacted]');
}
