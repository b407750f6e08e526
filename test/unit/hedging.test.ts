import { strict as assert } from 'node:assert';
import type { Simulator } from '../../sim/server';
import { Health } from '../../src/core/resilience/health';
import { HEDGE_FLOOR_MS, HEDGE_WINDOW_MS, hedgeAllowed, hedgeDelay, poolOrder, quantile, type MemberLoad } from '../../src/core/resilience/policies';
import { resolveSettings } from '../../src/core/routes';
import { expandPools, planRoute, type RouterEvent } from '../../src/core/router';
import { ask, collect, doneOf, modelsAsked, routerFor, testConfig, useSimulator } from './helpers';

/** A generator of numbers in [0, 1) that replays a list (for power-of-two draws). */
const replay = (...xs: number[]) => {
  let i = 0;
  return () => xs[i++ % xs.length]!;
};

describe('hedging and pool policies (pure)', () => {
  it('hedges after the configured bound without history, after the learned p95 with it', () => {
    assert.deepEqual(hedgeDelay(undefined, 3_000), { ms: 3_000, learned: false });
    const ttft = [...Array(36).fill(400), 2_000, 2_100, 2_200, 2_300];
    assert.deepEqual(hedgeDelay({ ttft, outcomes: [] }, 3_000), { ms: Math.round(quantile(ttft, 0.95)!), learned: true });
    assert.equal(hedgeDelay({ ttft: Array(40).fill(400), outcomes: [] }, 3_000).ms, 600, 'a steady model is not hedged on noise: at least 1.5 × its median');
    assert.equal(hedgeDelay({ ttft: Array(40).fill(50), outcomes: [] }, 3_000).ms, HEDGE_FLOOR_MS);
  });

  it('keeps hedges within their share of the requests of the last ten minutes', () => {
    const now = 1_000_000_000;
    const nine = Array.from({ length: 9 }, (_, i) => now - i * 1000);
    assert.equal(hedgeAllowed(nine, [], now, 0.1), false, '9 requests: not yet one hedge');
    assert.equal(hedgeAllowed([...nine, now], [], now, 0.1), true, 'the 10th allows one');
    assert.equal(hedgeAllowed([...nine, now], [now - 5], now, 0.1), false, 'and only one');
    const old = Array.from({ length: 10 }, () => now - HEDGE_WINDOW_MS - 1);
    assert.equal(hedgeAllowed(old, [], now, 0.1), false, 'requests older than the window do not count');
    assert.equal(hedgeAllowed([now], [], now, 1), true, '100%: every request may be hedged');
  });

  it('sends a pool request to the less loaded of two members drawn at random, the rest by load, known-down members last', () => {
    const loads: Record<string, MemberLoad> = {
      a: { outstanding: 3, latencyMs: 500, down: false },
      b: { outstanding: 0, latencyMs: 500, down: false },
      c: { outstanding: 1, latencyMs: 500, down: false },
      d: { outstanding: 0, latencyMs: 100, down: true },
    };
    const load = (m: string) => loads[m]!;
    // Draws a (index 0) and c (index 1 of the others): c is less loaded and goes first; then b, then a.
    assert.deepEqual(poolOrder(['a', 'b', 'c', 'd'], load, replay(0, 0.5)), ['c', 'b', 'a', 'd']);
    // Draws a and b: b first.
    assert.deepEqual(poolOrder(['a', 'b', 'c', 'd'], load, replay(0, 0)), ['b', 'c', 'a', 'd']);
    // Latency weighs in: 2 in flight at 100 ms beats 0 in flight at 1 s.
    const fast = (m: string): MemberLoad => (m === 'x' ? { outstanding: 2, latencyMs: 100, down: false } : { outstanding: 0, latencyMs: 1000, down: false });
    assert.deepEqual(poolOrder(['x', 'y'], fast, replay(0, 0)), ['x', 'y']);
    assert.deepEqual(poolOrder(['x', 'y'], () => ({ outstanding: 0, down: true }), Math.random), ['x', 'y'], 'all down: as listed');
    // A member never asked counts as the typical member: idle, it wins a draw against a slower one.
    const fresh = (m: string): MemberLoad => (m === 'new' ? { outstanding: 0, down: false } : { outstanding: 0, latencyMs: m === 'slow' ? 2_000 : 500, down: false });
    assert.equal(poolOrder(['slow', 'new', 'fast'], fresh, replay(0, 0))[0], 'new');
  });

  it('expands pool:name in place into its members, keeping each model once', () => {
    const pools = { eco: ['gpt-5-mini', 'deepseek-v4', 'qwen3-235b'] };
    assert.deepEqual(expandPools(['pool:eco', 'gpt-5', 'deepseek-v4'], pools, (m) => [...m].reverse()), ['qwen3-235b', 'deepseek-v4', 'gpt-5-mini', 'gpt-5']);
    const config = testConfig({ pools, routes: { general_qa: { primary: 'pool:eco', fallbacks: ['claude-sonnet-4'] } }, globalFallbacks: [] });
    assert.deepEqual(planRoute('general_qa', config).candidates.map((c) => c.model), ['gpt-5-mini', 'deepseek-v4', 'qwen3-235b', 'claude-sonnet-4']);
  });

  it('names the bad key for a pool that is not defined, a pool inside a pool, or bad hedging values', () => {
    const { config, problems } = resolveSettings([
      {
        source: 'user',
        values: {
          pools: { eco: ['gpt-5-mini', 'pool:eco'], 'bad name': ['a'], ok: ['deepseek-v4'] },
          routes: { general_qa: { primary: 'pool:missing', fallbacks: ['pool:ok', 'pool:nope'] } },
          hedging: { afterMs: 5, maxExtraPercent: 500, enabled: 'yes', later: 1 },
        },
      },
    ]);
    const byKey = Object.fromEntries(problems.map((p) => [p.key, p.message]));
    assert.match(byKey['switchboard.pools.eco']!, /a pool lists models, not other pools/);
    assert.match(byKey['switchboard.pools.bad name']!, /expected a pool name/);
    assert.match(byKey['switchboard.routes.general_qa.primary']!, /unknown pool "missing"; switchboard.pools defines ok/);
    assert.match(byKey['switchboard.routes.general_qa.fallbacks']!, /unknown pool "nope"/);
    assert.match(byKey['switchboard.hedging.afterMs']!, /whole milliseconds from 100/);
    assert.match(byKey['switchboard.hedging.maxExtraPercent']!, /percentage from 0 to 100/);
    assert.match(byKey['switchboard.hedging.enabled']!, /true or false/);
    assert.match(byKey['switchboard.hedging.later']!, /unknown field/);
    assert.equal(config.routes.general_qa.primary, 'gpt-5-mini', 'the default primary instead of the unknown pool');
    assert.deepEqual(config.routes.general_qa.fallbacks, ['pool:ok']);
    assert.deepEqual(config.hedging, { enabled: true, afterMs: 3_000, maxExtraPercent: 10 });
  });
});

