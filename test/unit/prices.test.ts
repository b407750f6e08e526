import { strict as assert } from 'node:assert';
import { calcPrice } from '@pydantic/genai-prices';
import { PriceBook, type CalcPrice } from '../../src/core/usage/prices';
import { contextLimit } from '../../src/core/router';

const book = (overrides = {}) => new PriceBook(() => calcPrice as CalcPrice, () => overrides);

describe('prices and context windows (from @pydantic/genai-prices)', () => {
  it('prices every model of the default routing table, and knows each context window', () => {
    for (const m of ['gpt-5', 'gpt-5-mini', 'claude-opus-4', 'claude-sonnet-4', 'gemini-2.5-pro', 'deepseek-v4', 'qwen3-235b', 'glm-5']) {
      const p = book().pricing(m);
      assert.ok(p && p.inputPerMTok > 0 && p.outputPerMTok > 0, `${m} has a price`);
      assert.ok((p.contextWindow ?? 0) >= 100_000, `${m} has a context window (${p.contextWindow})`);
    }
  });

  it('computes the cost of an answer from its tokens: gpt-5 at $1.25 in and $10 out per million', () => {
    assert.equal(book().cost('gpt-5', { promptTokens: 1000, completionTokens: 500 }), 0.00625);
  });

  it('looks up OpenRouter-style names under OpenRouter', () => {
    const p = book().pricing('anthropic/claude-opus-4');
    assert.equal(p?.source, 'openrouter/anthropic/claude-opus-4');
  });

  it('prices a gateway name the library lacks as its nearest model, and says it is approximated', () => {
    const p = book().pricing('deepseek-v4');
    assert.equal(p?.approximated, true);
    assert.match(p!.source, /deepseek/);
  });

  it('uses switchboard.prices for a model the library lacks, and over the library', () => {
    const b = book({ 'my-local-llama': { input: 0, output: 0, contextWindow: 32768 }, 'gpt-5': { input: 2, output: 12 } });
    assert.deepEqual(b.pricing('my-local-llama'), { inputPerMTok: 0, outputPerMTok: 0, contextWindow: 32768, source: 'settings', approximated: false });
    assert.equal(b.cost('gpt-5', { promptTokens: 1_000_000, completionTokens: 0 }), 2);
    assert.equal(b.contextWindow('gpt-5'), 400_000, 'the library still gives the window');
  });

  it('has no price for a model nobody knows', () => {
    assert.equal(book().pricing('totally-unknown-model'), undefined);
    assert.equal(book().cost('totally-unknown-model', { promptTokens: 10, completionTokens: 10 }), undefined);
  });

  it("reads the limit from a gateway's context-length error", () => {
    assert.equal(contextLimit("This model's maximum context length is 131072 tokens. However, you requested 140000"), 131072);
    assert.equal(contextLimit('prompt is too long'), undefined);
  });
});
