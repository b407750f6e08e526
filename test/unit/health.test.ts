import { strict as assert } from 'node:assert';
import { classify } from '../../src/core/errors';
import { EXPIRY_MS, Health, NOT_OFFERED_MS, type HealthStore } from '../../src/core/resilience/health';
import {
  DEADLINE_FLOOR_MS,
  DEADLINE_P95_MULTIPLE,
  MIN_SAMPLES_FOR_DEADLINE,
  degradation,
  firstTokenDeadline,
  quantile,
  reorderDegraded,
  type LatencyHistory,
} from '../../src/core/resilience/policies';

/** A clock the test moves by hand. */
function fakeClock(start = Date.UTC(2026, 11, 1, 12)) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

/** A store that keeps the last write as JSON text, as globalState would. */
function memoryStore(initial?: unknown): HealthStore & { writes: number; value: unknown } {
  const s = {
    writes: 0,
    value: initial === undefined ? undefined : JSON.parse(JSON.stringify(initial)),
    read: () => s.value,
    write: (v: unknown) => {
      s.writes++;
      s.value = JSON.parse(JSON.stringify(v));
    },
  };
  return s;
}

const serverError = classify({ status: 500, message: 'internal error' });
const timeout = classify({ message: 'no answer within 15000 ms', transport: 'first_token_timeout' });
const rateLimited = (retryAfter?: string) => classify({ status: 429, message: 'Rate limit reached', ...(retryAfter ? { headers: { 'retry-after': retryAfter } } : {}) });
const notFound = classify({ status: 404, message: 'The model `gpt-9` does not exist', code: 'model_not_found' });

const history = (ttft: number[], outcomes: boolean[] = ttft.map(() => true)): LatencyHistory => ({ ttft, outcomes });
const answered = (health: Health, model: string, ttftMs: number, times = 1) => {
  for (let i = 0; i < times; i++) health.begin(model).success({ ttftMs });
};

describe('routing policies (pure, over what Health learned)', () => {
  describe('learned first-token deadline', () => {
    it('keeps the configured deadline until the model has enough answered requests', () => {
      assert.deepEqual(firstTokenDeadline(undefined, 15_000), { ms: 15_000, learned: false });
      assert.equal(firstTokenDeadline(history(Array(MIN_SAMPLES_FOR_DEADLINE - 1).fill(900)), 15_000).ms, 15_000);
    });

    it('becomes 2 × the model’s own p95 once it has history, so a silent model costs seconds, not 15', () => {
      const d = firstTokenDeadline(history(Array.from({ length: 30 }, (_, i) => 900 + i * 5)), 15_000);
      assert.equal(d.learned, true);
      assert.equal(d.p95Ms, Math.round(quantile(Array.from({ length: 30 }, (_, i) => 900 + i * 5), 0.95)!));
      assert.equal(d.ms, Math.round(DEADLINE_P95_MULTIPLE * quantile(Array.from({ length: 30 }, (_, i) => 900 + i * 5), 0.95)!));
      assert.ok(d.ms < 3_000);
    });

    it('has a floor for fast models and never exceeds the configured value for slow ones', () => {
      assert.equal(firstTokenDeadline(history(Array(30).fill(100)), 15_000).ms, DEADLINE_FLOOR_MS);
      const slow = firstTokenDeadline(history(Array(30).fill(9_000)), 15_000);
      assert.deepEqual([slow.ms, slow.learned], [15_000, false]);
      assert.equal(firstTokenDeadline(history(Array(30).fill(100)), 1_000).ms, 1_000, 'a configured deadline below the floor wins');
    });
  });

  describe('degraded models', () => {
    it('calls a model slow when its recent first tokens are several times its usual ones', () => {
      const d = degradation(history([...Array(20).fill(1_000), ...Array(8).fill(4_500)]));
      assert.deepEqual(d, { why: 'slow', recentMs: 4_500, usualMs: 1_000 });
    });

    it('does not call one slow answer, or a small absolute slowdown, degraded', () => {
      assert.equal(degradation(history([...Array(20).fill(1_000), 10_000, ...Array(7).fill(1_000)])), undefined, 'one outlier');
      assert.equal(degradation(history([...Array(20).fill(100), ...Array(8).fill(500)])), undefined, '100 ms → 500 ms');
      assert.equal(degradation(history(Array(8).fill(9_000))), undefined, 'no usual to compare with');
    });

    it('calls a model failing when it failed 40% of its recent attempts', () => {
      assert.deepEqual(degradation(history([], [true, false, true, false, true, false, true])), { why: 'failing', failures: 3, of: 7 });
      assert.equal(degradation(history([], [false, true, false, true, true, true, true, true, true, true])), undefined, '2 of 10');
    });

    it('moves a degraded model behind the next candidate only, and nothing else', () => {
      const slow = history([...Array(20).fill(1_000), ...Array(8).fill(6_000)]);
      const of = (m: string) => (m === 'gpt-5' ? slow : undefined);
      const r = reorderDegraded(['gpt-5', 'claude-sonnet-4', 'gemini-2.5-pro', 'deepseek-v4'], of);
      assert.deepEqual(r.models, ['claude-sonnet-4', 'gpt-5', 'gemini-2.5-pro', 'deepseek-v4']);
      assert.equal(r.moved.length, 1);
      assert.match(r.moved[0]!, /^gpt-5 asked after claude-sonnet-4: slow \(first token 6\.0 s, usually 1\.0 s\)$/);
      assert.deepEqual(reorderDegraded(['a', 'b'], () => undefined), { models: ['a', 'b'], moved: [] });
    });

    it('leaves a degraded model in place when the next one is degraded too, and never moves the last', () => {
      const slow = history([...Array(20).fill(1_000), ...Array(8).fill(6_000)]);
      assert.deepEqual(reorderDegraded(['a', 'b', 'c'], (m) => (m !== 'c' ? slow : undefined)).models, ['a', 'c', 'b']);
      assert.deepEqual(reorderDegraded(['a', 'b'], (m) => (m === 'b' ? slow : undefined)).models, ['a', 'b']);
    });
  });
});

