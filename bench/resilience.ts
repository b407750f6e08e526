/**
 * What health learning, hedging and pools buy, measured through the real router, the openai SDK and the
 * simulator, each against the same work without it in the same run:
 * - a primary with history that goes silent costs its learned deadline, not the configured 15 s;
 * - a primary that times out on every call: mean time to first token over 100 requests, learning
 *   against a router that forgets after every request (a fresh Health each time);
 * - restoring a full saved health record, as activation does;
 * - a primary slow (10×) on 10% of requests: p99 time to first token hedged against not, and the extra
 *   requests hedging cost;
 * - a burst of 60 to a pool of three rate-limited models against the same burst to one of them;
 * - a chaos soak: 2,000 streamed requests over five models where 30% of attempts meet a random fault.
 */
import { prng } from '../sim/prng';
import { defaultText } from '../sim/scripts';
import { startSimulator, type ModelScript, type Simulator } from '../sim/server';
import { Gateway } from '../src/core/gateway';
import { Health } from '../src/core/resilience/health';
import { HISTORY_WINDOW, OUTCOME_WINDOW, firstTokenDeadline, quantile } from '../src/core/resilience/policies';
import { resolveSettings } from '../src/core/routes';
import { Router, type RouterEvent } from '../src/core/router';
import { continuationMessages, type ChatMessage } from '../src/core/tasks';
import { routerTtft } from './core';
import { chainConfig, simRouter } from './setup';
import { median, round } from './stats';

export interface ResilienceBenchResults {
  silent_model_failover_learned_s: number;
  learned_deadline_ms: number;
  unhealthy_primary_ttft_ratio: number;
  unhealthy_with_ms: number;
  unhealthy_without_ms: number;
  health_restore_ms: number;
  health_restore_cold_ms: number;
  hedge_p99_ttft_ratio: number;
  hedge_p99_ms: number;
  unhedged_p99_ms: number;
  hedge_extra_request_rate: number;
  pool_burst_429_rate: number;
  single_model_burst_429_rate: number;
  chaos_soak_requests: number;
  chaos_soak_lost_text: number;
  chaos_soak_bad_endings: number;
  chaos_soak_errors: number;
  chaos_soak_requests_per_s: number;
  chaos_soak_heap_growth_mb: number;
}

const PRIMARY = 'gpt-5';
const FALLBACK = 'claude-sonnet-4';

export async function measureResilience(log: (line: string) => void = console.log): Promise<ResilienceBenchResults> {
  const sim = await startSimulator({ models: { [FALLBACK]: { ttftMs: 20, words: 20 } } });
  try {
    return {
      ...(await silentAfterHistory(sim, log)),
      ...(await unhealthyPrimary(sim, log)),
      ...restore(log),
      ...(await hedgeTail(sim, log)),
      ...(await poolBurst(sim, log)),
      ...(await chaosSoak(sim, log)),
    };
  } finally {
    await sim.close();
  }
}

/** Default settings (first-token timeout 15 s); 30 answered requests of about 1 s first token, then silence. */
async function silentAfterHistory(sim: Simulator, log: (line: string) => void) {
  sim.reset();
  const config = chainConfig(PRIMARY, [FALLBACK]);
  const health = new Health();
  const router = simRouter(sim, config, health);
  sim.setScript(PRIMARY, { ttftMs: 1_000, words: 20 });
  // The history is real requests (all at once, so it takes a second rather than thirty).
  await Promise.all(Array.from({ length: 30 }, () => routerTtft(router)));
  sim.setScript(PRIMARY, { fault: { type: 'hang' } });
  const t0 = performance.now();
  const ttft = await routerTtft(router);
  const seconds = (performance.now() - t0) / 1000;
  if (!Number.isFinite(ttft)) throw new Error('the fallback never answered');
  const row = health.rows().find((r) => r.model === PRIMARY)!;
  // The hang itself is not an answer: the deadline the silent attempt had is the one from the 30 answers.
  const learned = firstTokenDeadline(health.history(PRIMARY), config.timeouts.firstTokenMs).ms;
  log(`silent primary after 30 answers (p95 ${row.ttftP95Ms} ms): fallback's first token after ${seconds.toFixed(2)} s (configured deadline ${config.timeouts.firstTokenMs} ms)`);
  return { silent_model_failover_learned_s: round(seconds, 2), learned_deadline_ms: learned };
}

