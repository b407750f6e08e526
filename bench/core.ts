/** Router benchmarks against the simulator, each measured side by side with the direct SDK call in one run. */
import OpenAI from 'openai';
import { startSimulator, type Simulator } from '../sim/server';
import { Gateway } from '../src/core/gateway';
import { Health } from '../src/core/resilience/health';
import { DEFAULT_CONFIG } from '../src/core/routes';
import { Router } from '../src/core/router';
import { runScenarios, type ScenarioResult } from './scenarios';
import { chainConfig, simRouter } from './setup';

export { chainConfig } from './setup';
import { median, round } from './stats';

const messages = [{ role: 'user' as const, content: 'Review: const a = 1;' }];


/** Time to first token through the router, in ms. */
export async function routerTtft(router: Router): Promise<number> {
  const t0 = performance.now();
  let ttft = NaN;
  for await (const e of router.run({ task: 'code_review', messages }, new AbortController().signal)) {
    if (e.type === 'delta' && Number.isNaN(ttft)) ttft = performance.now() - t0;
  }
  return ttft;
}

/** Time to first token calling the SDK directly, configured the same way (no retries). */
async function directTtft(client: OpenAI, model: string): Promise<number> {
  const t0 = performance.now();
  let ttft = NaN;
  const stream = await client.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true }, max_tokens: 4096, temperature: 0.1 });
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta?.content && Number.isNaN(ttft)) ttft = performance.now() - t0;
  }
  return ttft;
}

export interface CoreResults {
  router_overhead_p50_ms: number;
  router_ttft_p50_ms: number;
  direct_ttft_p50_ms: number;
  failover_switch_p50_ms: number;
  breaker_skip_cost_ms: number;
  cancel_latency_p50_ms: number;
  core_heap_mb_1000_requests: number;
  silent_model_failover_s: number;
  failover_scenarios_passed: number;
  failover_scenarios_total: number;
  scenarios: ScenarioResult[];
}

export async function measureCore(log: (line: string) => void = console.log): Promise<CoreResults> {
  const sim = await startSimulator({ models: { 'gpt-5': { words: 40 }, 'claude-sonnet-4': { words: 40 } } });
  try {
    return await measure(sim, log);
  } finally {
    await sim.close();
  }
}

