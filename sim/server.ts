/** An OpenAI-compatible gateway simulator with scripted faults, on plain node:http. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { text } from 'node:stream/consumers';
import { agentReply, chunkText, defaultText, type Fault, type ModelScript } from './scripts';

export type { Fault, ModelScript } from './scripts';

export interface RecordedRequest {
  method: string;
  path: string;
  model?: string;
  /** Lower-cased; the authorization value is replaced by `Bearer [redacted]`, the key is never stored. */
  headers: Record<string, string>;
  keyOk: boolean;
  /** Parsed JSON body, or the raw text when it is not JSON. */
  body: any;
  /** Epoch milliseconds with sub-millisecond precision (performance.timeOrigin + performance.now()). */
  receivedAt: number;
  /** When the status line and headers were written. */
  respondedAt?: number;
  /** When the first content chunk (or the body of a non-streaming answer) was written. */
  firstChunkAt?: number;
  /** When the response ended or its socket was destroyed. */
  endedAt?: number;
  status?: number;
}

export interface SimulatorOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 'sk-sim-test'. */
  apiKey?: string;
  /** Scripts per model; an array gives one script per successive request, the last one repeats. */
  models?: Record<string, ModelScript | ModelScript[]>;
  /** The script for any model without its own. */
  defaultScript?: ModelScript;
  /** Answer 404 model_not_found for models that are neither scripted nor in DEFAULT_MODELS (default: every name is served). */
  strictModels?: boolean;
  /** Replaces `defaultText` as the answer generator when a script has no `text` (the demo uses Markdown). */
  text?: (model: string, body: any) => string;
}

export interface ScriptOptions {
  /** Cycle through an array script forever instead of repeating its last entry. */
  cycle?: boolean;
}

export interface Simulator {
  /** Base URL including /v1, e.g. http://127.0.0.1:43123/v1 */
  readonly url: string;
  readonly port: number;
  readonly apiKey: string;
  /** Every request to a non-admin route, in order, rejected ones included. */
  readonly requests: RecordedRequest[];
  /** An array gives one script per successive request to that model; the last one repeats (or, with `cycle`, it starts over). */
  setScript(model: string, script: ModelScript | ModelScript[], options?: ScriptOptions): void;
  /** Scripts back to the start options, request log cleared. */
  reset(): void;
  /** Stops listening and destroys every open socket (hung requests included). */
  close(): Promise<void>;
}

export const DEFAULT_MODELS = ['gpt-5', 'gpt-5-mini', 'claude-opus-4', 'claude-sonnet-4', 'gemini-2.5-pro', 'deepseek-v4', 'qwen3-235b', 'glm-5'];

/**
 * Models the simulator lists beyond DEFAULT_MODELS (and serves), with the metadata OpenRouter-style
 * gateways publish: a context window and USD-per-token prices as strings; one has none.
 */
export const CATALOG_EXTRA: ReadonlyArray<{ id: string; context_length?: number; pricing?: { prompt: string; completion: string } }> = [
  { id: 'llama-4-maverick', context_length: 1_048_576, pricing: { prompt: '0.00000015', completion: '0.0000006' } },
  { id: 'mistral-large-2411', context_length: 131_072, pricing: { prompt: '0.000002', completion: '0.000006' } },
  { id: 'kimi-k2' },
];

const now = () => performance.timeOrigin + performance.now();

/** `sk-...abcd`: enough to recognise a key, never the key. */
export function maskKey(key: string): string {
  return key.length >= 12 ? `${key.slice(0, 3)}...${key.slice(-4)}` : '***';
}

function openAiError(message: string, type: string, param: string | null, code: string | null) {
  return { error: { message, type, param, code } };
}

