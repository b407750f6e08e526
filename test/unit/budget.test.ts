import { strict as assert } from 'node:assert';
import { checkBudget, crossedWarning, parseBudget, requestCeiling } from '../../src/core/usage/budget';
import { prices } from './helpers';

describe('the daily budget', () => {
  it('reads switchboard.dailyBudget: null or absent is no budget; a bad value is named and ignored', () => {
    assert.deepEqual(parseBudget(undefined), { budget: undefined });
    assert.deepEqual(parseBudget(null), { budget: undefined });
    assert.deepEqual(parseBudget(2.5), { budget: 2.5 });
    for (const bad of [0, -1, '5', Number.NaN, 2e6]) {
      const r = parseBudget(bad);
      assert.equal(r.budget, undefined);
      assert.match(r.problem ?? '', /expected/, String(bad));
    }
  });

  it('the ceiling of a request is its prompt at the input price plus every allowed output token at the output price', () => {
    // gpt-5: $1.25 in, $10 out per million tokens.
    assert.equal(requestCeiling(2_000, 4_096, prices.pricing('gpt-5')), (2_000 * 1.25 + 4_096 * 10) / 1e6);
    assert.equal(requestCeiling(2_000, 4_096, undefined), undefined);
  });

  it('asks before a request that could go over, and before any request once the budget is reached', () => {
    assert.deepEqual(checkBudget(undefined, 100, 5, 'gpt-5'), { ask: false }, 'no budget, no question');
    assert.deepEqual(checkBudget(1, 0.5, 0.04, 'gpt-5'), { ask: false });
    const over = checkBudget(1, 0.97, 0.043, 'gpt-5');
    assert.ok(over.ask);
    assert.match(over.message, /up to \$0\.043.*\$0\.970.*daily budget of \$1\.00/);
    const reached = checkBudget(1, 1.2, undefined, 'my-llama');
    assert.ok(reached.ask);
    assert.match(reached.message, /has reached your daily budget/);
    assert.match(reached.detail, /no known price/);
    assert.deepEqual(checkBudget(1, 0.99, undefined, 'my-llama'), { ask: false }, 'an unpriced model is asked about only at the budget');
  });

  it('warns once, on the answer that crosses 80%', () => {
    assert.equal(crossedWarning(1, 0.5, 0.79), undefined);
    assert.match(crossedWarning(1, 0.79, 0.81) ?? '', /\$0\.810, 81% of your daily budget of \$1\.00/);
    assert.equal(crossedWarning(1, 0.81, 0.9), undefined, 'not again later the same day');
    assert.equal(crossedWarning(undefined, 0, 100), undefined);
  });
});