/** A primary that accepts the connection and never answers, on every call; first-token timeout 3 s on both sides. */
async function unhealthyPrimary(sim: Simulator, log: (line: string) => void) {
  sim.reset();
  sim.setScript(PRIMARY, { fault: { type: 'hang' } });
  const config = chainConfig(PRIMARY, [FALLBACK], { firstTokenMs: 3_000 });
  const gateway = new Gateway({ baseURL: sim.url, apiKey: sim.apiKey });
  const N = 100;

  // Learning: one router, one Health, requests one after another as a user makes them.
  const learning = new Router({ gateway, config: () => config, health: new Health() });
  const withTimes: number[] = [];
  for (let i = 0; i < N; i++) withTimes.push(await routerTtft(learning));

  // Without: each request starts from nothing learned. Every such request is alike, so they run ten at a time.
  const withoutTimes: number[] = [];
  for (let i = 0; i < N; i += 10) {
    const batch = await Promise.all(Array.from({ length: 10 }, () => routerTtft(new Router({ gateway, config: () => config, health: new Health() }))));
    withoutTimes.push(...batch);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const withMs = mean(withTimes);
  const withoutMs = mean(withoutTimes);
  log(`primary times out on every call: mean first token ${withMs.toFixed(0)} ms learning, ${withoutMs.toFixed(0)} ms without (first-token timeout 3 s)`);
  return { unhealthy_primary_ttft_ratio: round(withMs / withoutMs), unhealthy_with_ms: round(withMs, 1), unhealthy_without_ms: round(withoutMs, 1) };
}

/** A saved record for 24 models with full windows, as globalState hands it back (parsed JSON). */
function savedRecord(): unknown {
  const now = Date.now();
  const models: Record<string, unknown> = {};
  for (let m = 0; m < 24; m++) {
    models[`model-${m}`] = {
      ttft: Array.from({ length: HISTORY_WINDOW }, (_, i) => 400 + ((i * 37 + m) % 900)),
      outcomes: Array.from({ length: OUTCOME_WINDOW }, (_, i) => i % 4 !== 0),
      tps: Array.from({ length: HISTORY_WINDOW }, (_, i) => 40 + (i % 30)),
      answered: 500 + m,
      failed: 12,
      errors: { server_error: 6, first_token_timeout: 4, rate_limited: 2 },
      lastError: { summary: 'server error (500)', at: now - 60_000 },
      consecutiveFailures: m % 3,
      ...(m % 5 === 0 ? { circuit: { openedAt: now - 5_000, openMs: 30_000 } } : {}),
      ...(m % 7 === 0 ? { cooldownUntil: now + 10_000, backoffMs: 4_000 } : {}),
      hedges: { won: 3, lost: 1 },
      updatedAt: now - 3_600_000,
    };
  }
  return JSON.parse(JSON.stringify({ v: 1, gateway: 'https://global.xidao.online/v1', models }));
}

function restore(log: (line: string) => void) {
  const value = savedRecord();
  const store = { read: () => value, write: () => undefined };
  const time = () => {
    const t0 = performance.now();
    const n = new Health({ store }).restore('https://global.xidao.online/v1');
    const ms = performance.now() - t0;
    if (n !== 24) throw new Error(`restored ${n} of 24 models`);
    return ms;
  };
  const cold = time();
  const runs = Array.from({ length: 50 }, time);
  log(`restoring 24 models with full windows: ${cold.toFixed(2)} ms the first time, median ${median(runs).toFixed(3)} ms after`);
  return { health_restore_ms: round(Math.max(cold, median(runs)), 2), health_restore_cold_ms: round(cold, 2) };
}


/**
 * A primary whose first token usually takes 100 ms and 1 s (10×) on a seeded random 10% of requests,
 * a fallback at 100 ms. Both routers first answer 30 normal requests (history), then 300 measured ones
 * one after another; the hedged and the unhedged run side by side on their own copies of the models.
 */
async function hedgeTail(sim: Simulator, log: (line: string) => void) {
  sim.reset();
  const N = 300;
  // Exactly 10% of the requests are slow, at seeded random places.
  const random = prng(7);
  const pattern: number[] = Array.from({ length: N }, (_, i) => (i < N / 10 ? 1_000 : 100));
  for (let i = N - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pattern[i], pattern[j]] = [pattern[j]!, pattern[i]!];
  }
  const slowCount = pattern.filter((ms) => ms > 100).length;
  const side = async (suffix: string, hedge: boolean) => {
    const primary = `tail-primary-${suffix}`;
    const fallback = `tail-fallback-${suffix}`;
    sim.setScript(primary, [...Array(30).fill({ ttftMs: 100, words: 8 }), ...pattern.map((ttftMs) => ({ ttftMs, words: 8 }))]);
    sim.setScript(fallback, { ttftMs: 100, words: 8 });
    const config = chainConfig(primary, [fallback]);
    const router = simRouter(sim, config);
    const one = async () => {
      const t0 = performance.now();
      let ttft = NaN;
      let hedged = false;
      for await (const e of router.run({ task: 'code_review', messages: [{ role: 'user', content: 'Review: let x = 1' }], hedge }, new AbortController().signal)) {
        if (e.type === 'delta' && Number.isNaN(ttft)) ttft = performance.now() - t0;
        if (e.type === 'hedge') hedged = true;
      }
      return { ttft, hedged };
    };
    for (let i = 0; i < 30; i++) await one();
    const out: Array<{ ttft: number; hedged: boolean }> = [];
    for (let i = 0; i < N; i++) out.push(await one());
    return out;
  };
  const [hedged, plain] = await Promise.all([side('h', true), side('p', false)]);
  const p99h = quantile(hedged.map((r) => r.ttft), 0.99)!;
  const p99p = quantile(plain.map((r) => r.ttft), 0.99)!;
  const extra = hedged.filter((r) => r.hedged).length;
  log(`primary slow on ${slowCount} of ${N} requests: p99 first token ${p99h.toFixed(0)} ms hedged, ${p99p.toFixed(0)} ms not; ${extra} hedges (${((extra / N) * 100).toFixed(1)}% extra requests)`);
  return { hedge_p99_ttft_ratio: round(p99h / p99p), hedge_p99_ms: round(p99h, 1), unhedged_p99_ms: round(p99p, 1), hedge_extra_request_rate: round(extra / N) };
}