async function measure(sim: Simulator, log: (line: string) => void): Promise<CoreResults> {
  const N = 300;
  const direct = new OpenAI({ baseURL: sim.url, apiKey: sim.apiKey, maxRetries: 0 });
  const healthyRouter = simRouter(sim, chainConfig('gpt-5', ['claude-sonnet-4']));

  // Router overhead: paired, alternating order, same simulated model, after a warm-up.
  for (let i = 0; i < 20; i++) {
    await directTtft(direct, 'gpt-5');
    await routerTtft(healthyRouter);
  }
  const diffs: number[] = [];
  const routerT: number[] = [];
  const directT: number[] = [];
  for (let i = 0; i < N; i++) {
    // Alternate which goes first so neither side always gets the warmer connection.
    let r: number;
    let d: number;
    if (i % 2) {
      d = await directTtft(direct, 'gpt-5');
      r = await routerTtft(healthyRouter);
    } else {
      r = await routerTtft(healthyRouter);
      d = await directTtft(direct, 'gpt-5');
    }
    routerT.push(r);
    directT.push(d);
    diffs.push(r - d);
  }
  const router_overhead_p50_ms = median(diffs);
  log(`router overhead: router ttft p50 ${median(routerT).toFixed(3)} ms, direct ${median(directT).toFixed(3)} ms`);

  // Failover switch: from the primary's 500 arriving at the client to the fallback's request leaving it.
  sim.reset();
  sim.setScript('gpt-5', { fault: { type: 'status', status: 500, body: { error: { message: 'boom' } } } });
  const switches: number[] = [];
  let lastErrorAt = 0;
  const timedFetch: typeof fetch = async (input, init) => {
    const body = typeof init?.body === 'string' ? init.body : '';
    if (body.includes('"claude-sonnet-4"') && lastErrorAt) switches.push(performance.now() - lastErrorAt);
    const res = await fetch(input, init);
    if (res.status === 500) lastErrorAt = performance.now();
    return res;
  };
  for (let i = 0; i < 200; i++) {
    lastErrorAt = 0;
    // A fresh Health each time: the breaker must not open, every run must really fail over.
    const r = new Router({ gateway: new Gateway({ baseURL: sim.url, apiKey: sim.apiKey, fetch: timedFetch }), config: () => chainConfig('gpt-5', ['claude-sonnet-4']), health: new Health() });
    await routerTtft(r);
  }
  const failover_switch_p50_ms = median(switches);

  // Breaker skip: a known-down primary vs. a chain that starts at the fallback, alternating.
  sim.reset();
  sim.setScript('gpt-5', { fault: { type: 'status', status: 503 } });
  const downHealth = new Health({ failuresToOpen: 1, halfOpenAfterMs: 3_600_000 });
  const skipRouter = simRouter(sim, chainConfig('gpt-5', ['claude-sonnet-4']), downHealth);
  await routerTtft(skipRouter); // opens gpt-5's circuit
  const fallbackFirst = simRouter(sim, chainConfig('claude-sonnet-4', []));
  const skipDiffs: number[] = [];
  const before = sim.requests.filter((r) => r.model === 'gpt-5').length;
  for (let i = 0; i < 200; i++) {
    const a = await routerTtft(skipRouter);
    const b = await routerTtft(fallbackFirst);
    skipDiffs.push(a - b);
  }
  const askedDown = sim.requests.filter((r) => r.model === 'gpt-5').length - before;
  if (askedDown > 0) log(`warning: the known-down model was asked ${askedDown} times`);
  const breaker_skip_cost_ms = median(skipDiffs);

  // Cancellation: abort on the first token of a slow stream; time until the iterator has ended.
  sim.reset();
  sim.setScript('gpt-5', { tokensPerSecond: 20, words: 200 });
  const cancels: number[] = [];
  for (let i = 0; i < 50; i++) {
    const controller = new AbortController();
    let abortedAt = 0;
    for await (const e of healthyRouter.run({ task: 'code_review', messages }, controller.signal)) {
      if (e.type === 'delta' && !abortedAt) {
        abortedAt = performance.now();
        controller.abort();
      }
    }
    cancels.push(performance.now() - abortedAt);
  }
  const cancel_latency_p50_ms = median(cancels);

  // Heap growth over 1000 streamed requests (needs --expose-gc for a meaningful number).
  sim.reset();
  const gc = (globalThis as { gc?: () => void }).gc;
  const heapRouter = simRouter(sim, chainConfig('gpt-5', ['claude-sonnet-4']));
  for (let i = 0; i < 50; i++) await routerTtft(heapRouter);
  gc?.();
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  for (let i = 0; i < 1000; i++) {
    await routerTtft(heapRouter);
    if (i % 100 === 99) sim.reset(); // the simulator's own request log is not the router's memory
  }
  gc?.();
  gc?.();
  const core_heap_mb_1000_requests = (process.memoryUsage().heapUsed - heap0) / 1024 / 1024;
  if (!gc) log('note: run with --expose-gc for an exact heap figure');

  // A silent primary with the default timeouts: seconds until the fallback's first token.
  sim.reset();
  sim.setScript('gpt-5', { fault: { type: 'hang' } });
  const defaults = chainConfig('gpt-5', ['claude-sonnet-4'], DEFAULT_CONFIG.timeouts);
  const silentRouter = simRouter(sim, defaults);
  log(`silent model: waiting for the default first-token timeout (${defaults.timeouts.firstTokenMs} ms)…`);
  const silent_model_failover_s = (await routerTtft(silentRouter)) / 1000;

  const scenarios = await runScenarios(sim);
  return {
    router_overhead_p50_ms: round(router_overhead_p50_ms),
    router_ttft_p50_ms: round(median(routerT)),
    direct_ttft_p50_ms: round(median(directT)),
    failover_switch_p50_ms: round(failover_switch_p50_ms),
    breaker_skip_cost_ms: round(breaker_skip_cost_ms),
    cancel_latency_p50_ms: round(cancel_latency_p50_ms),
    core_heap_mb_1000_requests: round(core_heap_mb_1000_requests, 2),
    silent_model_failover_s: round(silent_model_failover_s, 2),
    failover_scenarios_passed: scenarios.filter((s) => s.passed).length,
    failover_scenarios_total: scenarios.length,
    scenarios,
  };
}
