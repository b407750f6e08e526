/**
 * What the cost modes save: the held-out chat prompts of data/tasks, each routed as Auto routes it
 * (classifier → task, complexity → cost mode), sent through the router to the simulator, and priced
 * with the price library from the simulator's usage. Quality, balanced and economy side by side.
 */
import { calcPrice } from '@pydantic/genai-prices';
import { heldOutPrompts, readClassifierData } from '../data/tasks/corpus';
import { startSimulator } from '../sim/server';
import { Gateway } from '../src/core/gateway';
import { resolveSettings } from '../src/core/routes';
import { Router } from '../src/core/router';
import { TaskClassifier } from '../src/core/routing/classify';
import { estimateComplexity } from '../src/core/routing/complexity';
import { DEFAULT_TIERS, tierOf, type CostMode } from '../src/core/routing/costMode';
import { PriceBook, type CalcPrice } from '../src/core/usage/prices';
import { round } from './stats';

export interface CostResults {
  economy_cost_ratio: number;
  balanced_cost_ratio: number;
  economy_premium_share: number;
  quality_premium_share: number;
  cost_requests: number;
  quality_cost_usd: number;
}

export async function measureCost(log: (line: string) => void): Promise<CostResults> {
  const classifier = new TaskClassifier(readClassifierData());
  const prompts = heldOutPrompts();
  const prices = new PriceBook(() => calcPrice as CalcPrice);
  const sim = await startSimulator();
  try {
    const gateway = new Gateway({ baseURL: sim.url, apiKey: sim.apiKey });
    const run = async (mode: CostMode) => {
      const { config } = resolveSettings([{ source: 'user', values: { costMode: mode } }]);
      const router = new Router({ gateway, config: () => config, price: (m) => prices.blended(m), contextWindow: (m) => prices.contextWindow(m) });
      let cost = 0;
      let premium = 0;
      for (const p of prompts) {
        const task = classifier.classify(p.text).task;
        const complexity = estimateComplexity({ task, text: p.text });
        for await (const e of router.run({ task, messages: [{ role: 'user', content: p.text }], complexity }, new AbortController().signal)) {
          if (e.type === 'usage') cost += prices.cost(e.model, e.usage) ?? 0;
          if (e.type === 'done' && tierOf(DEFAULT_TIERS, e.model) === 'premium') premium++;
        }
      }
      return { cost, premiumShare: premium / prompts.length };
    };
    const quality = await run('quality');
    const balanced = await run('balanced');
    const economy = await run('economy');
    log(`${prompts.length} held-out prompts: quality $${quality.cost.toFixed(4)}, balanced $${balanced.cost.toFixed(4)}, economy $${economy.cost.toFixed(4)}`);
    log(`answered by a premium model: quality ${(quality.premiumShare * 100).toFixed(1)}%, balanced ${(balanced.premiumShare * 100).toFixed(1)}%, economy ${(economy.premiumShare * 100).toFixed(1)}%`);
    return {
      economy_cost_ratio: round(economy.cost / quality.cost),
      balanced_cost_ratio: round(balanced.cost / quality.cost),
      economy_premium_share: round(economy.premiumShare),
      quality_premium_share: round(quality.premiumShare),
      cost_requests: prompts.length,
      quality_cost_usd: round(quality.cost, 4),
    };
  } finally {
    await sim.close();
  }
}