/** Prompt tokens: message characters / 4, rounded up. Deterministic. */
export function promptTokens(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let chars = 0;
  for (const m of messages) {
    const c = (m as { content?: unknown })?.content;
    if (typeof c === 'string') chars += c.length;
    else if (Array.isArray(c)) for (const p of c) chars += typeof p?.text === 'string' ? p.text.length : 0;
  }
  return Math.ceil(chars / 4);
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

interface ScriptEntry {
  list: ModelScript[];
  cycle: boolean;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const apiKey = opts.apiKey ?? 'sk-sim-test';
  const host = opts.host ?? '127.0.0.1';
  const scripts = new Map<string, ScriptEntry>();
  const served = new Map<string, number>();
  /** When each model accepted its recent requests, for scripts with a rateLimit. */
  const accepted = new Map<string, number[]>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let seq = 0;
  let closing = false;

  const setScript = (model: string, script: ModelScript | ModelScript[], options: ScriptOptions = {}) => {
    scripts.set(model, { list: Array.isArray(script) ? script : [script], cycle: options.cycle === true });
    served.set(model, 0);
  };
  const load = () => {
    scripts.clear();
    served.clear();
    accepted.clear();
    for (const [m, s] of Object.entries(opts.models ?? {})) setScript(m, s);
  };
  load();

  const scriptFor = (model: string): ModelScript => {
    const entry = scripts.get(model);
    const n = served.get(model) ?? 0;
    served.set(model, n + 1);
    if (!entry || entry.list.length === 0) return opts.defaultScript ?? {};
    const i = entry.cycle ? n % entry.list.length : Math.min(n, entry.list.length - 1);
    return entry.list[i]!;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (res.destroyed || res.writableEnded) return;
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(openAiError(`simulator error: ${String(err)}`, 'server_error', null, null)));
    });
  });
  server.on('connection', (s) => {
    if (closing) {
      s.destroy();
      return;
    }
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const receivedAt = now();
    const raw = await text(req);
    const url = new URL(req.url ?? '/', 'http://sim');
    let body: any = raw;
    let parsed = raw === '';
    try {
      if (raw) {
        body = JSON.parse(raw);
        parsed = true;
      } else body = undefined;
    } catch {
      /* keep the raw text */
    }

    // Admin routes for other processes (no key, loopback only); not recorded, so reading the log does not change it.
    if (url.pathname.startsWith('/__sim/')) return admin(req, res, url.pathname, body);

    const auth = req.headers.authorization ?? '';
    const keyOk = auth === `Bearer ${apiKey}`;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      const value = Array.isArray(v) ? v.join(', ') : (v ?? '');
      headers[k.toLowerCase()] = apiKey && value.includes(apiKey) ? value.split(apiKey).join('[redacted]') : value;
    }
    if (headers.authorization !== undefined) headers.authorization = 'Bearer [redacted]';
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      model: typeof body?.model === 'string' ? body.model : undefined,
      headers,
      keyOk,
      body,
      receivedAt,
    };
    requests.push(rec);
    const n = ++seq;
    const life = new Life(res, () => {
      rec.endedAt ??= now();
    });
    const head = (status: number, h: Record<string, string>) => {
      rec.status = status;
      rec.respondedAt = now();
      res.writeHead(status, h);
    };
    const reply = (status: number, value: unknown) => {
      head(status, { 'content-type': 'application/json', 'x-request-id': `req-sim-${n}` });
      res.end(JSON.stringify(value));
    };

    if (!url.pathname.startsWith('/v1/') && url.pathname !== '/v1') {
      return reply(404, openAiError(`Unknown request URL: ${req.method} ${url.pathname}.`, 'invalid_request_error', null, 'unknown_url'));
    }
    if (!keyOk) {
      const given = auth.replace(/^Bearer\s*/i, '').trim();
      const message = given
        ? `Incorrect API key provided: ${maskKey(given)}. You can find your API key in your gateway dashboard.`
        : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
      return reply(401, openAiError(message, 'invalid_request_error', null, 'invalid_api_key'));
    }
    if (url.pathname === '/v1/models' && req.method === 'GET') {
      const extra = new Map(CATALOG_EXTRA.map((m) => [m.id, m]));
      const ids = [...new Set([...DEFAULT_MODELS, ...extra.keys(), ...scripts.keys()])];
      return reply(200, { object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'switchboard-sim', ...extra.get(id) })) });
    }
    if (url.pathname !== '/v1/chat/completions' || req.method !== 'POST') {
      return reply(404, openAiError(`Unknown request URL: ${req.method} ${url.pathname}.`, 'invalid_request_error', null, 'unknown_url'));
    }
    if (!parsed || typeof body !== 'object' || body === null) {
      return reply(400, openAiError('We could not parse the JSON body of your request.', 'invalid_request_error', null, null));
    }
    const model = rec.model;
    if (!model) return reply(400, openAiError('you must provide a model parameter', 'invalid_request_error', null, null));
    if (opts.strictModels && !scripts.has(model) && !DEFAULT_MODELS.includes(model) && !CATALOG_EXTRA.some((m) => m.id === model)) {
      return reply(404, openAiError(`The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', null, 'model_not_found'));
    }
    await respond(req, res, life, rec, n, model, scriptFor(model), body, head, reply);
  }

  async function respond(
    req: IncomingMessage,
    res: ServerResponse,
    life: Life,
    rec: RecordedRequest,
    n: number,
    model: string,
    script: ModelScript,
    body: any,
    head: (status: number, h: Record<string, string>) => void,
    reply: (status: number, value: unknown) => void,
  ) {
    const fault = script.fault;

    if (script.rateLimit) {
      const { requests: limit, windowMs } = script.rateLimit;
      const t = now();
      const times = (accepted.get(model) ?? []).filter((x) => x > t - windowMs);
      accepted.set(model, times);
      if (times.length >= limit) {
        const retryAfterS = Math.max(1, Math.ceil((times[0]! + windowMs - t) / 1000));
        head(429, { 'content-type': 'application/json', 'retry-after': String(retryAfterS), 'x-request-id': `req-sim-${n}` });
        res.end(JSON.stringify(openAiError(`Rate limit reached for ${model}: Limit ${limit} requests per ${windowMs / 1000}s. Please try again in ${retryAfterS}s.`, 'requests', null, 'rate_limit_exceeded')));
        return;
      }
      times.push(t);
    }

    if (fault?.type === 'hang') return; // never answer; close() or the client ends it
    if (fault?.type === 'status') {
      if (fault.delayMs) await life.wait(fault.delayMs);
      if (life.closed) return;
      const isString = typeof fault.body === 'string';
      head(fault.status, { 'content-type': isString ? 'text/plain; charset=utf-8' : 'application/json', 'x-request-id': `req-sim-${n}`, ...fault.headers });
      res.end(fault.body === undefined ? '' : isString ? (fault.body as string) : JSON.stringify(fault.body));
      return;
    }
    if (fault?.type === 'raw') {
      head(fault.status ?? 200, fault.headers ?? { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      res.flushHeaders();
      const buf = Buffer.isBuffer(fault.body) ? fault.body : Buffer.from(fault.body, 'utf8');
      const step = fault.splitBytes && fault.splitBytes > 0 ? fault.splitBytes : buf.length || 1;
      for (let i = 0; i < buf.length; i += step) {
        if (i > 0) await (fault.delayMs ? life.wait(fault.delayMs) : life.tick());
        if (life.closed) return;
        rec.firstChunkAt ??= now();
        await life.write(buf.subarray(i, i + step));
      }
      if (!life.closed) res.end();
      return;
    }
    if (script.rejectStreamOptions && body.stream_options !== undefined && body.stream_options !== null) {
      return reply(400, openAiError('Unrecognized request argument supplied: stream_options', 'invalid_request_error', 'stream_options', null));
    }

    const agent = script.agent ? agentReply(model, body) : undefined;
    const toolCalls = script.toolCalls ?? agent?.toolCalls ?? [];
    const text = script.text ?? agent?.text ?? (opts.text ? opts.text(model, body) : defaultText(model, body, script.words));
    const chunks = chunkText(text, script.chunkChars);
    const reasoningChunks = chunkText(script.reasoning ?? '', script.chunkChars);
    // Tool-call deltas as OpenAI sends them: id, type and name first, then the arguments in small pieces.
    const toolChunks = toolCalls.flatMap((call, index) => {
      const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
      const pieces = args.match(/[\s\S]{1,8}/g) ?? [];
      return [
        { index, id: call.id ?? `call_sim_${n}_${index}`, type: 'function', function: { name: call.name, arguments: '' } },
        ...pieces.map((arguments_) => ({ index, function: { arguments: arguments_ } })),
      ];
    });
    const p = promptTokens(body.messages);
    const completion = chunks.length + reasoningChunks.length + toolChunks.length;
    const usage = { prompt_tokens: p, completion_tokens: completion, total_tokens: p + completion };
    const id = `chatcmpl-sim-${n}`;
    const created = Math.floor(Date.now() / 1000);
    const finish = script.finishReason === undefined ? (toolCalls.length ? 'tool_calls' : 'stop') : script.finishReason;

    if (script.headersDelayMs) await life.wait(script.headersDelayMs);
    if (life.closed) return;

    if (body.stream !== true) {
      if (script.ttftMs) await life.wait(script.ttftMs);
      if (life.closed) return;
      head(200, { 'content-type': 'application/json', 'x-request-id': `req-sim-${n}` });
      rec.firstChunkAt = now();
      res.end(JSON.stringify({ id, object: 'chat.completion', created, model, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finish }], usage }));
      return;
    }

    head(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-request-id': `req-sim-${n}` });
    res.flushHeaders();
    const prefix = script.noSpaceAfterData ? 'data:' : 'data: ';
    const send = (payload: object | string) => life.write(`${prefix}${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`);
    const chunk = (delta: object, finishReason: string | null = null, extra: object = {}) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
      ...extra,
    });

    // Keep-alive comments while the model "thinks" or stalls: bytes on the wire, never content.
    let stopKeepAlive = () => {};
    const startKeepAlive = () => {
      if (script.keepAliveMs && script.keepAliveMs > 0) stopKeepAlive = life.every(script.keepAliveMs, () => void life.write(`: ${script.keepAliveText ?? 'keep-alive'}\n\n`));
    };

    startKeepAlive();
    if (fault?.type === 'hang-after-headers') return; // left open; keep-alives (if any) until the client or close() ends it
    if (script.ttftMs) await life.wait(script.ttftMs);
    stopKeepAlive();
    if (life.closed) return;

    if (script.emptyChoicesFirst) {
      await send({ id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] });
    }
    await send(chunk({ role: 'assistant', content: '' }));
    const gap = script.tokensPerSecond && script.tokensPerSecond > 0 ? 1000 / script.tokensPerSecond : 0;
    for (let i = 0; i < reasoningChunks.length; i++) {
      if (i > 0) await (gap ? life.wait(gap) : life.tick());
      if (life.closed) return;
      rec.firstChunkAt ??= now();
      await send(chunk({ [script.reasoningField ?? 'reasoning_content']: reasoningChunks[i] }));
    }
    const at = fault && 'afterChunks' in fault ? Math.max(0, fault.afterChunks) : -1;
    for (let i = 0; i <= chunks.length; i++) {
      if (life.closed) return;
      if (i === at || (i === chunks.length && at > chunks.length)) {
        if (await injectFault(fault!)) return;
      }
      if (i === chunks.length) break;
      if (i > 0) await (gap ? life.wait(gap) : life.tick());
      if (life.closed) return;
      rec.firstChunkAt ??= now();
      await send(chunk({ content: chunks[i] }));
    }
    for (const delta of toolChunks) {
      await (gap ? life.wait(gap) : life.tick());
      if (life.closed) return;
      rec.firstChunkAt ??= now();
      await send(chunk({ tool_calls: [delta] }));
    }
    const wantUsage = body.stream_options?.include_usage === true && !script.omitUsage;
    if (finish !== null || (wantUsage && script.usageInFinishChunk)) {
      await send(chunk({}, finish, wantUsage && script.usageInFinishChunk ? { usage } : {}));
    }
    if (wantUsage && !script.usageInFinishChunk) await send({ id, object: 'chat.completion.chunk', created, model, choices: [], usage });
    if (!script.omitDone) await send('[DONE]');
    if (!life.closed) res.end();

    /** Returns true when the response is over (or deliberately left open). */
    async function injectFault(f: Fault): Promise<boolean> {
      switch (f.type) {
        case 'stall':
          startKeepAlive();
          return true; // connection left open
        case 'cut':
          // Everything before this point has reached the socket; now drop it without a proper end.
          req.socket.destroy();
          return true;
        case 'stream-error': {
          const payload = f.payload ?? { error: { message: 'Upstream provider error', code: 502 } };
          // OpenRouter style: the error rides on a normal chunk envelope with finish_reason "error".
          const value = f.finishReason
            ? { id, object: 'chat.completion.chunk', created, model, ...payload, choices: [{ index: 0, delta: { content: '' }, finish_reason: f.finishReason }] }
            : payload;
          if (f.asEvent) await life.write(`event: error\n${prefix}${JSON.stringify(value)}\n\n`);
          else await send(value);
          if (!life.closed) res.end();
          return true;
        }
        case 'malformed':
          await life.write(`${f.line ?? 'data: {"choices":[{"delta":{"content":"oops"'}\n\n`);
          if (f.thenContinue) return false;
          if (!life.closed) res.end();
          return true;
        default:
          return false;
      }
    }
  }

  function admin(req: IncomingMessage, res: ServerResponse, path: string, body: any) {
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) return send(403, { error: { message: 'admin routes are loopback only' } });
    if (path === '/__sim/script' && req.method === 'POST') {
      const script = body?.script;
      if (typeof body?.model !== 'string' || !body.model || !script || typeof script !== 'object') {
        return send(400, { error: { message: 'expected {"model": string, "script": object | object[], "cycle"?: boolean}' } });
      }
      sim.setScript(body.model, script, { cycle: body.cycle === true });
      return send(200, { ok: true });
    }
    if (path === '/__sim/reset' && req.method === 'POST') {
      sim.reset();
      return send(200, { ok: true });
    }
    if (path === '/__sim/requests' && req.method === 'GET') return send(200, requests);
    return send(404, { error: { message: `unknown admin route ${req.method} ${path}` } });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  const sim: Simulator = {
    url: `http://${urlHost}:${port}/v1`,
    port,
    apiKey,
    requests,
    setScript,
    reset() {
      load();
      requests.length = 0;
      seq = 0;
    },
    async close() {
      closing = true;
      // Wait for each socket's own 'close' (it follows the response's), so every request has its endedAt.
      const socketsClosed = [...sockets].map((s) => new Promise<void>((resolve) => s.once('close', () => resolve())));
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
      await Promise.all([serverClosed, ...socketsClosed]);
    },
  };
  return sim;
}

/**
 * One response's lifetime: every timer it starts is cleared, and every wait resolves, the moment the
 * response closes (finished, aborted by the client, or destroyed by close()), so nothing keeps running.
 */
class Life {
  closed = false;
  private readonly cleanups = new Set<() => void>();

  constructor(
    private readonly res: ServerResponse,
    onClose: () => void,
  ) {
    res.on('close', () => {
      this.closed = true;
      onClose();
      for (const c of [...this.cleanups]) c();
      this.cleanups.clear();
    });
  }

  /** Resolves after ms, or at once when the response closes. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      const done = () => {
        clearTimeout(timer);
        this.cleanups.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.cleanups.add(done);
    });
  }

  /** A separate turn of the event loop, so consecutive chunks are separate writes. */
  tick(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  /** Calls fn every ms until the returned stop function is called or the response closes. */
  every(ms: number, fn: () => void): () => void {
    const timer = setInterval(() => {
      if (!this.closed) fn();
    }, ms);
    const stop = () => {
      clearInterval(timer);
      this.cleanups.delete(stop);
    };
    this.cleanups.add(stop);
    return stop;
  }

  /** Writes and resolves once the data is handed to the socket (or the response closed). */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed || this.res.writableEnded) return resolve();
      const done = () => {
        this.cleanups.delete(done);
        resolve();
      };
      this.cleanups.add(done);
      this.res.write(data, () => done());
    });
  }
}

