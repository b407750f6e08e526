/** What the benchmarks build their routers from: one chain, and a router over the simulator. */
import type { Simulator } from '../sim/server';
import { Gateway } from '../src/core/gateway';
import { Health } from '../src/core/resilience/health';
import { resolveSettings, type SwitchboardConfig } from '../src/core/routes';
import { Router } from '../src/core/router';

/** One code_review route, no global fallbacks: exactly the chain a benchmark names. */
export function chainConfig(primary: string, fallbacks: string[], timeouts?: Partial<SwitchboardConfig['timeouts']>): SwitchboardConfig {
  const { config } = resolveSettings([{ source: 'user', values: { routes: { code_review: { primary, fallbacks } }, globalFallbacks: [], ...(timeouts ? { timeouts } : {}) } }]);
  return config;
}

/** The real router over the real gateway adapter to the simulator, with this configuration and health. */
export function simRouter(sim: Simulator, config: SwitchboardConfig, health = new Health()): Router {
  return new Router({ gateway: new Gateway({ baseURL: sim.url, apiKey: sim.apiKey }), config: () => config, health });
}
