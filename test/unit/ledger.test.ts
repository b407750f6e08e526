import { strict as assert } from 'node:assert';
import { AnswerCost, MAX_DAYS, UsageLedger, formatCost, type UsageRow } from '../../src/core/usage/ledger';

function memoryStore(initial?: unknown) {
  const store = { value: initial as unknown, writes: 0, read: () => store.value, write: (rows: UsageRow[]) => void ((store.value = JSON.parse(JSON.stringify(rows))), store.writes++) };
  return store;
}
const at = (iso: string) => () => new Date(iso);
const answer = (model: string, promptTokens: number, completionTokens: number, cost: number | undefined, extra = {}) => ({ model, usage: { promptTokens, completionTokens }, cost, estimated: false, failovers: 0, ...extra });

describe('usage ledger', () => {
  it('adds up tokens and cost per model and per day, and for the session', () => {
    const ledger = new UsageLedger(memoryStore(), at('2026-12-01T10:00:00'));
    ledger.record(answer('gpt-5', 1000, 500, 0.00625));
    ledger.record(answer('gpt-5', 2000, 100, 0.0035));
    ledger.record(answer('deepseek-v4', 500, 500, 0.0004, { failovers: 1 }));
    const today = ledger.today();
    assert.equal(today.requests, 3);
    assert.equal(today.promptTokens, 3500);
    assert.ok(Math.abs(today.cost - 0.01015) < 1e-12);
    assert.deepEqual(ledger.byModel().map((m) => [m.model, m.requests, m.failovers]), [['gpt-5', 2, 0], ['deepseek-v4', 1, 1]]);
    assert.deepEqual(ledger.sessionTotals().requests, 3);
  });

  it('survives a restart through its store; the session starts from zero', () => {
    const store = memoryStore();
    new UsageLedger(store, at('2026-12-01T10:00:00')).record(answer('gpt-5', 10, 10, 0.001));
    const again = new UsageLedger(store, at('2026-12-01T18:00:00'));
    assert.equal(again.today().requests, 1);
    assert.equal(again.sessionTotals().requests, 0);
  });

  it(`keeps only the last ${MAX_DAYS} days and splits them by local day`, () => {
    const store = memoryStore();
    new UsageLedger(store, at('2026-08-01T12:00:00')).record(answer('gpt-5', 1, 1, 1));
    new UsageLedger(store, at('2026-11-30T12:00:00')).record(answer('gpt-5', 1, 1, 2));
    const ledger = new UsageLedger(store, at('2026-12-01T12:00:00'));
    ledger.record(answer('gpt-5', 1, 1, 3));
    assert.deepEqual(ledger.byDay().map((d) => [d.day, d.cost]), [['2026-11-30', 2], ['2026-12-01', 3]]);
  });

  it('marks totals that include estimated tokens or models without a price', () => {
    const ledger = new UsageLedger(memoryStore(), at('2026-12-01T10:00:00'));
    ledger.record(answer('local-llama', 10, 10, undefined, { estimated: true }));
    const t = ledger.today();
    assert.equal(t.estimated, true);
    assert.equal(t.unpriced, true);
    assert.equal(t.cost, 0);
  });

  it('keeps the readable rows of a damaged store and drops the rest', () => {
    const good: UsageRow = { day: '2026-12-01', model: 'gpt-5', requests: 1, promptTokens: 1, completionTokens: 1, cost: 0.5, estimated: 0, unpriced: 0, failovers: 0 };
    const ledger = new UsageLedger(memoryStore([good, { day: 'yesterday', model: 3 }, null, 'x']), at('2026-12-01T10:00:00'));
    assert.equal(ledger.today().cost, 0.5);
    assert.equal(new UsageLedger(memoryStore('not a list'), at('2026-12-01T10:00:00')).today().requests, 0);
  });

  it('formats costs the way the status bar and the answers show them', () => {
    assert.deepEqual([0, 0.00004, 0.00312, 0.0456, 1.2345].map(formatCost), ['$0', '<$0.0001', '$0.0031', '$0.046', '$1.23']);
  });
});

describe('an answer\'s cost (AnswerCost)', () => {
  const pricing = { cost: (model: string, u: { promptTokens: number; completionTokens: number }) => (model === 'free?' ? undefined : u.promptTokens + 10 * u.completionTokens), countTokens: (t: string) => t.length };

  it('sums the priced usage the gateway reports', () => {
    const c = new AnswerCost(pricing);
    c.add('m', { promptTokens: 1, completionTokens: 2 });
    c.add('m', { promptTokens: 3, completionTokens: 0 });
    assert.deepEqual(c.settle('m', { promptTokens: 4, completionTokens: 2 }, 'prompt', 'answer'), { usage: { promptTokens: 4, completionTokens: 2 }, cost: 24, estimated: false });
  });

  it('has no cost when any reported usage had no price', () => {
    const c = new AnswerCost(pricing);
    c.add('free?', { promptTokens: 1, completionTokens: 1 });
    assert.equal(c.settle('free?', { promptTokens: 1, completionTokens: 1 }, 'p', 'a').cost, undefined);
  });

  it('counts the tokens itself, and says so, when the gateway reported no usage', () => {
    assert.deepEqual(new AnswerCost(pricing).settle('m', { promptTokens: 0, completionTokens: 0 }, 'four', 'two'), { usage: { promptTokens: 4, completionTokens: 3 }, cost: 34, estimated: true });
  });
});