/** 60 requests at once to a pool of three models that each allow 25 requests per 10 s, and to one such model. */
async function poolBurst(sim: Simulator, log: (line: string) => void) {
  sim.reset();
  const limited = { ttftMs: 200, words: 10, rateLimit: { requests: 25, windowMs: 10_000 } };
  const members = ['burst-a', 'burst-b', 'burst-c'];
  for (const m of [...members, 'burst-single']) sim.setScript(m, limited);
  const burst = async (primary: string, pools: Record<string, string[]>) => {
    const { config } = resolveSettings([{ source: 'user', values: { routes: { code_review: { primary, fallbacks: [] } }, globalFallbacks: [], pools, timeouts: { rateLimitMaxWaitMs: 0 } } }]);
    const router = simRouter(sim, config);
    const runs = await Promise.all(
      Array.from({ length: 60 }, async () => {
        let limitedHere = false;
        for await (const e of router.run({ task: 'code_review', messages: [{ role: 'user', content: 'Review: let x = 1' }] }, new AbortController().signal)) {
          if ((e.type === 'done' || e.type === 'error') && e.attempts.some((a) => a.reason === 'rate_limited')) limitedHere = true;
        }
        return limitedHere;
      }),
    );
    return runs.filter(Boolean).length / runs.length;
  };
  const pool = await burst('pool:burst', { burst: members });
  const spread = members.map((m) => sim.requests.filter((r) => r.model === m).length);
  const single = await burst('burst-single', {});
  log(`burst of 60: ${(pool * 100).toFixed(1)}% met a 429 on the pool of 3 (requests per member ${spread.join(' / ')}), ${(single * 100).toFixed(1)}% on one model`);
  return { pool_burst_429_rate: round(pool), single_model_burst_429_rate: round(single) };
}

const CHAOS_WORDS = 16;

/** Whether an answer is exactly its contributors' texts, each a prefix and the last one whole: nothing lost, nothing repeated. */
function intact(text: string, models: string[], original: ChatMessage[]): boolean {
  let rest = text;
  for (let i = 0; i < models.length; i++) {
    const model = models[i]!;
    const messages = i === 0 ? original : continuationMessages(original, 'x');
    const full = defaultText(model, { messages }, CHAOS_WORDS);
    const next = models[i + 1];
    // Each model's text begins with its name in brackets: that is where the next piece starts.
    const end = next ? rest.indexOf(`[${next}]`) : rest.length;
    if (end < 0) return false;
    const piece = rest.slice(0, end);
    if (next ? !full.startsWith(piece) || piece.length === 0 : piece !== full) return false;
    rest = rest.slice(end);
  }
  return rest === '';
}

/**
 * 2,000 streamed requests, 32 at a time, over pool:chaos (three models) then two fallbacks, hedging and
 * pools on; every model meets a seeded random fault on 30% of its requests: 500, 502, 503, 529, 429 with
 * Retry-After, a hang, a stall, a cut, an error inside the stream, a malformed line.
 */
