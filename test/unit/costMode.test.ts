import { strict as assert } from 'node:assert';
import type { Simulator } from '../../sim/server';
import { DEFAULT_CONFIG, candidateChain, resolveSettings } from '../../src/core/routes';
import { estimateComplexity } from '../../src/core/routing/complexity';
import { DEFAULT_TIERS, applyCostMode } from '../../src/core/routing/costMode';
import { collect, doneOf, prices, routerFor, testConfig, useSimulator } from './helpers';

const simple = estimateComplexity({ task: 'general_qa', text: 'What is a closure?' });
const complex = estimateComplexity({
  task: 'code_generation',
  text: 'Design a rate limiter for our API gateway. First explain the trade-offs between token bucket and sliding window, then implement it in Go, handle race conditions between replicas, and finally describe how to test it under load.',
});

describe('request complexity', () => {
  it('calls a short question simple and says so', () => {
    assert.equal(simple.level, 'simple');
    assert.equal(simple.reason, 'short question');
  });

  it('calls a multi-step design request with concurrency complex', () => {
    assert.equal(complex.level, 'complex');
    assert.ok(complex.reasons.includes('asks for reasoning') && complex.reasons.includes('several steps'), complex.reasons.join(', '));
  });

  it('counts attached code: a question about 3000 lines is not simple', () => {
    const code = 'function f(x) { return x * 2; }\n'.repeat(250);
    const withCode = estimateComplexity({ task: 'code_review', text: 'Any problems here?', code });
    assert.notEqual(withCode.level, 'simple');
    assert.ok(withCode.reasons.includes('large code'));
  });

  it('sees reasoning words in Chinese: 证明 makes a math request complex', () => {
    assert.equal(estimateComplexity({ task: 'math_reasoning', text: '证明：对任意正整数 n，n³ - n 能被 6 整除，并推导一般形式' }).level, 'complex');
  });

  it('calls translating a sentence simple', () => {
    assert.equal(estimateComplexity({ task: 'translation', text: '把这句话翻译成英文：明天开会' }).level, 'simple');
  });
});