describe('model health with an injected clock', () => {
  it('opens a circuit after three failures that count against the model, for 30 s', () => {
    const clock = fakeClock();
    const health = new Health({ now: clock.now });
    health.begin('gpt-5').failure(serverError);
    health.begin('gpt-5').failure(timeout);
    assert.equal(health.unavailable('gpt-5'), undefined, 'two failures: still tried');
    health.begin('gpt-5').failure(serverError);
    assert.deepEqual(health.unavailable('gpt-5'), { why: 'circuit_open', untilMs: clock.now() + 30_000 });
    clock.advance(29_999);
    assert.equal(health.unavailable('gpt-5')?.why, 'circuit_open');
    clock.advance(1);
    assert.equal(health.unavailable('gpt-5'), undefined, 'due for one test');
  });

  it('lets one request test an open circuit; a failed test keeps it open twice as long, a success closes it', () => {
    const clock = fakeClock();
    const health = new Health({ now: clock.now, failuresToOpen: 1 });
    health.begin('gpt-5').failure(serverError);
    clock.advance(30_000);
    const test = health.begin('gpt-5');
    assert.equal(health.unavailable('gpt-5')?.why, 'circuit_open', 'a second request does not queue behind the test');
    test.failure(serverError);
    assert.deepEqual(health.unavailable('gpt-5'), { why: 'circuit_open', untilMs: clock.now() + 60_000 });
    clock.advance(60_000);
    health.begin('gpt-5').success({ ttftMs: 800 });
    assert.equal(health.unavailable('gpt-5'), undefined);
    health.begin('gpt-5').failure(serverError);
    assert.equal(health.unavailable('gpt-5')?.why, 'circuit_open', 'closed again, so one failure opens it');
    assert.equal((health.unavailable('gpt-5') as { untilMs: number }).untilMs, clock.now() + 30_000, 'back to the first open time');
  });

  it('does not count rate limits, cancellations or bad parameters against a model', () => {
    const clock = fakeClock();
    const health = new Health({ now: clock.now, failuresToOpen: 1 });
    health.begin('gpt-5').failure(rateLimited('2'));
    assert.deepEqual(health.unavailable('gpt-5'), { why: 'cooling_down', untilMs: clock.now() + 2_000 });
    clock.advance(2_000);
    health.begin('gpt-5').release();
    assert.equal(health.unavailable('gpt-5'), undefined);
    assert.deepEqual(health.history('gpt-5')?.outcomes, [], 'no verdict recorded');
  });

  it('backs off 1 s, 2 s, 4 s on rate limits without Retry-After, and forgets the backoff after an answer', () => {
    const clock = fakeClock();
    const health = new Health({ now: clock.now });
    for (const expected of [1_000, 2_000, 4_000]) {
      health.begin('gpt-5').failure(rateLimited());
      assert.equal(health.cooldownRemaining('gpt-5'), expected);
      clock.advance(expected);
    }
    health.begin('gpt-5').success({ ttftMs: 500 });
    health.begin('gpt-5').failure(rateLimited());
    assert.equal(health.cooldownRemaining('gpt-5'), 1_000);
  });

  it('keeps a bounded window of first-token times and answers p50 and p95 per model', () => {
    const health = new Health({ now: fakeClock().now });
    for (let i = 1; i <= 100; i++) health.begin('gpt-5').success({ ttftMs: i * 10, tokensPerSecond: 50 });
    const [row] = health.rows();
    assert.equal(row!.samples, 64);
    assert.equal(row!.answered, 100);
    assert.equal(row!.ttftP50Ms, Math.round(quantile(Array.from({ length: 64 }, (_, i) => (i + 37) * 10), 0.5)!));
    assert.equal(row!.tokensPerSecond, 50);
    assert.equal(row!.state, 'ok');
  });

  it('shows each state a model can be in', () => {
    const clock = fakeClock();
    const health = new Health({ now: clock.now, failuresToOpen: 1 });
    health.begin('down').failure(serverError);
    health.begin('limited').failure(rateLimited('10'));
    health.begin('gone').failure(notFound);
    answered(health, 'slow', 1_000, 20);
    answered(health, 'slow', 5_000, 8);
    answered(health, 'fine', 700, 3);
    const state = Object.fromEntries(health.rows().map((r) => [r.model, r.state]));
    assert.deepEqual(state, { down: 'circuit_open', limited: 'cooling_down', gone: 'not_offered', slow: 'slow', fine: 'ok' });
    const down = health.rows().find((r) => r.model === 'down')!;
    assert.deepEqual([down.untilMs, down.errors, down.lastError?.summary], [clock.now() + 30_000, { server_error: 1 }, 'server error (500)']);
    clock.advance(30_000);
    assert.equal(health.rows().find((r) => r.model === 'down')!.state, 'half_open');
  });
});

