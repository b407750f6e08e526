import { strict as assert } from 'node:assert';
import type { Simulator } from '../../sim/server';
import { defaultText } from '../../sim/scripts';
import { Gateway } from '../../src/core/gateway';
import { Health } from '../../src/core/resilience/health';
import { Router } from '../../src/core/router';
import { ask, collect, doneOf, errorOf, modelsAsked, routerFor, testConfig, useSimulator } from './helpers';

/** A two-model chain for code_review (gpt-5 → claude-sonnet-4), no global chain, so outcomes are exact. */
const twoModels = testConfig({ routes: { code_review: { primary: 'gpt-5', fallbacks: ['claude-sonnet-4'] } }, globalFallbacks: [] });

describe('router through the openai SDK and the simulator', function () {
  let sim: Simulator;
  useSimulator((s) => (sim = s), {}, { resetEach: true });

  describe('a healthy stream', () => {
    it('streams the primary model’s answer token by token and names the model', async () => {
      const events = await collect(routerFor(sim, twoModels), ask());
      const deltas = events.filter((e) => e.type === 'delta');
      assert.ok(deltas.length > 5, `expected many deltas, got ${deltas.length}`);
      const done = doneOf(events);
      assert.equal(done.model, 'gpt-5');
      assert.equal(done.finishReason, 'stop');
      assert.match(done.text, /^\[gpt-5\] /);
      assert.equal(deltas.map((d) => (d.type === 'delta' ? d.text : '')).join(''), done.text);
      assert.equal(events[0]!.type, 'start');
    });

    it('reports prompt and completion tokens from the usage chunk', async () => {
      const events = await collect(routerFor(sim, twoModels), ask());
      const usage = events.find((e) => e.type === 'usage');
      assert.ok(usage && usage.type === 'usage');
      assert.ok(usage.usage.promptTokens > 0 && usage.usage.completionTokens > 0);
      assert.deepEqual(doneOf(events).usage, usage.usage);
    });

    it('sends the task’s model, max tokens, temperature and asks for usage, without leaking the key', async () => {
      await collect(routerFor(sim, twoModels), ask());
      const req = sim.requests.at(-1)!;
      assert.equal(req.body.model, 'gpt-5');
      assert.equal(req.body.max_tokens, 4096);
      assert.equal(req.body.temperature, 0.1);
      assert.equal(req.body.stream, true);
      assert.deepEqual(req.body.stream_options, { include_usage: true });
      assert.ok(req.keyOk);
      assert.ok(!JSON.stringify(req).includes(sim.apiKey));
    });

    it('puts a model the user picked first and keeps the task chain behind it', async () => {
      const router = routerFor(sim, twoModels);
      assert.deepEqual(router.route({ task: 'code_review', model: 'glm-5' }).candidates.map((c) => c.model), ['glm-5', 'gpt-5', 'claude-sonnet-4']);
      const done = doneOf(await collect(router, { ...ask(), model: 'glm-5' }));
      assert.equal(done.model, 'glm-5');
    });

    it('does not send headers the SDK would take from the environment', async () => {
      process.env.OPENAI_CUSTOM_HEADERS = 'x-leak: yes';
      process.env.OPENAI_ORG_ID = 'org-leak';
      try {
        await collect(routerFor(sim, twoModels), ask());
      } finally {
        delete process.env.OPENAI_CUSTOM_HEADERS;
        delete process.env.OPENAI_ORG_ID;
      }
      const headers = sim.requests.at(-1)!.headers;
      assert.equal(headers['x-leak'], undefined);
      assert.equal(headers['openai-organization'], undefined);
    });
  });

  describe('failover rules', () => {
    it('fails over to claude-sonnet-4 when gpt-5 answers 500', async () => {
      sim.setScript('gpt-5', { fault: { type: 'status', status: 500, body: { error: { message: 'boom', type: 'server_error' } } } });
      const events = await collect(routerFor(sim, twoModels), ask());
      const failover = events.find((e) => e.type === 'failover');
      assert.ok(failover && failover.type === 'failover');
      assert.deepEqual([failover.from, failover.to, failover.reason, failover.status], ['gpt-5', 'claude-sonnet-4', 'server_error', 500]);
      const done = doneOf(events);
      assert.equal(done.model, 'claude-sonnet-4');
      assert.match(done.text, /^\[claude-sonnet-4\] /);
      assert.doesNotMatch(done.text, /gpt-5/, 'no text from the failed model');
    });

    it('fails over at once on 429 and lets the model cool down for its Retry-After', async () => {
      sim.setScript('gpt-5', { fault: { type: 'status', status: 429, headers: { 'retry-after': '30' }, body: { error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' } } } });
      const router = routerFor(sim, twoModels);
      const started = performance.now();
      const first = await collect(router, ask());
      assert.ok(performance.now() - started < 1000, 'no waiting while another model can answer');
      assert.equal(doneOf(first).model, 'claude-sonnet-4');
      assert.ok(router.health.cooldownRemaining('gpt-5') > 28_000);
      sim.reset();
      const second = await collect(router, ask());
      assert.deepEqual(modelsAsked(sim), ['claude-sonnet-4'], 'the cooling model is not asked again');
      const skipped = doneOf(second).attempts.find((a) => a.model === 'gpt-5');
      assert.equal(skipped?.outcome, 'skipped');
      assert.match(skipped!.summary, /cooling down/);
    });

    it('honours retry-after-ms and an HTTP-date Retry-After for the cooldown', async () => {
      sim.setScript('gpt-5', { fault: { type: 'status', status: 429, headers: { 'retry-after-ms': '4500' } } });
      sim.setScript('claude-sonnet-4', { fault: { type: 'status', status: 429, headers: { 'retry-after': new Date(Date.now() + 60_000).toUTCString() } } });
      const router = routerFor(sim, testConfig({ routes: { code_review: { primary: 'gpt-5', fallbacks: ['claude-sonnet-4', 'glm-5'] } }, globalFallbacks: [] }));
      assert.equal(doneOf(await collect(router, ask())).model, 'glm-5');
      const a = router.health.cooldownRemaining('gpt-5');
      const b = router.health.cooldownRemaining('claude-sonnet-4');
      assert.ok(a > 4000 && a <= 4500, `retry-after-ms: ${a}`);
      assert.ok(b > 55_000 && b <= 60_000, `HTTP date: ${b}`);
    });

    it('waits out a per-key 429 storm for the shortest Retry-After, announces it, then answers', async () => {
      const limited = { fault: { type: 'status' as const, status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'Rate limit reached for requests' } } } };
      sim.setScript('gpt-5', [limited, {}]);
      sim.setScript('claude-sonnet-4', [{ ...limited, fault: { ...limited.fault, headers: { 'retry-after': '2' } } }, {}]);
      const started = performance.now();
      const events = await collect(routerFor(sim, twoModels), ask());
      const waiting = events.find((e) => e.type === 'waiting');
      assert.ok(waiting && waiting.type === 'waiting', 'the wait is announced');
      assert.ok(waiting.ms > 800 && waiting.ms <= 1000, `waits for the shortest Retry-After, not the longest: ${waiting.ms}`);
      assert.match(waiting.userText, /rate-limited; retrying in 1 s/);
      assert.equal(doneOf(events).model, 'gpt-5');
      const took = performance.now() - started;
      assert.ok(took >= 900 && took < 2000, `took ${took}`);
    });

    it('does not wait longer than the configured bound when every model is rate-limited for long', async () => {
      const limited = { fault: { type: 'status' as const, status: 429, headers: { 'retry-after': '600' } } };
      sim.setScript('gpt-5', limited);
      sim.setScript('claude-sonnet-4', limited);
      const started = performance.now();
      const error = errorOf(await collect(routerFor(sim, twoModels), ask()));
      assert.ok(performance.now() - started < 1000);
      assert.equal(error.reason, 'all_failed');
      assert.match(error.userText, /gpt-5: rate-limited \(429\)/);
    });

    it('stops at once on 401 and offers Set API Key, without trying other models', async () => {
      sim.setScript('gpt-5', { fault: { type: 'status', status: 401, body: { error: { message: 'Incorrect API key provided', code: 'invalid_api_key' } } } });
      const error = errorOf(await collect(routerFor(sim, twoModels), ask()));
      assert.equal(error.reason, 'auth');
      assert.equal(error.fix, 'setApiKey');
      assert.deepEqual(modelsAsked(sim), ['gpt-5']);
    });

    it('tells a wrong key plainly (the simulator’s own 401)', async () => {
      const gateway = new Gateway({ baseURL: sim.url, apiKey: 'sk-wrong-key-0000000000000000' });
      const router = new Router({ gateway, config: () => twoModels });
      const error = errorOf(await collect(router, ask()));
      assert.equal(error.reason, 'auth');
      assert.doesNotMatch(error.userText, /sk-wrong-key-0000000000000000/);
      assert.equal(modelsAsked(sim).length, 1);
    });

    for (const [name, status, body] of [
      ['429 insufficient_quota', 429, { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' } }],
      ['402 payment required', 402, { error: { message: 'Insufficient credits', code: 402 } }],
      ['403 forbidden', 403, { error: { message: 'Forbidden' } }],
    ] as const) {
      it(`stops on ${name}: the account is the problem`, async () => {
        sim.setScript('gpt-5', { fault: { type: 'status', status, body } });
        const error = errorOf(await collect(routerFor(sim, twoModels), ask()));
        assert.equal(error.fix, 'setApiKey');
        assert.deepEqual(modelsAsked(sim), ['gpt-5']);
      });
    }

    it('stops on a 400 content filter and never routes around it', async () => {
      sim.setScript('gpt-5', { fault: { type: 'status', status: 400, body: { error: { message: 'The response was filtered', code: 'content_filter' } } } });
      const error = errorOf(await collect(routerFor(sim, twoModels), ask()));
      assert.equal(error.reason, 'content_filter');
      assert.deepEqual(modelsAsked(sim), ['gpt-5']);
    });

    it('stops on finish_reason content_filter and keeps the text already shown', async () => {
      sim.setScript('gpt-5', { text: 'Partial answer before the filter', finishReason: 'content_filter' });
      const error = errorOf(await collect(routerFor(sim, twoModels), ask()));
      assert.equal(error.reason, 'content_filter');
      assert.equal(error.text, 'Partial answer before the filter');
      assert.deepEqual(modelsAsked(sim), ['gpt-5']);
    });

    it('tells a malformed request plainly instead of retrying it on every model', async () => {
      sim.setScript('gpt-5', { fault: { type: 'status', status: 400, body: { error: { message: "Invalid value for 'messages'", type: 'invalid_request_error' } } } });
      const error = errorOf(await collect(routerFor(sim, twoModels), ask()));
      assert.equal(error.reason, 'bad_request');
      assert.deepEqual(modelsAsked(sim), ['gpt-5']);
    });

    it('fails over on 529 overloaded', async () => {
      sim.setScript('gpt-5', { fault: { type: 'status', status: 529, body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } } });
      assert.equal(doneOf(await collect(routerFor(sim, twoModels), ask())).model, 'claude-sonnet-4');
    });

    it('fails over when the connection is refused', async () => {
      const gateway = new Gateway({ baseURL: 'http://127.0.0.1:9/v1', apiKey: 'k' });
      const router = new Router({ gateway, config: () => twoModels });
      const error = errorOf(await collect(router, ask()));
      assert.equal(error.reason, 'all_failed');
      assert.deepEqual(error.attempts.map((a) => a.reason), ['network', 'network']);
    });

    it('skips a model that answered 404 for the rest of the session', async () => {
      sim.setScript('gpt-5', { fault: { type: 'status', status: 404, body: { error: { message: 'The model `gpt-5` does not exist', code: 'model_not_found' } } } });
      const router = routerFor(sim, twoModels);
      assert.equal(doneOf(await collect(router, ask())).model, 'claude-sonnet-4');
      sim.reset();
      await collect(router, ask());
      assert.deepEqual(modelsAsked(sim), ['claude-sonnet-4']);
    });

    it('moves past a 400 that names an unsupported parameter', async () => {
      sim.setScript('gpt-5', { fault: { type: 'status', status: 400, body: { error: { message: "Unsupported parameter: 'top_k' is not supported with this model." } } } });
      assert.equal(doneOf(await collect(routerFor(sim, twoModels), ask())).model, 'claude-sonnet-4');
    });

    it('rewrites max_tokens to max_completion_tokens for a model that asks for it, on the same model', async () => {
      sim.setScript('gpt-5', [
        { fault: { type: 'status', status: 400, body: { error: { message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", param: 'max_tokens' } } } },
        {},
      ]);
      const done = doneOf(await collect(routerFor(sim, twoModels), ask()));
      assert.equal(done.model, 'gpt-5');
      const last = sim.requests.at(-1)!.body;
      assert.equal(last.max_completion_tokens, 4096);
      assert.equal(last.max_tokens, undefined);
    });

    it('stops asking for usage on a gateway that rejects stream_options', async () => {
      sim.setScript('gpt-5', { rejectStreamOptions: true });
      const done = doneOf(await collect(routerFor(sim, twoModels), ask()));
      assert.equal(done.model, 'gpt-5');
      assert.equal(sim.requests.at(-1)!.body.stream_options, undefined);
    });

    it('moves to a model with a larger context when the prompt is too long', async () => {
      const config = testConfig({ routes: { translation: { primary: 'deepseek-v4', fallbacks: ['qwen3-235b'] } }, globalFallbacks: ['gpt-5'] });
      sim.setScript('deepseek-v4', { fault: { type: 'status', status: 400, body: { error: { message: "This model's maximum context length is 131072 tokens", code: 'context_length_exceeded' } } } });
      const done = doneOf(await collect(routerFor(sim, config), ask('translation')));
      assert.equal(done.model, 'gpt-5');
      assert.deepEqual(modelsAsked(sim), ['deepseek-v4', 'gpt-5'], 'qwen3-235b has no larger window and is not tried');
    });

    it('stops with a clear message when no model has a larger context', async () => {
      sim.setScript('gpt-5', { fault: { type: 'status', status: 400, body: { error: { message: 'maximum context length exceeded', code: 'context_length_exceeded' } } } });
      const config = testConfig({ routes: { code_review: { primary: 'gpt-5', fallbacks: ['deepseek-v4'] } }, globalFallbacks: [] });
      const error = errorOf(await collect(routerFor(sim, config), ask()));
      assert.equal(error.reason, 'context_length');
      assert.match(error.userText, /too long/);
    });

    it('opens a model’s circuit after repeated failures, then skips it at no cost', async () => {
      sim.setScript('gpt-5', { fault: { type: 'status', status: 503 } });
      const router = routerFor(sim, twoModels);
      for (let i = 0; i < 3; i++) await collect(router, ask());
      sim.reset();
      const done = doneOf(await collect(router, ask()));
      assert.deepEqual(modelsAsked(sim), ['claude-sonnet-4']);
      assert.match(done.attempts[0]!.summary, /circuit open/);
    });

    it('tries known-down models anyway when nothing else is left', async () => {
      const health = new Health({ failuresToOpen: 1 });
      sim.setScript('gpt-5', { fault: { type: 'status', status: 503 } });
      sim.setScript('claude-sonnet-4', { fault: { type: 'status', status: 503 } });
      const router = routerFor(sim, twoModels, health);
      await collect(router, ask());
      sim.reset();
      assert.equal(doneOf(await collect(router, ask())).model, 'gpt-5');
    });

    it('lists every model and what it answered when all fail', async () => {
      const config = testConfig({ routes: { code_review: { primary: 'gpt-5', fallbacks: ['claude-sonnet-4'] } }, globalFallbacks: ['glm-5'] });
      sim.setScript('gpt-5', { fault: { type: 'status', status: 500 } });
      sim.setScript('claude-sonnet-4', { fault: { type: 'status', status: 502, body: '<html><body>Bad gateway</body></html>', headers: { 'content-type': 'text/html' } } });
      sim.setScript('glm-5', { fault: { type: 'cut', afterChunks: 0 } });
      const events = await collect(routerFor(sim, config), ask());
      const error = errorOf(events);
      assert.equal(error.reason, 'all_failed');
      assert.match(error.userText, /gpt-5: server error \(500\); claude-sonnet-4: server error \(502\); glm-5: /);
      assert.equal(events.filter((e) => e.type === 'error').length, 1, 'one message, not one per model');
    });
  });

  describe('timeouts and broken streams', () => {
    it('abandons a model that accepts the connection and never answers, after the first-token timeout', async () => {
      sim.setScript('gpt-5', { fault: { type: 'hang' } });
      const started = performance.now();
      const done = doneOf(await collect(routerFor(sim, twoModels), ask()));
      const took = performance.now() - started;
      assert.equal(done.model, 'claude-sonnet-4');
      assert.ok(took >= 380 && took < 900, `first-token timeout is 400 ms, took ${took}`);
      assert.equal(done.attempts[0]!.reason, 'first_token_timeout');
    });

    it('does not count keep-alive comments as an answer', async () => {
      sim.setScript('gpt-5', { fault: { type: 'hang-after-headers' }, keepAliveMs: 50 });
      const done = doneOf(await collect(routerFor(sim, twoModels), ask()));
      assert.equal(done.model, 'claude-sonnet-4');
      assert.equal(done.attempts[0]!.reason, 'first_token_timeout');
    });

    it('streams through keep-alive comments while the model answers', async () => {
      sim.setScript('gpt-5', { keepAliveMs: 20, ttftMs: 100 });
      assert.equal(doneOf(await collect(routerFor(sim, twoModels), ask())).model, 'gpt-5');
    });

    it('continues on the next model when a stream stalls after partial text; the user sees one answer', async () => {
      sim.setScript('gpt-5', { text: 'one two three four five six', fault: { type: 'stall', afterChunks: 3 } });
      const events = await collect(routerFor(sim, twoModels), ask());
      const done = doneOf(events);
      assert.equal(done.model, 'claude-sonnet-4');
      assert.deepEqual(done.models, ['gpt-5', 'claude-sonnet-4']);
      assert.ok(done.text.startsWith('one two three '), done.text);
      assert.match(done.text.slice('one two three '.length), /^\[claude-sonnet-4\] /);
      assert.equal(done.attempts[0]!.reason, 'stalled');
      const continuation = sim.requests.at(-1)!.body.messages;
      assert.deepEqual(continuation.at(-2), { role: 'assistant', content: 'one two three ' });
      const start = events.filter((e) => e.type === 'start');
      assert.deepEqual(start.map((s) => (s.type === 'start' ? s.continuing : null)), [false, true]);
    });

    it('never sends reasoning back as the answer when a reasoning model is cut mid-answer', async () => {
      sim.setScript('gpt-5', { reasoning: 'secret chain of thought here', text: 'alpha beta gamma delta', fault: { type: 'cut', afterChunks: 2 } });
      const events = await collect(routerFor(sim, twoModels), ask());
      const done = doneOf(events);
      assert.equal(done.model, 'claude-sonnet-4');
      assert.ok(done.text.startsWith('alpha beta '));
      assert.ok(!done.text.includes('chain of thought'), 'reasoning is not in the answer');
      const sent = JSON.stringify(sim.requests.at(-1)!.body.messages);
      assert.ok(sent.includes('alpha beta '), 'the partial answer is continued');
      assert.ok(!sent.includes('chain of thought'), 'the reasoning is not sent back as the answer');
      assert.equal(events.filter((e) => e.type === 'reasoning').map((e) => (e.type === 'reasoning' ? e.text : '')).join(''), 'secret chain of thought here');
    });

    it('continues on the next model when the connection is cut mid-stream', async () => {
      sim.setScript('gpt-5', { text: 'alpha beta gamma delta', fault: { type: 'cut', afterChunks: 2 } });
      const done = doneOf(await collect(routerFor(sim, twoModels), ask()));
      assert.ok(done.text.startsWith('alpha beta '));
      assert.equal(done.model, 'claude-sonnet-4');
      assert.equal(done.attempts[0]!.reason, 'network');
    });

    it('fails over on an error sent inside a 200 stream', async () => {
      sim.setScript('gpt-5', { fault: { type: 'stream-error', afterChunks: 2 } });
      const done = doneOf(await collect(routerFor(sim, twoModels), ask()));
      assert.equal(done.model, 'claude-sonnet-4');
      assert.equal(done.attempts[0]!.outcome, 'failed');
    });

    it('fails over on an `event: error` inside a 200 stream', async () => {
      sim.setScript('gpt-5', { fault: { type: 'stream-error', afterChunks: 1, asEvent: true } });
      assert.equal(doneOf(await collect(routerFor(sim, twoModels), ask())).model, 'claude-sonnet-4');
    });

    it('fails over instead of crashing on a malformed line', async () => {
      sim.setScript('gpt-5', { fault: { type: 'malformed', afterChunks: 2 } });
      const done = doneOf(await collect(routerFor(sim, twoModels), ask()));
      assert.equal(done.model, 'claude-sonnet-4');
      assert.equal(done.attempts[0]!.reason, 'malformed_stream');
    });

    it('treats a stream that ends without finish_reason as cut and continues elsewhere', async () => {
      sim.setScript('gpt-5', { text: 'half an answer', finishReason: null });
      const done = doneOf(await collect(routerFor(sim, twoModels), ask()));
      assert.deepEqual(done.models, ['gpt-5', 'claude-sonnet-4']);
      assert.equal(done.attempts[0]!.reason, 'truncated');
    });

    it('accepts a stream whose [DONE] is missing but whose finish_reason arrived', async () => {
      sim.setScript('gpt-5', { omitDone: true });
      const done = doneOf(await collect(routerFor(sim, twoModels), ask()));
      assert.equal(done.model, 'gpt-5');
      assert.equal(done.finishReason, 'stop');
    });

    it('handles a first chunk with empty choices, usage in the finish chunk and `data:` without a space', async () => {
      sim.setScript('gpt-5', { emptyChoicesFirst: true, usageInFinishChunk: true, noSpaceAfterData: true });
      const done = doneOf(await collect(routerFor(sim, twoModels), ask()));
      assert.equal(done.model, 'gpt-5');
      assert.match(done.text, /^\[gpt-5\]/);
      assert.ok(done.usage.completionTokens > 0);
    });

    it('reassembles Unicode split across network chunks', async () => {
      const text = 'Grüße 👋🏽 — 你好，世界 ✓';
      const chunk = (content: string, finish: string | null = null) =>
        `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 0, model: 'gpt-5', choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
      const body = chunk(text.slice(0, 9)) + chunk(text.slice(9)) + chunk('', 'stop') + 'data: [DONE]\n\n';
      sim.setScript('gpt-5', { fault: { type: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body, splitBytes: 1 } });
      assert.equal(doneOf(await collect(routerFor(sim, twoModels), ask())).text, text);
    });

    it('an empty answer is not an answer: the next model is asked', async () => {
      sim.setScript('gpt-5', { text: '' });
      const done = doneOf(await collect(routerFor(sim, twoModels), ask()));
      assert.equal(done.model, 'claude-sonnet-4');
    });
  });

  describe('cancellation', () => {
    it('ends within 100 ms of stop mid-stream, keeps the partial text and asks no other model', async () => {
      sim.setScript('gpt-5', { tokensPerSecond: 50 });
      const controller = new AbortController();
      const events = [];
      let abortedAt = 0;
      for await (const e of routerFor(sim, twoModels).run(ask(), controller.signal)) {
        events.push(e);
        if (e.type === 'delta' && !abortedAt) {
          abortedAt = performance.now();
          controller.abort();
        }
      }
      const latency = performance.now() - abortedAt;
      assert.ok(latency < 100, `ended ${latency} ms after abort`);
      const done = doneOf(events);
      assert.equal(done.cancelled, true);
      assert.ok(done.text.length > 0);
      assert.deepEqual(modelsAsked(sim), ['gpt-5']);
    });

    it('ends within 100 ms of stop while the model is still silent', async () => {
      sim.setScript('gpt-5', { fault: { type: 'hang' } });
      const controller = new AbortController();
      const router = routerFor(sim, testConfig({ ...{ routes: { code_review: { primary: 'gpt-5', fallbacks: ['claude-sonnet-4'] } }, globalFallbacks: [] } }, { firstTokenMs: 10_000, idleMs: 10_000, rateLimitMaxWaitMs: 1000 }));
      setTimeout(() => controller.abort(), 150);
      const started = performance.now();
      const events = await collect(router, ask(), controller.signal);
      const took = performance.now() - started;
      assert.ok(took < 250, `took ${took}`);
      assert.equal(doneOf(events).cancelled, true);
      assert.deepEqual(modelsAsked(sim), ['gpt-5']);
    });

    it('ends within 100 ms of stop during a rate-limit wait', async () => {
      const limited = { fault: { type: 'status' as const, status: 429, headers: { 'retry-after': '2' } } };
      sim.setScript('gpt-5', limited);
      sim.setScript('claude-sonnet-4', limited);
      const controller = new AbortController();
      const started = performance.now();
      const events = [];
      for await (const e of routerFor(sim, twoModels).run(ask(), controller.signal)) {
        events.push(e);
        if (e.type === 'waiting') setTimeout(() => controller.abort(), 50);
      }
      assert.ok(performance.now() - started < 400);
      assert.equal(doneOf(events).cancelled, true);
    });
  });

  describe('learning from its own requests', function () {
    this.timeout(15_000);
    /** Long configured timeout: only a learned deadline can make a silent model cheap. */
    const patient = testConfig(
      { routes: { code_review: { primary: 'gpt-5', fallbacks: ['claude-sonnet-4'] } }, globalFallbacks: [] },
      { firstTokenMs: 8_000, idleMs: 2_000, rateLimitMaxWaitMs: 3000 },
    );

    it('records each answer’s time to first token and speed, and learns a deadline from them', async () => {
      // 19 quick answers, then one paced answer long enough to measure its speed.
      sim.setScript('gpt-5', [...Array(19).fill({ ttftMs: 30, words: 10 }), { ttftMs: 30, tokensPerSecond: 200, words: 60 }]);
      const router = routerFor(sim, patient);
      for (let i = 0; i < 20; i++) doneOf(await collect(router, ask()));
      const row = router.health.rows().find((r) => r.model === 'gpt-5')!;
      assert.equal(row.answered, 20);
      assert.ok(row.ttftP50Ms! >= 30 && row.ttftP95Ms! < 1_000, `p50 ${row.ttftP50Ms} p95 ${row.ttftP95Ms}`);
      assert.ok(row.tokensPerSecond! > 50 && row.tokensPerSecond! < 400, `tokens/s ${row.tokensPerSecond}`);

      sim.setScript('gpt-5', { fault: { type: 'hang' } });
      const started = performance.now();
      const done = doneOf(await collect(router, ask()));
      const took = performance.now() - started;
      assert.equal(done.model, 'claude-sonnet-4');
      assert.ok(took >= 1_900 && took < 3_500, `the silent model cost ${Math.round(took)} ms, not the configured 8 s`);
      assert.match(done.attempts[0]!.summary, /sent nothing in time/);
    });

    it('asks a model that became slow after the next one, and says so in the plan', async () => {
      const router = routerFor(sim, patient);
      for (let i = 0; i < 20; i++) router.health.begin('gpt-5').success({ ttftMs: 300 });
      for (let i = 0; i < 8; i++) router.health.begin('gpt-5').success({ ttftMs: 4_000 });
      const plan = router.route({ task: 'code_review' });
      assert.deepEqual(plan.candidates.map((c) => c.model), ['claude-sonnet-4', 'gpt-5']);
      assert.deepEqual(plan.moved, ['gpt-5 asked after claude-sonnet-4: slow (first token 4.0 s, usually 300 ms)']);
      assert.equal(doneOf(await collect(router, ask())).model, 'claude-sonnet-4');
      assert.deepEqual(modelsAsked(sim), ['claude-sonnet-4']);
      assert.deepEqual(router.route({ task: 'code_review', model: 'gpt-5' }).candidates[0]!.model, 'gpt-5', 'a model the user picked keeps its place');
    });

    it('does not count a stopped request for or against the model', async () => {
      sim.setScript('gpt-5', { ttftMs: 2_000 });
      const router = routerFor(sim, patient);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      assert.equal(doneOf(await collect(router, ask(), controller.signal)).cancelled, true);
      const row = router.health.rows().find((r) => r.model === 'gpt-5')!;
      assert.deepEqual([row.answered, row.failed, row.samples], [0, 0, 0]);
    });
  });

  it('the default text mentions the model, so tests can tell who answered', () => {
    assert.match(defaultText('claude-opus-4', { messages: [] }), /claude-opus-4/);
  });
});