describe('cost modes', () => {
  const reviewChain = candidateChain(DEFAULT_CONFIG, 'code_review'); // gpt-5, claude-sonnet-4, claude-opus-4, gemini-2.5-pro, deepseek-v4, gpt-5-mini
  const fakePrices: Record<string, number> = { 'gpt-5-mini': 0.6, 'deepseek-v4': 0.9, 'qwen3-235b': 0.4, 'claude-sonnet-4': 6, 'gemini-2.5-pro': 4 };

  it('quality keeps the table as configured', () => {
    assert.deepEqual(applyCostMode(reviewChain, DEFAULT_TIERS, 'quality', simple).models, reviewChain);
  });

  it('economy sends a simple request to the economy tier first, the task chain behind it, and says why', () => {
    const r = applyCostMode(reviewChain, DEFAULT_TIERS, 'economy', simple);
    assert.equal(r.models[0], 'deepseek-v4', "the task chain's own economy model comes first when prices are unknown");
    assert.deepEqual(r.models.slice(1), reviewChain.filter((m) => m !== 'deepseek-v4'));
    assert.equal(r.note, 'economy: short question → deepseek-v4');
  });

  it('picks the cheapest economy model by price', () => {
    const r = applyCostMode(reviewChain, DEFAULT_TIERS, 'economy', simple, (m) => fakePrices[m]);
    assert.equal(r.models[0], 'qwen3-235b');
  });

  it('balanced moves moderate work off the premium tier but keeps complex work as configured', () => {
    const moderate = { level: 'moderate' as const, score: 1, reason: 'code work', reasons: ['code work'] };
    assert.equal(applyCostMode(reviewChain, DEFAULT_TIERS, 'balanced', moderate, (m) => fakePrices[m]).models[0], 'gemini-2.5-pro');
    assert.deepEqual(applyCostMode(reviewChain, DEFAULT_TIERS, 'balanced', complex).models, reviewChain);
  });

  it('economy still gives complex work a standard model, never the economy tier', () => {
    const r = applyCostMode(reviewChain, DEFAULT_TIERS, 'economy', complex);
    assert.equal(r.models[0], 'claude-sonnet-4');
  });

  it('leaves a task whose primary is already cheap alone', () => {
    const chain = candidateChain(DEFAULT_CONFIG, 'general_qa');
    assert.deepEqual(applyCostMode(chain, DEFAULT_TIERS, 'economy', simple), { models: chain });
  });

  it('reads costMode and tiers from settings, naming a bad value by its key', () => {
    const { config, problems } = resolveSettings([{ source: 'user', values: { costMode: 'cheap', tiers: { economy: ['glm-5'], budget: ['x'], premium: [42] } } }]);
    assert.deepEqual(
      problems.map((p) => p.key),
      ['switchboard.costMode', 'switchboard.tiers.budget', 'switchboard.tiers.premium'],
    );
    assert.match(problems[0]!.message, /expected one of quality, balanced, economy, got "cheap"/);
    assert.equal(config.costMode, 'quality');
    assert.deepEqual(config.tiers.economy, ['glm-5']);
    assert.deepEqual(config.tiers.premium, DEFAULT_TIERS.premium);
    assert.deepEqual(DEFAULT_CONFIG.tiers.economy, DEFAULT_TIERS.economy, 'the defaults are not changed by an override');
  });

  describe('through the router and the simulator', () => {
    let sim: Simulator;
    useSimulator((s) => (sim = s));

    // The cheapest economy model by the price library's data (qwen3-235b with the pinned version).
    const cheapest = [...DEFAULT_TIERS.economy].sort((a, b) => (prices.blended(a) ?? Infinity) - (prices.blended(b) ?? Infinity))[0]!;

    it('economy: a simple review request is answered by the cheapest economy model; quality: by gpt-5', async () => {
      assert.ok(prices.blended(cheapest)! < prices.blended('gpt-5')! / 5, 'the economy tier is much cheaper than the premium one');
      const messages = [{ role: 'user' as const, content: 'Is `let x = 1` fine?' }];
      const complexity = estimateComplexity({ task: 'code_review', text: messages[0]!.content });
      const economy = doneOf(await collect(routerFor(sim, testConfig({ costMode: 'economy' })), { task: 'code_review', messages, complexity }));
      assert.equal(economy.model, cheapest);
      const quality = doneOf(await collect(routerFor(sim, testConfig()), { task: 'code_review', messages, complexity }));
      assert.equal(quality.model, 'gpt-5');
    });

    it('fails over from the cheap model to the task chain', async () => {
      sim.setScript(cheapest, { fault: { type: 'status', status: 500 } });
      const messages = [{ role: 'user' as const, content: 'Is `let x = 1` fine?' }];
      const complexity = estimateComplexity({ task: 'code_review', text: messages[0]!.content });
      const done = doneOf(await collect(routerFor(sim, testConfig({ costMode: 'economy' })), { task: 'code_review', messages, complexity }));
      assert.equal(done.model, 'gpt-5');
    });
  });
});

describe('switchboard.prices', () => {
  it('adds a price, and names a bad or incomplete one by its key', () => {
    const { config, problems } = resolveSettings([
      { source: 'user', values: { prices: { 'my-llama': { input: 0, output: 0, contextWindow: 32768 }, 'gpt-5': { input: -1, output: 3 }, half: { input: 1 }, odd: { input: 1, output: 1, cached: 2 } } } },
    ]);
    assert.deepEqual(config.prices['my-llama'], { input: 0, output: 0, contextWindow: 32768 });
    assert.equal(config.prices['gpt-5'], undefined, 'a negative price is not applied');
    assert.deepEqual(
      problems.map((p) => p.key),
      ['switchboard.prices.gpt-5.input', 'switchboard.prices.gpt-5', 'switchboard.prices.half', 'switchboard.prices.odd.cached'],
    );
    assert.deepEqual(config.prices.odd, { input: 1, output: 1 }, 'the valid fields of a price still apply');
  });
});