describe('hedging and pools through the simulator', function () {
  this.timeout(20_000);
  let sim: Simulator;
  useSimulator((s) => (sim = s), {}, { resetEach: true });

  describe('hedged requests', () => {

    /** gpt-5 → claude-sonnet-4 for code_review, hedging after 300 ms without history, no budget limit. */
    const hedged = (hedging: object = {}) =>
      testConfig({ routes: { code_review: { primary: 'gpt-5', fallbacks: ['claude-sonnet-4'] } }, globalFallbacks: [], hedging: { afterMs: 300, maxExtraPercent: 100, ...hedging } }, { firstTokenMs: 5_000, idleMs: 2_000, rateLimitMaxWaitMs: 3000 });
    const interactive = { ...ask(), hedge: true };
    const chatOf = (s: Simulator) => s.requests.filter((r) => r.path.endsWith('/chat/completions'));

    it('starts the next model when the first is slow to start; the first to stream answers and the other’s connection is closed', async () => {
      sim.setScript('gpt-5', { ttftMs: 3_000 });
      sim.setScript('claude-sonnet-4', { ttftMs: 50 });
      const router = routerFor(sim, hedged());
      const started = performance.now();
      const events = await collect(router, interactive);
      const done = doneOf(events);
      assert.equal(done.model, 'claude-sonnet-4');
      assert.match(done.text, /^\[claude-sonnet-4\]/);
      assert.deepEqual(done.hedge, { winner: 'claude-sonnet-4', loser: 'gpt-5', afterMs: 300 });
      assert.ok(performance.now() - started < 1_500, 'not the slow model’s 3 s');
      const hedge = events.find((e) => e.type === 'hedge') as Extract<RouterEvent, { type: 'hedge' }>;
      assert.deepEqual([hedge.from, hedge.to, hedge.afterMs], ['gpt-5', 'claude-sonnet-4', 300]);
      assert.equal(events.filter((e) => e.type === 'failover').length, 0, 'a hedge is not a failover');
      assert.deepEqual(done.attempts.map((a) => [a.model, a.outcome]), [['gpt-5', 'lost_race'], ['claude-sonnet-4', 'answered']]);
      const [slow] = chatOf(sim);
      assert.ok(slow!.endedAt !== undefined && slow!.firstChunkAt === undefined, 'the loser’s connection was closed before it sent anything');
      assert.ok(slow!.endedAt! - slow!.receivedAt < 1_500);
      const rows = Object.fromEntries(router.health.rows().map((r) => [r.model, r]));
      assert.deepEqual([rows['claude-sonnet-4']!.hedges, rows['gpt-5']!.hedges], [{ won: 1, lost: 0 }, { won: 0, lost: 1 }]);
      assert.deepEqual([rows['gpt-5']!.answered, rows['gpt-5']!.failed], [0, 0], 'losing a race is no verdict on the model');
    });

    it('keeps the first model when it streams before the hedge does, and stops the hedge', async () => {
      sim.setScript('gpt-5', { ttftMs: 500 });
      sim.setScript('claude-sonnet-4', { ttftMs: 2_000 });
      const done = doneOf(await collect(routerFor(sim, hedged()), interactive));
      assert.equal(done.model, 'gpt-5');
      assert.deepEqual(done.hedge, { winner: 'gpt-5', loser: 'claude-sonnet-4', afterMs: 300 });
      const backup = chatOf(sim).find((r) => r.model === 'claude-sonnet-4')!;
      assert.ok(backup.endedAt !== undefined && backup.firstChunkAt === undefined);
    });

    it('when the first model fails while the hedge runs, the hedge answers as the failover, with no third request', async () => {
      sim.setScript('gpt-5', { fault: { type: 'status', status: 500, delayMs: 600 } });
      sim.setScript('claude-sonnet-4', { ttftMs: 1_000 });
      const events = await collect(routerFor(sim, testConfig({ routes: { code_review: { primary: 'gpt-5', fallbacks: ['claude-sonnet-4', 'gemini-2.5-pro'] } }, globalFallbacks: [], hedging: { afterMs: 300, maxExtraPercent: 100 } }, { firstTokenMs: 5_000, idleMs: 2_000, rateLimitMaxWaitMs: 3000 })), interactive);
      const done = doneOf(events);
      assert.equal(done.model, 'claude-sonnet-4');
      assert.equal(done.hedge, undefined, 'no race was won: the other one failed');
      assert.deepEqual(modelsAsked(sim), ['gpt-5', 'claude-sonnet-4']);
      const failover = events.find((e) => e.type === 'failover') as Extract<RouterEvent, { type: 'failover' }>;
      assert.deepEqual([failover.from, failover.to, failover.status], ['gpt-5', 'claude-sonnet-4', 500]);
    });

    it('does not hedge batch work, or when switchboard.hedging.enabled is false', async () => {
      sim.setScript('gpt-5', { ttftMs: 500 });
      assert.equal(doneOf(await collect(routerFor(sim, hedged()), ask())).model, 'gpt-5', 'a request without hedge: true (batch)');
      assert.equal(doneOf(await collect(routerFor(sim, hedged({ enabled: false })), interactive)).model, 'gpt-5');
      assert.deepEqual(modelsAsked(sim), ['gpt-5', 'gpt-5']);
    });

    it('hedges at most its share of requests', async () => {
      sim.setScript('gpt-5', { ttftMs: 250 });
      const router = routerFor(sim, hedged({ maxExtraPercent: 10, afterMs: 100 }));
      for (let i = 0; i < 9; i++) await collect(router, interactive);
      assert.deepEqual(new Set(modelsAsked(sim)), new Set(['gpt-5']), 'nine requests: no hedge yet');
      await collect(router, interactive);
      await collect(router, interactive);
      assert.equal(modelsAsked(sim).filter((m) => m === 'claude-sonnet-4').length, 1, 'the tenth may be hedged, the eleventh not');
    });

    it('ends within 100 ms of stop during a race, closing both connections', async () => {
      sim.setScript('gpt-5', { ttftMs: 3_000 });
      sim.setScript('claude-sonnet-4', { ttftMs: 3_000 });
      const controller = new AbortController();
      const events: RouterEvent[] = [];
      let stoppedAt = 0;
      for await (const e of routerFor(sim, hedged()).run(interactive, controller.signal)) {
        events.push(e);
        if (e.type === 'hedge')
          setTimeout(() => {
            stoppedAt = performance.now();
            controller.abort();
          }, 100);
      }
      assert.ok(performance.now() - stoppedAt < 100);
      assert.equal(doneOf(events).cancelled, true);
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(chatOf(sim).every((r) => r.endedAt !== undefined), 'both connections closed');
    });
  });

  describe('pools', () => {
    const pooled = testConfig(
      {
        pools: { eco: ['gpt-5-mini', 'deepseek-v4', 'qwen3-235b'] },
        routes: { general_qa: { primary: 'pool:eco', fallbacks: ['claude-sonnet-4'] } },
        globalFallbacks: [],
      },
      { firstTokenMs: 5_000, idleMs: 5_000, rateLimitMaxWaitMs: 3000 },
    );

    it('spreads a burst across the pool’s members', async () => {
      for (const m of ['gpt-5-mini', 'deepseek-v4', 'qwen3-235b']) sim.setScript(m, { ttftMs: 200, words: 10 });
      const router = routerFor(sim, pooled);
      await Promise.all(Array.from({ length: 30 }, () => collect(router, ask('general_qa', 'What is a closure?')).then(doneOf)));
      const counts: Record<string, number> = {};
      for (const m of modelsAsked(sim)) counts[m!] = (counts[m!] ?? 0) + 1;
      assert.equal(modelsAsked(sim).length, 30, 'one request each, no failover');
      assert.deepEqual(Object.keys(counts).sort(), ['deepseek-v4', 'gpt-5-mini', 'qwen3-235b']);
      assert.ok(Math.max(...Object.values(counts)) <= 13, `balanced: ${JSON.stringify(counts)}`);
    });

    it('falls through to the pool’s other members before the chain moves on', async () => {
      sim.setScript('gpt-5-mini', { fault: { type: 'status', status: 500 } });
      sim.setScript('deepseek-v4', { fault: { type: 'status', status: 503 } });
      const router = routerFor(sim, pooled, new Health());
      const done = doneOf(await collect(router, ask('general_qa', 'What is a closure?')));
      assert.equal(done.model, 'qwen3-235b');
      assert.ok(!modelsAsked(sim).includes('claude-sonnet-4'));
    });
  });
});
