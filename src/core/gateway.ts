/** Chat-completions streaming over the openai SDK: the only module that imports `openai`. */
import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import { GatewayError, redact, type GatewayFailure } from './errors';
import type { ChatMessage } from './tasks';
import type { ToolCallDelta } from './tools/assemble';

export interface GatewayConfig {
  baseURL: string;
  apiKey: string;
  /** Extra headers the user configured (application-scoped settings only). */
  headers?: Record<string, string>;
  /** For tests and benchmarks that need to observe requests leaving; defaults to global fetch. */
  fetch?: typeof fetch;
}

export interface CompletionRequest {
  model: string;
  messages: ChatMessage[];
  maxTokens: number;
  temperature: number;
  /** Functions the model may call; absent, the request carries no `tools` at all. */
  tools?: ToolSchema[];
  /**
   * `none` lets the model see the tools (and its earlier calls) but not call one: the last step of a loop;
   * `required` makes it call one (a VS Code language model caller's LanguageModelChatToolMode.Required).
   */
  toolChoice?: 'auto' | 'none' | 'required';
}

/** A function the model may call: its JSON Schema parameters as chat completions takes them. */
export interface ToolSchema {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/** What a stream yields, already reduced to what the router needs. */
export type StreamPart =
  | { type: 'text'; text: string }
  /** The model's reasoning (`reasoning_content` or `reasoning`): shown apart, never part of the answer. */
  | { type: 'reasoning'; text: string }
  /** Raw tool-call deltas; the router assembles them (tools/assemble.ts). */
  | { type: 'tool_calls'; deltas: ToolCallDelta[] }
  | { type: 'usage'; usage: Usage }
  | { type: 'finish'; reason: string };

/** The contract the router depends on; the simulator-backed tests use the real implementation. */
export interface ChatGateway {
  stream(request: CompletionRequest, signal: AbortSignal): AsyncIterable<StreamPart>;
}

// Headers the SDK may add from the environment (OPENAI_CUSTOM_HEADERS, OPENAI_ORG_ID, OPENAI_PROJECT_ID)
// are dropped: only what Switchboard itself sets may leave the machine.
const SDK_HEADERS = /^(authorization|content-type|content-length|accept|user-agent|x-stainless-[\w-]+|idempotency-key)$/i;

/** Adapter for one base URL and key. */
export class Gateway implements ChatGateway {
  private readonly client: OpenAI;
  /** Gateways that reject `stream_options` are remembered so usage is not asked for again. */
  private streamOptionsRejected = false;
  /** Per model: parameters the gateway rejected for it, rewritten on later requests. */
  private readonly quirks = new Map<string, { maxCompletionTokens?: boolean; noTemperature?: boolean }>();

  constructor(private readonly config: GatewayConfig) {
    const allowed = new Set(Object.keys(config.headers ?? {}).map((h) => h.toLowerCase()));
    const baseFetch = config.fetch ?? fetch;
    const filteredFetch: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      for (const name of [...headers.keys()]) if (!SDK_HEADERS.test(name) && !allowed.has(name)) headers.delete(name);
      return baseFetch(input, { ...init, headers });
    };
    this.client = new OpenAI({
      // Explicit, always: left undefined the SDK would read OPENAI_BASE_URL / OPENAI_API_KEY from the environment.
      baseURL: config.baseURL,
      apiKey: config.apiKey,
      organization: null,
      project: null,
      adminAPIKey: null,
      webhookSecret: null,
      // The router owns every retry and every timeout.
      maxRetries: 0,
      timeout: 10 * 60_000,
      logLevel: 'off',
      defaultHeaders: config.headers ?? {},
      fetch: filteredFetch,
    });
  }

