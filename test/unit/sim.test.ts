/** The gateway simulator itself, through plain fetch: routes, key check, stream shape, every scripted fault. */
import { strict as assert } from 'node:assert';
import { createHook } from 'node:async_hooks';
import { defaultText, type ModelScript } from '../../sim/scripts';
import { DEFAULT_MODELS, startSimulator, type Simulator } from '../../sim/server';
import { useSimulator } from './helpers';

const KEY = 'sk-sim-test-0123456789abcdef';
/** Response JSON, untyped on purpose: the tests check its shape. */
const json = async (res: Response): Promise<any> => res.json();
const ask = (content = 'hello there') => [{ role: 'user', content }];

function chat(sim: Simulator, body: Record<string, unknown>, init: { key?: string | null; signal?: AbortSignal } = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const key = init.key === undefined ? sim.apiKey : init.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  return fetch(`${sim.url}/chat/completions`, { method: 'POST', headers, body: JSON.stringify({ messages: ask(), ...body }), signal: init.signal });
}

const stream = (sim: Simulator, model: string, extra: Record<string, unknown> = {}, init: { signal?: AbortSignal } = {}) =>
  chat(sim, { model, stream: true, ...extra }, init);

/** SSE `data` payloads in order (`[DONE]` kept as a string), plus comment and event lines. */
function parse(sse: string): { data: any[]; comments: string[]; events: string[] } {
  const data: any[] = [];
  const comments: string[] = [];
  const events: string[] = [];
  for (const block of sse.split('\n\n')) {
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) comments.push(line.slice(1).trim());
      else if (line.startsWith('event:')) events.push(line.slice(6).trim());
      else if (line.startsWith('data:')) {
        const payload = line.slice(5).replace(/^ /, '');
        data.push(payload === '[DONE]' ? payload : JSON.parse(payload));
      }
    }
  }
  return { data, comments, events };
}

const contentOf = (data: any[]) =>
  data
    .filter((d) => typeof d === 'object')
    .map((d) => d.choices?.[0]?.delta?.content ?? '')
    .join('');

/** Reads until `until` matches the text so far, or the stream ends; returns what arrived. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, until: (text: string) => boolean): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  while (!until(text)) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

/** The next read, or 'timeout' after ms. */
async function nextRead(reader: ReadableStreamDefaultReader<Uint8Array>, ms: number): Promise<'timeout' | { done: boolean; text: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)));
  try {
    const r = await Promise.race([reader.read().then((x) => ({ done: x.done, text: x.value ? new TextDecoder().decode(x.value) : '' })), timeout]);
    return r;
  } finally {
    clearTimeout(timer);
  }
}

const contentChunks = (text: string) => parse(text).data.filter((d) => typeof d === 'object' && typeof d.choices?.[0]?.delta?.content === 'string' && d.choices[0].delta.content !== '').length;