async function chaosSoak(sim: Simulator, log: (line: string) => void) {
  sim.reset();
  const models = ['chaos-a', 'chaos-b', 'chaos-c', 'chaos-d', 'chaos-e'];
  const random = prng(42);
  const faults: Array<() => ModelScript['fault']> = [
    () => ({ type: 'status', status: 500 }),
    () => ({ type: 'status', status: 502, body: '<html>Bad gateway</html>', headers: { 'content-type': 'text/html' } }),
    () => ({ type: 'status', status: 503 }),
    () => ({ type: 'status', status: 529, body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } }),
    () => ({ type: 'status', status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' } } }),
    () => ({ type: 'hang' }),
    () => ({ type: 'stall', afterChunks: 1 + Math.floor(random() * 8) }),
    () => ({ type: 'cut', afterChunks: 1 + Math.floor(random() * 8) }),
    () => ({ type: 'stream-error', afterChunks: 1 + Math.floor(random() * 8) }),
    () => ({ type: 'malformed', afterChunks: 1 + Math.floor(random() * 8) }),
  ];
  for (const m of models) {
    const scripts = Array.from({ length: 997 }, (): ModelScript => {
      const fault = random() < 0.3 ? faults[Math.floor(random() * faults.length)]!() : undefined;
      return { words: CHAOS_WORDS, ttftMs: 5 + Math.floor(random() * 30), ...(fault ? { fault } : {}) };
    });
    sim.setScript(m, scripts, { cycle: true });
  }
  const { config } = resolveSettings([
    {
      source: 'user',
      values: {
        routes: { code_review: { primary: 'pool:chaos', fallbacks: ['chaos-d', 'chaos-e'] } },
        globalFallbacks: [],
        pools: { chaos: ['chaos-a', 'chaos-b', 'chaos-c'] },
        timeouts: { firstTokenMs: 400, idleMs: 400, rateLimitMaxWaitMs: 1_500 },
        hedging: { afterMs: 200 },
      },
    },
  ]);
  const router = simRouter(sim, config);
  // The check itself must catch a lost piece and a repeated one.
  const probe: ChatMessage[] = [{ role: 'user', content: 'probe' }];
  const a = defaultText('chaos-a', { messages: probe }, CHAOS_WORDS);
  const d = defaultText('chaos-d', { messages: continuationMessages(probe, 'x') }, CHAOS_WORDS);
  if (!intact(a.slice(0, 20) + d, ['chaos-a', 'chaos-d'], probe) || intact(a.slice(0, 20) + d.slice(10), ['chaos-a', 'chaos-d'], probe) || intact(a.slice(0, 20) + a.slice(10, 20) + d, ['chaos-a', 'chaos-d'], probe)) {
    throw new Error('the chaos soak’s text check is broken');
  }
  const N = 2_000;
  let lost = 0;
  let badEndings = 0;
  let errors = 0;
  const one = async (i: number) => {
    const messages: ChatMessage[] = [{ role: 'user', content: `Review: let x${i} = ${i}` }];
    let shown = '';
    const ends: Array<Extract<RouterEvent, { type: 'done' | 'error' }>> = [];
    for await (const e of router.run({ task: 'code_review', messages, hedge: true }, new AbortController().signal)) {
      if (ends.length) badEndings++; // nothing may follow the end
      if (e.type === 'delta') shown += e.text;
      if (e.type === 'done' || e.type === 'error') ends.push(e);
    }
    const end = ends[0];
    if (ends.length !== 1 || !end) return void badEndings++;
    if (end.type === 'error') {
      errors++;
      // The only correct error here: every model failed (or stayed rate-limited), named one by one.
      if (end.reason !== 'all_failed' || !end.userText.startsWith('Every model failed.')) badEndings++;
      return;
    }
    if (shown !== end.text || !intact(end.text, end.models, messages)) lost++;
  };
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < N) await one(next++);
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  // The simulator runs in this process: its request log is not the router's memory.
  sim.requests.length = 0;
  globalThis.gc?.();
  const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
  log(`chaos soak: ${N} requests in ${seconds.toFixed(1)} s, ${errors} ended in "every model failed", ${lost} answers lost or repeated text, ${badEndings} bad endings, heap ${heapGrowthMb.toFixed(1)} MB`);
  return {
    chaos_soak_requests: N,
    chaos_soak_lost_text: lost,
    chaos_soak_bad_endings: badEndings,
    chaos_soak_errors: errors,
    chaos_soak_requests_per_s: round(N / seconds, 1),
    chaos_soak_heap_growth_mb: round(heapGrowthMb, 2),
  };
}
