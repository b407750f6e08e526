/**
 * What health learning buys, measured through the real router, the openai SDK and the simulator:
 * - a primary with history that goes silent costs its learned deadline, not the configured 15 s;
 * - a primary that times out on every call: mean time to first token over 100 requests, learning
 *   against a router that forgets after every request (a fresh Health each time), side by side;
 * - restoring a full saved health record, as activation does.
 */
import { startSimulator, type Simulator } from '../sim/server';
import { Gateway } from '../src/core/gateway';
import { Health } from '../src/core/resilience/health';
import { HISTORY_WINDOW, OUTCOME_WINDOW, firstTokenDeadline } from '../src/core/resilience/policies';
import { Router } from '../src/core/router';
import { chainConfig, routerTtft } from './core';
import { median, round } from './stats';

export interface HealthBenchResults {
  silent_model_failover_learned_s: number;
  learned_deadline_ms: number;
  unhealthy_primary_ttft_ratio: number;
  unhealthy_with_ms: number;
  unhealthy_without_ms: number;
  health_restore_ms: number;
  health_restore_cold_ms: number;
}

const PRIMARY = 'gpt-5';
const FALLBACK = 'claude-sonnet-4';

export async function measureHealth(log: (line: string) => void = console.log): Promise<HealthBenchResults> {
  const sim = await startSimulator({ models: { [FALLBACK]: { ttftMs: 20, words: 20 } } });
  try {
    return { ...(await silentAfterHistory(sim, log)), ...(await unhealthyPrimary(sim, log)), ...restore(log) };
  } finally {
    await sim.close();
  }
}

/** Default settings (first-token timeout 15 s); 30 answered requests of about 1 s first token, then silence. */
async function silentAfterHistory(sim: Simulator, log: (line: string) => void) {
  sim.reset();
  const config = chainConfig(PRIMARY, [FALLBACK]);
  const health = new Health();
  const router = new Router({ gateway: new Gateway({ baseURL: sim.url, apiKey: sim.apiKey }), config: () => config, health });
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