describe('gateway simulator', function () {
  this.timeout(5000);
  let sim: Simulator;
  useSimulator((s) => (sim = s), { apiKey: KEY }, { resetEach: true });

  describe('routes and the key check', () => {
    it('serves on a free port with a /v1 base URL and the configured key', () => {
      assert.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      assert.ok(sim.port > 0);
      assert.equal(sim.url, `http://127.0.0.1:${sim.port}/v1`);
      assert.equal(sim.apiKey, KEY);
    });

    it('lists the default models and every scripted one in the OpenAI list shape', async () => {
      sim.setScript('my-custom-model', { text: 'x' });
      const res = await fetch(`${sim.url}/models`, { headers: { authorization: `Bearer ${KEY}` } });
      assert.equal(res.status, 200);
      const body = await json(res);
      assert.equal(body.object, 'list');
      const ids = body.data.map((m: { id: string }) => m.id);
      for (const id of [...DEFAULT_MODELS, 'my-custom-model']) assert.ok(ids.includes(id), id);
      assert.deepEqual(DEFAULT_MODELS, ['gpt-5', 'gpt-5-mini', 'claude-opus-4', 'claude-sonnet-4', 'gemini-2.5-pro', 'deepseek-v4', 'qwen3-235b', 'glm-5']);
      for (const m of body.data) {
        assert.equal(m.object, 'model');
        assert.equal(typeof m.created, 'number');
        assert.equal(typeof m.owned_by, 'string');
      }
    });

    it('answers a wrong key with 401 in OpenAI’s shape, masking the key it was given', async () => {
      const wrong = 'sk-wrong-key-9876543210zyxw';
      const res = await chat(sim, { model: 'gpt-5' }, { key: wrong });
      assert.equal(res.status, 401);
      const text = await res.text();
      const body = JSON.parse(text);
      assert.equal(body.error.type, 'invalid_request_error');
      assert.equal(body.error.param, null);
      assert.equal(body.error.code, 'invalid_api_key');
      assert.match(body.error.message, /^Incorrect API key provided: sk-\.\.\.zyxw\./);
      assert.ok(!text.includes(wrong) && !text.includes('9876543210'), 'the key is never echoed whole');
      assert.ok(!text.includes(KEY));
    });

    it('answers a missing key with 401 invalid_api_key', async () => {
      const res = await chat(sim, { model: 'gpt-5' }, { key: null });
      assert.equal(res.status, 401);
      assert.equal((await json(res)).error.code, 'invalid_api_key');
      const models = await fetch(`${sim.url}/models`);
      assert.equal(models.status, 401, '/v1/models checks the key too');
    });

    it('records every request, rejected ones included, without ever storing the key', async () => {
      await (await chat(sim, { model: 'gpt-5' }, { key: 'sk-wrong-key-9876543210zyxw' })).text();
      await (await chat(sim, { model: 'gpt-5', temperature: 0.3 })).text();
      assert.equal(sim.requests.length, 2);
      const [rejected, ok] = sim.requests;
      assert.equal(rejected!.keyOk, false);
      assert.equal(rejected!.status, 401);
      assert.equal(ok!.keyOk, true);
      assert.equal(ok!.status, 200);
      assert.equal(ok!.method, 'POST');
      assert.equal(ok!.path, '/v1/chat/completions');
      assert.equal(ok!.model, 'gpt-5');
      assert.equal(ok!.body.temperature, 0.3);
      assert.equal(ok!.headers['content-type'], 'application/json');
      assert.equal(ok!.headers.authorization, 'Bearer [redacted]');
      const all = JSON.stringify(sim.requests);
      assert.ok(!all.includes(KEY) && !all.includes('9876543210'), 'neither key is stored');
    });

    it('keeps a body that is not JSON as the raw string and answers 400', async () => {
      const res = await fetch(`${sim.url}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: 'not json {' });
      assert.equal(res.status, 400);
      assert.equal(sim.requests.at(-1)!.body, 'not json {');
    });

    it('accepts any model name by default and serves it with the default script', async () => {
      const res = await chat(sim, { model: 'vendor/some-new-model' });
      assert.equal(res.status, 200);
      assert.match((await json(res)).choices[0].message.content, /^\[vendor\/some-new-model\] /);
    });

    it('answers 404 model_not_found for an unknown model only with strictModels', async () => {
      const strict = await startSimulator({ strictModels: true, models: { 'scripted-model': { text: 'hi' } } });
      try {
        const res = await chat(strict, { model: 'nope-1' });
        assert.equal(res.status, 404);
        assert.deepEqual(await json(res), {
          error: { message: 'The model `nope-1` does not exist or you do not have access to it.', type: 'invalid_request_error', param: null, code: 'model_not_found' },
        });
        assert.equal((await chat(strict, { model: 'scripted-model' })).status, 200);
        assert.equal((await chat(strict, { model: 'glm-5' })).status, 200);
      } finally {
        await strict.close();
      }
    });
  });

  describe('answers', () => {
    it('returns a chat.completion object when stream is false', async () => {
      const res = await chat(sim, { model: 'gpt-5', messages: ask('abcdefgh') });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type')!, /application\/json/);
      const body = await json(res);
      assert.match(body.id, /^chatcmpl-sim-\d+$/);
      assert.equal(body.object, 'chat.completion');
      assert.equal(body.model, 'gpt-5');
      assert.equal(typeof body.created, 'number');
      assert.deepEqual(body.choices, [{ index: 0, message: { role: 'assistant', content: defaultText('gpt-5', { messages: ask('abcdefgh') }) }, finish_reason: 'stop' }]);
      assert.equal(body.usage.prompt_tokens, 2);
      assert.equal(body.usage.total_tokens, body.usage.prompt_tokens + body.usage.completion_tokens);
    });

    it('the default text names the model, is about 40 words and is the same for the same input', async () => {
      const a = defaultText('claude-opus-4', { messages: ask('q') });
      assert.match(a, /^\[claude-opus-4\] .*claude-opus-4/);
      assert.equal(a.split(' ').length, 40);
      assert.equal(defaultText('claude-opus-4', { messages: ask('q') }), a);
      assert.notEqual(defaultText('gpt-5', { messages: ask('q') }), a.replace(/claude-opus-4/g, 'gpt-5'));
      assert.equal(defaultText('gpt-5', { messages: ask('q') }, 12).split(' ').length, 12);
    });

    it('streams OpenAI-shaped SSE whose content reassembles to the script text', async () => {
      sim.setScript('gpt-5', { text: 'one two three four' });
      const res = await stream(sim, 'gpt-5');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.ok(res.headers.get('x-request-id'));
      const raw = await res.text();
      assert.ok(raw.split('\n\n').filter(Boolean).every((e) => e.startsWith('data: ')), 'each event is `data: <json>\\n\\n`');
      const { data } = parse(raw);
      const [first, ...rest] = data;
      assert.match(first.id, /^chatcmpl-sim-\d+$/);
      assert.deepEqual(first.choices, [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
      assert.equal(first.object, 'chat.completion.chunk');
      assert.equal(first.model, 'gpt-5');
      assert.deepEqual(
        rest.slice(0, 4).map((d) => d.choices[0].delta.content),
        ['one ', 'two ', 'three ', 'four'],
        'one word (with its following space) per chunk',
      );
      assert.deepEqual(rest[4].choices, [{ index: 0, delta: {}, finish_reason: 'stop' }]);
      assert.equal(rest[5], '[DONE]');
      assert.equal(rest.length, 6, 'no usage chunk when not asked');
      assert.ok(data.slice(0, -1).every((d) => d.id === first.id));
    });

    it('streams the default text when the script has none', async () => {
      const res = await stream(sim, 'deepseek-v4', { messages: ask('why') });
      assert.equal(contentOf(parse(await res.text()).data), defaultText('deepseek-v4', { messages: ask('why') }));
    });

    it('sends a usage-only chunk with empty choices when include_usage is asked', async () => {
      sim.setScript('gpt-5', { text: 'a b c' });
      const { data } = parse(await (await stream(sim, 'gpt-5', { messages: ask('12345678'), stream_options: { include_usage: true } })).text());
      assert.equal(data.at(-1), '[DONE]');
      const usage = data.at(-2);
      assert.deepEqual(usage.choices, []);
      assert.deepEqual(usage.usage, { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 });
      assert.equal(data.filter((d) => d.usage).length, 1);
      assert.equal(data.at(-3).choices[0].finish_reason, 'stop');
    });

    it('omits usage when include_usage is false, and with omitUsage even when asked', async () => {
      const off = parse(await (await stream(sim, 'gpt-5', { stream_options: { include_usage: false } })).text()).data;
      assert.ok(!off.some((d) => d.usage));
      sim.setScript('gpt-5', { omitUsage: true });
      const omitted = parse(await (await stream(sim, 'gpt-5', { stream_options: { include_usage: true } })).text()).data;
      assert.ok(!omitted.some((d) => d.usage));
    });

    it('puts usage in the finish chunk with usageInFinishChunk', async () => {
      sim.setScript('gpt-5', { text: 'x y', usageInFinishChunk: true });
      const { data } = parse(await (await stream(sim, 'gpt-5', { stream_options: { include_usage: true } })).text());
      const finish = data.at(-2);
      assert.equal(finish.choices[0].finish_reason, 'stop');
      assert.equal(finish.usage.completion_tokens, 2);
      assert.ok(!data.some((d) => Array.isArray(d.choices) && d.choices.length === 0));
    });

    it('splits by chunkChars, by code point', async () => {
      sim.setScript('gpt-5', { text: 'abcdé👋fg', chunkChars: 3 });
      const { data } = parse(await (await stream(sim, 'gpt-5')).text());
      assert.deepEqual(data.slice(1, 4).map((d) => d.choices[0].delta.content), ['abc', 'dé👋', 'fg']);
    });

    it('honours finishReason (a value, or null for none), omitDone, emptyChoicesFirst and noSpaceAfterData', async () => {
      sim.setScript('gpt-5', { text: 'a', finishReason: 'length' });
      assert.ok(parse(await (await stream(sim, 'gpt-5')).text()).data.some((d) => d.choices?.[0]?.finish_reason === 'length'));

      sim.setScript('gpt-5', { text: 'a', finishReason: null, omitDone: true });
      const none = parse(await (await stream(sim, 'gpt-5')).text()).data;
      assert.ok(none.every((d) => d !== '[DONE]' && d.choices[0].finish_reason === null));

      sim.setScript('gpt-5', { text: 'a', emptyChoicesFirst: true, noSpaceAfterData: true });
      const raw = await (await stream(sim, 'gpt-5')).text();
      assert.ok(raw.startsWith('data:{'), raw.slice(0, 20));
      assert.ok(!raw.includes('data: '));
      const { data } = parse(raw);
      assert.deepEqual(data[0].choices, []);
      assert.ok(Array.isArray(data[0].prompt_filter_results));
      assert.equal(contentOf(data), 'a');
    });

    it('paces chunks at tokensPerSecond and waits headersDelayMs, then ttftMs', async () => {
      sim.setScript('gpt-5', { text: 'a b c d e f', tokensPerSecond: 100, headersDelayMs: 80, ttftMs: 60 });
      const started = performance.now();
      const res = await stream(sim, 'gpt-5');
      const headersAt = performance.now() - started;
      await res.text();
      const total = performance.now() - started;
      assert.ok(headersAt >= 75, `headers after ${headersAt} ms`);
      assert.ok(total >= 75 + 55 + 5 * 10 - 5, `whole answer took ${total} ms`);
      const r = sim.requests.at(-1)!;
      assert.ok(r.firstChunkAt! - r.respondedAt! >= 55, 'ttft counted from the headers');
    });

    it('writes keep-alive comments while waiting for the first token', async () => {
      sim.setScript('gpt-5', { text: 'hi', ttftMs: 130, keepAliveMs: 25, keepAliveText: 'OPENROUTER PROCESSING' });
      const { comments, data } = parse(await (await stream(sim, 'gpt-5')).text());
      assert.ok(comments.length >= 3, `got ${comments.length} comments`);
      assert.ok(comments.every((c) => c === 'OPENROUTER PROCESSING'));
      assert.equal(contentOf(data), 'hi');
    });

    it('answers 400 about stream_options when rejectStreamOptions is set and the request carries it', async () => {
      sim.setScript('gpt-5', { rejectStreamOptions: true, text: 'ok' });
      const res = await stream(sim, 'gpt-5', { stream_options: { include_usage: true } });
      assert.equal(res.status, 400);
      assert.deepEqual(await json(res), {
        error: { message: 'Unrecognized request argument supplied: stream_options', type: 'invalid_request_error', param: 'stream_options', code: null },
      });
      const without = await stream(sim, 'gpt-5');
      assert.equal(without.status, 200);
      assert.equal(contentOf(parse(await without.text()).data), 'ok');
    });

    it('records ordered timestamps: received ≤ responded ≤ first chunk ≤ ended', async () => {
      sim.setScript('gpt-5', { text: 'a b c', ttftMs: 20, tokensPerSecond: 200 });
      const before = performance.timeOrigin + performance.now();
      await (await stream(sim, 'gpt-5')).text();
      await new Promise((r) => setTimeout(r, 10));
      const r = sim.requests.at(-1)!;
      assert.ok(r.receivedAt >= before - 1 && r.receivedAt <= performance.timeOrigin + performance.now());
      assert.ok(r.receivedAt <= r.respondedAt!, 'received ≤ responded');
      assert.ok(r.respondedAt! + 15 <= r.firstChunkAt!, 'responded + ttft ≤ first chunk');
      assert.ok(r.firstChunkAt! <= r.endedAt!, 'first chunk ≤ ended');
      assert.ok(!Number.isInteger(r.receivedAt) || !Number.isInteger(r.endedAt), 'sub-millisecond precision');
    });
  });

  describe('scripts', () => {
    it('plays an array script one entry per request and repeats the last', async () => {
      sim.setScript('gpt-5', [{ fault: { type: 'status', status: 503 } }, { fault: { type: 'status', status: 429 } }, { text: 'fine' }]);
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        const res = await chat(sim, { model: 'gpt-5' });
        await res.text();
        statuses.push(res.status);
      }
      assert.deepEqual(statuses, [503, 429, 200, 200]);
      assert.equal((await chat(sim, { model: 'claude-opus-4' })).status, 200, 'other models keep the default');
    });

    it('cycles an array script with { cycle: true }', async () => {
      sim.setScript('claude-opus-4', [{ fault: { type: 'status', status: 503 } }, {}], { cycle: true });
      const statuses = [];
      for (let i = 0; i < 5; i++) {
        const res = await chat(sim, { model: 'claude-opus-4' });
        await res.text();
        statuses.push(res.status);
      }
      assert.deepEqual(statuses, [503, 200, 503, 200, 503]);
    });

    it('reset restores the start scripts and clears the request log', async () => {
      const s = await startSimulator({ models: { 'gpt-5': { text: 'from options' } }, defaultScript: { text: 'default script' } });
      try {
        s.setScript('gpt-5', { text: 'changed' });
        assert.equal((await json(await chat(s, { model: 'gpt-5' }))).choices[0].message.content, 'changed');
        assert.equal((await json(await chat(s, { model: 'other' }))).choices[0].message.content, 'default script');
        s.reset();
        assert.equal(s.requests.length, 0);
        assert.equal((await json(await chat(s, { model: 'gpt-5' }))).choices[0].message.content, 'from options');
      } finally {
        await s.close();
      }
    });
  });

  describe('faults', () => {
    it('a rateLimit allows N requests per window, then answers 429 with the seconds until a slot frees', async () => {
      sim.setScript('gpt-5', { rateLimit: { requests: 2, windowMs: 10_000 } });
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        const res = await stream(sim, 'gpt-5');
        statuses.push(res.status);
        if (i === 2) {
          assert.equal(res.headers.get('retry-after'), '10');
          assert.equal((await json(res)).error.code, 'rate_limit_exceeded');
        } else await res.text();
      }
      assert.deepEqual(statuses, [200, 200, 429]);
      assert.equal((await stream(sim, 'claude-sonnet-4')).status, 200, 'the limit is per model');
    });

    it('status: any status, a JSON body and headers such as retry-after', async () => {
      sim.setScript('gpt-5', {
        fault: { type: 'status', status: 429, headers: { 'retry-after': '7', 'retry-after-ms': '6500' }, body: { error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' } } },
      });
      const res = await stream(sim, 'gpt-5');
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '7');
      assert.equal(res.headers.get('retry-after-ms'), '6500');
      assert.deepEqual(await json(res), { error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' } });
      assert.equal(sim.requests.at(-1)!.status, 429);
    });

    it('status: a string body is written verbatim, after delayMs, also for non-streaming requests', async () => {
      sim.setScript('gpt-5', { fault: { type: 'status', status: 502, body: '<html>Bad gateway</html>', headers: { 'content-type': 'text/html' }, delayMs: 60 } });
      const started = performance.now();
      const res = await chat(sim, { model: 'gpt-5' });
      assert.ok(performance.now() - started >= 55);
      assert.equal(res.status, 502);
      assert.equal(res.headers.get('content-type'), 'text/html');
      assert.equal(await res.text(), '<html>Bad gateway</html>');
    });

    it('hang: sends nothing, and close() still resolves promptly', async () => {
      const s = await startSimulator({ models: { 'gpt-5': { fault: { type: 'hang' } } } });
      const pending = stream(s, 'gpt-5').then(
        () => 'headers',
        () => 'closed',
      );
      const first = await Promise.race([pending, new Promise((r) => setTimeout(() => r('nothing'), 300))]);
      assert.equal(first, 'nothing', 'no headers within 300 ms');
      assert.equal(s.requests.length, 1);
      assert.equal(s.requests[0]!.respondedAt, undefined);
      const started = performance.now();
      await s.close();
      const took = performance.now() - started;
      assert.ok(took < 500, `close() took ${took} ms`);
      assert.equal(await pending, 'closed', 'the client sees the connection end');
      assert.ok(s.requests[0]!.endedAt);
    });

    it('hang also applies to non-streaming requests', async () => {
      sim.setScript('gpt-5', { fault: { type: 'hang' } });
      const controller = new AbortController();
      const pending = chat(sim, { model: 'gpt-5' }, { signal: controller.signal }).then(
        () => 'answered',
        () => 'aborted',
      );
      const first = await Promise.race([pending, new Promise((r) => setTimeout(() => r('nothing'), 150))]);
      assert.equal(first, 'nothing');
      controller.abort();
      assert.equal(await pending, 'aborted');
    });

    it('hang-after-headers: 200 and SSE headers, then only keep-alive comments', async () => {
      sim.setScript('gpt-5', { fault: { type: 'hang-after-headers' }, keepAliveMs: 30 });
      const controller = new AbortController();
      const res = await stream(sim, 'gpt-5', {}, { signal: controller.signal });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      const reader = res.body!.getReader();
      const started = performance.now();
      const text = await readUntil(reader, () => performance.now() - started > 200);
      controller.abort();
      const { comments, data } = parse(text);
      assert.ok(comments.length >= 2 && comments.every((c) => c === 'keep-alive'), text);
      assert.equal(data.length, 0, 'no data events at all');
    });

    it('stall: N content chunks, then silence with the connection left open', async () => {
      sim.setScript('gpt-5', { text: 'a b c d e f', fault: { type: 'stall', afterChunks: 3 } });
      const controller = new AbortController();
      const res = await stream(sim, 'gpt-5', {}, { signal: controller.signal });
      const reader = res.body!.getReader();
      const text = await readUntil(reader, (t) => contentChunks(t) >= 3);
      assert.equal(contentOf(parse(text).data), 'a b c ');
      assert.equal(await nextRead(reader, 200), 'timeout', 'nothing more, and the stream has not ended');
      assert.equal(sim.requests.at(-1)!.endedAt, undefined);
      controller.abort();
    });

    it('cut: N content chunks, then the socket is destroyed and the reader errors', async () => {
      sim.setScript('gpt-5', { text: 'alpha beta gamma delta', fault: { type: 'cut', afterChunks: 2 } });
      const res = await stream(sim, 'gpt-5');
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      let error: unknown;
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          text += decoder.decode(value, { stream: true });
        }
      } catch (err) {
        error = err;
      }
      assert.ok(error, 'the read fails instead of ending cleanly');
      assert.equal(contentOf(parse(text).data), 'alpha beta ', 'exactly the chunks before the cut arrived');
      assert.ok(!text.includes('[DONE]'));
    });

    it('stream-error: an error payload inside the 200 stream, then the end', async () => {
      sim.setScript('gpt-5', { text: 'a b c d', fault: { type: 'stream-error', afterChunks: 2 } });
      const raw = await (await stream(sim, 'gpt-5')).text();
      const { data } = parse(raw);
      assert.equal(contentOf(data), 'a b ');
      assert.deepEqual(data.at(-1), { error: { message: 'Upstream provider error', code: 502 } });
      assert.ok(raw.endsWith('data: {"error":{"message":"Upstream provider error","code":502}}\n\n'));
    });

    it('stream-error: as `event: error`, and OpenRouter style with finish_reason error', async () => {
      sim.setScript('gpt-5', { text: 'a b', fault: { type: 'stream-error', afterChunks: 1, asEvent: true, payload: { error: { message: 'boom' } } } });
      const raw = await (await stream(sim, 'gpt-5')).text();
      assert.ok(raw.endsWith('event: error\ndata: {"error":{"message":"boom"}}\n\n'), raw);

      sim.setScript('gpt-5', { text: 'a b', fault: { type: 'stream-error', afterChunks: 1, finishReason: 'error' } });
      const last = parse(await (await stream(sim, 'gpt-5')).text()).data.at(-1);
      assert.equal(last.object, 'chat.completion.chunk');
      assert.deepEqual(last.error, { message: 'Upstream provider error', code: 502 });
      assert.deepEqual(last.choices, [{ index: 0, delta: { content: '' }, finish_reason: 'error' }]);
    });

    it('malformed: a line that is not JSON after N chunks, then the end', async () => {
      sim.setScript('gpt-5', { text: 'a b c', fault: { type: 'malformed', afterChunks: 1 } });
      const raw = await (await stream(sim, 'gpt-5')).text();
      assert.ok(raw.endsWith('data: {"choices":[{"delta":{"content":"oops"\n\n'), raw);
      assert.equal(contentOf(parse(raw.slice(0, raw.lastIndexOf('data: {"choices":[{"delta"'))).data), 'a ');
      assert.throws(() => parse(raw));
    });

    it('malformed with thenContinue: the bad line, then the rest of the stream', async () => {
      sim.setScript('gpt-5', { text: 'a b c', fault: { type: 'malformed', afterChunks: 2, line: 'data: {broken', thenContinue: true } });
      const raw = await (await stream(sim, 'gpt-5')).text();
      const [before, after] = raw.split('data: {broken\n\n');
      assert.equal(contentOf(parse(before!).data), 'a b ');
      const rest = parse(after!).data;
      assert.equal(contentOf(rest), 'c');
      assert.equal(rest.at(-1), '[DONE]');
    });

    it('raw: serves the body verbatim in splitBytes pieces that cut through multi-byte characters', async () => {
      const body = Buffer.from('data: {"choices":[{"delta":{"content":"Grüße 👋 你好"}}]}\n\ndata: [DONE]\n\n', 'utf8');
      sim.setScript('gpt-5', { fault: { type: 'raw', status: 200, headers: { 'content-type': 'text/event-stream', 'x-fixture': 'yes' }, body, splitBytes: 5, delayMs: 2 } });
      const res = await stream(sim, 'gpt-5');
      assert.equal(res.headers.get('x-fixture'), 'yes');
      const reads: Uint8Array[] = [];
      const reader = res.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        reads.push(value);
      }
      assert.ok(Buffer.concat(reads).equals(body), 'the reassembled bytes equal the input');
      assert.ok(reads.length > 5, `arrived in ${reads.length} reads`);
      const fatal = new TextDecoder('utf-8', { fatal: true });
      const splitMidCharacter = reads.some((r) => {
        try {
          fatal.decode(r);
          return false;
        } catch {
          return true;
        }
      });
      assert.ok(splitMidCharacter, 'some read ends or starts inside a multi-byte character');
    });

    it('raw: a string body with a status, for recorded error fixtures', async () => {
      sim.setScript('gpt-5', { fault: { type: 'raw', status: 400, headers: { 'content-type': 'application/json' }, body: '{"error":{"message":"bad"}}' } });
      const res = await chat(sim, { model: 'gpt-5' });
      assert.equal(res.status, 400);
      assert.equal(await res.text(), '{"error":{"message":"bad"}}');
    });

    it('an aborted request leaves no simulator timer running and is recorded as ended', async () => {
      // Timers created by the simulator's own code (the client's timers are not its business).
      const live = new Set<number>();
      let seen = 0;
      const hook = createHook({
        init(id, type) {
          if (type === 'Timeout' && /sim[\\/]server\.ts/.test(new Error().stack ?? '')) {
            live.add(id);
            seen++;
          }
        },
        destroy(id) {
          live.delete(id);
        },
      }).enable();
      try {
        sim.setScript('gpt-5', { text: 'a b c d e f g h i j', tokensPerSecond: 20, keepAliveMs: 10, ttftMs: 30 });
        const controller = new AbortController();
        const res = await stream(sim, 'gpt-5', {}, { signal: controller.signal });
        await readUntil(res.body!.getReader(), (t) => contentChunks(t) >= 2);
        controller.abort();
        const rec = sim.requests.at(-1)!;
        for (let i = 0; i < 50 && rec.endedAt === undefined; i++) await new Promise((r) => setTimeout(r, 5));
        assert.ok(rec.endedAt, 'the server saw the abort');
        await new Promise((r) => setTimeout(r, 5)); // let destroy hooks run
        assert.ok(seen >= 3, `the script did use timers (${seen})`);
        assert.equal(live.size, 0, 'every timer was cleared');
      } finally {
        hook.disable();
      }
    });
  });

  describe('admin routes', () => {
    const admin = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${sim.port}/__sim/${path}`, init);

    it('POST /__sim/script sets a script without a key; arrays work too', async () => {
      const script: ModelScript[] = [{ fault: { type: 'status', status: 503 } }, { text: 'second' }];
      const res = await admin('script', { method: 'POST', body: JSON.stringify({ model: 'glm-5', script }) });
      assert.equal(res.status, 200);
      assert.equal((await chat(sim, { model: 'glm-5' })).status, 503);
      assert.equal((await json(await chat(sim, { model: 'glm-5' }))).choices[0].message.content, 'second');
    });

    it('POST /__sim/script rejects a body without model and script', async () => {
      assert.equal((await admin('script', { method: 'POST', body: JSON.stringify({ script: {} }) })).status, 400);
    });

    it('GET /__sim/requests returns the recorded requests; admin calls are not recorded', async () => {
      await (await chat(sim, { model: 'gpt-5' })).text();
      const res = await admin('requests');
      assert.equal(res.status, 200);
      const list = await json(res);
      assert.equal(list.length, 1);
      assert.equal(list[0].model, 'gpt-5');
      assert.equal(list[0].headers.authorization, 'Bearer [redacted]');
      assert.ok(list[0].receivedAt <= list[0].endedAt);
    });

    it('POST /__sim/reset clears scripts and requests', async () => {
      sim.setScript('gpt-5', { fault: { type: 'status', status: 500 } });
      await (await chat(sim, { model: 'gpt-5' })).text();
      assert.equal((await admin('reset', { method: 'POST' })).status, 200);
      assert.equal(sim.requests.length, 0);
      assert.equal((await chat(sim, { model: 'gpt-5' })).status, 200);
    });
  });
});
