import { calcPrice } from '@pydantic/genai-prices';
import { Gateway } from '../../src/core/gateway';
import { Health } from '../../src/core/resilience/health';
import { resolveSettings, type RawSettings, type SwitchboardConfig } from '../../src/core/routes';
import { Router, type RouteRequest, type RouterEvent } from '../../src/core/router';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../sim/server';
import { PriceBook, type CalcPrice } from '../../src/core/usage/prices';

/** The real price library, as the extension loads it. */
export const prices = new PriceBook(() => calcPrice as CalcPrice);

/** Short timeouts so fault tests finish quickly; everything else is the default configuration. */
export function testConfig(values: RawSettings = {}, timeouts = { firstTokenMs: 400, idleMs: 400, rateLimitMaxWaitMs: 3000 }): SwitchboardConfig {
  const { config, problems } = resolveSettings([{ source: 'user', values: { ...values, timeouts: { ...timeouts, ...(values.timeouts as object) } } }]);
  if (problems.length) throw new Error(`bad test config: ${JSON.stringify(problems)}`);
  return config;
}

export function routerFor(sim: Simulator, config: SwitchboardConfig = testConfig(), health = new Health()): Router {
  const gateway = new Gateway({ baseURL: sim.url, apiKey: sim.apiKey });
  return new Router({ gateway, config: () => config, health, price: (m) => prices.blended(m), contextWindow: (m) => prices.contextWindow(m) });
}

export async function collect(router: Router, request: RouteRequest, signal = new AbortController().signal): Promise<RouterEvent[]> {
  const events: RouterEvent[] = [];
  for await (const e of router.run(request, signal)) events.push(e);
  return events;
}

export function last(events: RouterEvent[]): RouterEvent {
  const e = events[events.length - 1];
  if (!e) throw new Error('no events');
  return e;
}

export function doneOf(events: RouterEvent[]): Extract<RouterEvent, { type: 'done' }> {
  const e = last(events);
  if (e.type !== 'done') throw new Error(`expected done, got ${JSON.stringify(e)}`);
  return e;
}

export function errorOf(events: RouterEvent[]): Extract<RouterEvent, { type: 'error' }> {
  const e = last(events);
  if (e.type !== 'error') throw new Error(`expected error, got ${JSON.stringify(e)}`);
  return e;
}

export const ask = (task: RouteRequest['task'] = 'code_review', content = 'Review: const a = 1;'): RouteRequest => ({
  task,
  messages: [{ role: 'user', content }],
});

export const modelsAsked = (sim: Simulator) => sim.requests.filter((r) => r.path.endsWith('/chat/completions')).map((r) => r.model);

/**
 * A simulator for the enclosing describe(): started before its tests and handed to `use`, closed
 * after them; with `resetEach`, its scripts and request log are reset before every test.
 */
export function useSimulator(use: (sim: Simulator) => void, options: SimulatorOptions = {}, { resetEach = false } = {}): void {
  let sim: Simulator | undefined;
  before(async () => use((sim = await startSimulator(options))));
  if (resetEach) beforeEach(() => sim!.reset());
  after(() => sim?.close());
}