  /** Streams one completion; throws GatewayError for anything that is not a clean stream. */
  async *stream(request: CompletionRequest, signal: AbortSignal): AsyncGenerator<StreamPart> {
    let stream;
    for (let tries = 0; ; tries++) {
      try {
        stream = await this.client.chat.completions.create(this.body(request), { signal });
        break;
      } catch (err) {
        // One immediate rewrite for a dialect difference (not a retry of the same request).
        if (tries === 0 && this.learnQuirk(request.model, err)) continue;
        if (signal.aborted) return;
        throw this.toGatewayError(err);
      }
    }
    try {
      for await (const chunk of stream) {
        // With n > 1 a chunk may carry only other choices; only the first choice is the answer.
        const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
        const delta = choice?.delta as (Record<string, unknown> & { content?: unknown; refusal?: unknown }) | undefined;
        if (delta) {
          const text = (typeof delta.content === 'string' ? delta.content : '') + (typeof delta.refusal === 'string' ? delta.refusal : '');
          if (text) yield { type: 'text', text };
          const reasoning = typeof delta.reasoning_content === 'string' ? delta.reasoning_content : typeof delta.reasoning === 'string' ? delta.reasoning : '';
          if (reasoning) yield { type: 'reasoning', text: reasoning };
          if (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0) yield { type: 'tool_calls', deltas: delta.tool_calls as ToolCallDelta[] };
        }
        if (chunk.usage) {
          yield {
            type: 'usage',
            usage: { promptTokens: chunk.usage.prompt_tokens ?? 0, completionTokens: chunk.usage.completion_tokens ?? 0 },
          };
        }
        if (choice?.finish_reason) {
          // OpenRouter ends a failed stream with finish_reason "error" (its error object comes first).
          if ((choice.finish_reason as string) === 'error') {
            throw new GatewayError({ message: 'the model ended the stream with an error', transport: 'stream_error' });
          }
          yield { type: 'finish', reason: choice.finish_reason };
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      throw this.toGatewayError(err);
    }
  }

  /**
   * `GET /models`: the entries as the gateway sent them (an id, and whatever metadata it adds); also a
   * cheap check that the key is accepted.
   */
  async listModels(signal?: AbortSignal): Promise<unknown[]> {
    try {
      const entries: unknown[] = [];
      for await (const m of this.client.models.list({ signal })) entries.push(m);
      return entries;
    } catch (err) {
      throw this.toGatewayError(err);
    }
  }

  private body(request: CompletionRequest): OpenAI.Chat.ChatCompletionCreateParamsStreaming {
    const q = this.quirks.get(request.model) ?? {};
    return {
      model: request.model,
      messages: request.messages.map(toWire),
      ...(request.tools?.length
        ? {
            tools: request.tools.map((t) => ({ type: 'function' as const, function: { name: t.name, description: t.description, parameters: t.parameters } })),
            tool_choice: request.toolChoice ?? 'auto',
          }
        : {}),
      stream: true,
      ...(this.streamOptionsRejected ? {} : { stream_options: { include_usage: true } }),
      ...(q.maxCompletionTokens ? { max_completion_tokens: request.maxTokens } : { max_tokens: request.maxTokens }),
      ...(q.noTemperature ? {} : { temperature: request.temperature }),
    };
  }

  /** Learns from a 400 that names a parameter this gateway or model does not take; true when the request changed. */
  private learnQuirk(model: string, err: unknown): boolean {
    if (!(err instanceof APIError) || err.status !== 400) return false;
    const text = `${err.param ?? ''} ${err.message}`.toLowerCase();
    const q = this.quirks.get(model) ?? {};
    let changed = false;
    if (!this.streamOptionsRejected && text.includes('stream_options')) this.streamOptionsRejected = changed = true;
    else if (!q.maxCompletionTokens && text.includes('max_tokens') && text.includes('max_completion_tokens')) q.maxCompletionTokens = changed = true;
    else if (!q.noTemperature && text.includes('temperature') && /unsupported|not support|only the default/.test(text)) q.noTemperature = changed = true;
    this.quirks.set(model, q);
    return changed;
  }

  private toGatewayError(err: unknown): GatewayError {
    if (err instanceof GatewayError) return err;
    const secrets = [this.config.apiKey];
    if (err instanceof APIUserAbortError) return new GatewayError({ message: 'request aborted', transport: 'network' });
    if (err instanceof APIConnectionError) {
      const cause = (err as { cause?: { message?: string; code?: string; cause?: { code?: string } } }).cause;
      const code = cause?.code ?? cause?.cause?.code;
      return new GatewayError({ message: redact(`${err.message}${code ? ` (${code})` : ''}`, secrets), transport: 'network' });
    }
    if (err instanceof APIError) {
      const body = (err.error ?? {}) as Record<string, unknown>;
      // In-stream errors carry no status; OpenRouter puts the upstream status in a numeric `code`.
      const numericCode = typeof body.code === 'number' ? body.code : /^\d{3}$/.test(String(body.code ?? '')) ? Number(body.code) : undefined;
      const failure: GatewayFailure = {
        status: err.status ?? numericCode,
        headers: headersToRecord(err.headers),
        code: body.code !== undefined && body.code !== null ? String(body.code) : undefined,
        type: typeof body.type === 'string' ? body.type : undefined,
        message: redact(messageOf(err, body), secrets),
        ...(err.status === undefined ? { transport: 'stream_error' as const } : {}),
      };
      return new GatewayError(failure);
    }
    if (err instanceof SyntaxError) {
      return new GatewayError({ message: redact(`malformed data in the stream: ${err.message}`, secrets), transport: 'malformed' });
    }
    const e = err as { message?: string; code?: string; cause?: { code?: string; message?: string } };
    const detail = [e?.message, e?.cause?.code ?? e?.code, e?.cause?.message].filter(Boolean).join(': ');
    return new GatewayError({ message: redact(detail || String(err), secrets), transport: 'network' });
  }
}

/** A message as chat completions takes it: tool calls and tool results in the wire's own shape. */
function toWire(m: ChatMessage): OpenAI.Chat.ChatCompletionMessageParam {
  if (m.role === 'tool') return { role: 'tool', tool_call_id: m.toolCallId ?? '', content: m.content };
  if (m.role === 'assistant' && m.toolCalls?.length) {
    return {
      role: 'assistant',
      // Several providers reject an empty text part next to tool calls; null is what OpenAI itself sends.
      content: m.content || null,
      tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })),
    };
  }
  return { role: m.role, content: m.content } as OpenAI.Chat.ChatCompletionMessageParam;
}

function messageOf(err: APIError, body: Record<string, unknown>): string {
  if (typeof body.message === 'string') return body.message;
  // Bodies that are not JSON (an HTML 502 page) arrive as the SDK's message text.
  const raw = err.message.replace(/^\d{3}\s+/, '');
  return raw.includes('<') ? raw.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim() : raw;
}

function headersToRecord(headers: Headers | undefined): Record<string, string> | undefined {
  if (!headers) return undefined;
  const out: Record<string, string> = {};
  headers.forEach((v, k) => {
    out[k.toLowerCase()] = v;
  });
  return out;
}