describe('model health that persists', () => {
  it('survives a reload: an open circuit is still open, latency and errors are kept', () => {
    const clock = fakeClock();
    const store = memoryStore();
    const before = new Health({ now: clock.now, store, failuresToOpen: 1 });
    before.restore('https://gw.example/v1');
    answered(before, 'claude-sonnet-4', 1_200, 25);
    before.begin('gpt-5').failure(serverError);
    before.dispose();
    clock.advance(5_000);
    const after = new Health({ now: clock.now, store });
    assert.equal(after.restore('https://gw.example/v1'), 2);
    assert.deepEqual(after.unavailable('gpt-5'), { why: 'circuit_open', untilMs: clock.now() + 25_000 });
    assert.equal(firstTokenDeadline(after.history('claude-sonnet-4'), 15_000).ms, 2_400);
    assert.deepEqual(after.rows().map((r) => r.model).sort(), ['claude-sonnet-4', 'gpt-5']);
  });

  it('writes a burst of answers once, after the save delay', async () => {
    const store = memoryStore();
    const health = new Health({ store, saveDelayMs: 20 });
    health.restore('gw');
    let changes = 0;
    health.onChange(() => changes++);
    answered(health, 'gpt-5', 500, 50);
    assert.equal(store.writes, 0);
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual([store.writes, changes], [1, 1]);
  });

  it('does not trust a week-old record or a day-old "not offered", and forgets per-request verdicts', () => {
    const clock = fakeClock();
    const store = memoryStore();
    const health = new Health({ now: clock.now, store });
    health.restore('gw');
    answered(health, 'old', 500, 5);
    clock.advance(EXPIRY_MS - NOT_OFFERED_MS);
    health.begin('gone').failure(notFound);
    health.begin('picky').failure(classify({ status: 400, message: "Unsupported parameter: 'temperature' is not supported with this model." }));
    answered(health, 'fresh', 500, 5);
    health.flush();
    assert.equal(new Health({ now: clock.now, store }).restore('gw'), 4);
    clock.advance(NOT_OFFERED_MS + 1);
    const later = new Health({ now: clock.now, store });
    later.restore('gw');
    assert.deepEqual(later.rows().map((r) => r.model).sort(), ['fresh', 'gone', 'picky'], 'the week-old record is dropped');
    assert.equal(later.unavailable('gone'), undefined, 'asked again after a day');
    assert.equal(later.unavailable('picky'), undefined, 'a rejected parameter is a session verdict');
  });

  it('ignores what was saved for another gateway, or anything that does not parse', () => {
    const store = memoryStore();
    const a = new Health({ store });
    a.restore('https://a/v1');
    answered(a, 'gpt-5', 500, 3);
    a.flush();
    assert.equal(new Health({ store }).restore('https://b/v1'), 0);
    for (const junk of [undefined, 'text', { v: 2 }, { v: 1, gateway: 'https://a/v1', models: { 'gpt-5': { ttft: 'fast' } } }]) {
      assert.equal(new Health({ store: memoryStore(junk) }).restore('https://a/v1'), 0, JSON.stringify(junk));
    }
  });

  it('reset forgets everything, saved state included', () => {
    const store = memoryStore();
    const health = new Health({ store });
    health.restore('gw');
    answered(health, 'gpt-5', 500, 3);
    health.reset('gw2');
    health.flush();
    assert.deepEqual(store.value, { v: 1, gateway: 'gw2', models: {} });
    assert.equal(health.rows().length, 0);
  });
});
