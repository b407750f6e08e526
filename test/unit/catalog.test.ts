import { strict as assert } from 'node:assert';
import { calcPrice } from '@pydantic/genai-prices';
import { Gateway } from '../../src/core/gateway';
import { MAX_AGE_MS, ModelCatalog, formatPrice, formatTokens, parseModelEntry, pickerEntries, type StoredCatalog } from '../../src/core/routing/catalog';
import { PriceBook, type CalcPrice } from '../../src/core/usage/prices';
import { CATALOG_EXTRA, DEFAULT_MODELS, type Simulator } from '../../sim/server';
import { useSimulator } from './helpers';

const KEY = 'sk-catalog-test-0123456789abcdef';

function memoryStore(initial?: unknown) {
  const writes: Array<StoredCatalog | undefined> = [];
  let value = initial;
  return { writes, read: () => value, write: (v: StoredCatalog | undefined) => void writes.push((value = structuredClone(v))) };
}

describe('the gateway model catalog', () => {
  let sim: Simulator;
  useSimulator((s) => (sim = s), { apiKey: KEY });

  it('reads GET /models through the real SDK, keeps OpenRouter-style metadata, and caches the list per base URL', async () => {
    const store = memoryStore();
    const catalog = new ModelCatalog(store);
    const state = await catalog.refresh(sim.url, () => new Gateway({ baseURL: sim.url, apiKey: KEY }).listModels());
    assert.equal(state.error, undefined);
    const ids = state.models.map((m) => m.id);
    for (const id of [...DEFAULT_MODELS, ...CATALOG_EXTRA.map((m) => m.id)]) assert.ok(ids.includes(id), `${id} is listed`);
    assert.deepEqual(catalog.info('llama-4-maverick'), { id: 'llama-4-maverick', contextWindow: 1_048_576, inputPerMTok: 0.15, outputPerMTok: 0.6 });
    assert.deepEqual(catalog.info('kimi-k2'), { id: 'kimi-k2' }, 'an entry with only an id is kept as it is');
    assert.equal(catalog.stale(sim.url), false);
    assert.equal(catalog.stale('https://other.example/v1'), true, 'another gateway has no list yet');
    assert.deepEqual(catalog.state('https://other.example/v1').models, []);

    // After a restart the list is back from the store, without a request.
    const restored = new ModelCatalog(store);
    assert.deepEqual(restored.state(sim.url).models, state.models);
  });

  it('a failed read keeps the cached list and reports the reason instead of throwing', async () => {
    const catalog = new ModelCatalog(memoryStore());
    await catalog.refresh(sim.url, () => new Gateway({ baseURL: sim.url, apiKey: KEY }).listModels());
    const count = catalog.state(sim.url).models.length;
    const failed = await catalog.refresh(sim.url, () => new Gateway({ baseURL: sim.url, apiKey: 'sk-wrong-0000000000000000' }).listModels());
    assert.match(failed.error ?? '', /API key|401|Incorrect/i);
    assert.equal(failed.models.length, count, 'the earlier list is still offered');
  });

  it('is read again after a day, and forgets the list when the key or gateway changes', async () => {
    let now = 1_000_000;
    const store = memoryStore();
    const catalog = new ModelCatalog(store, () => now);
    catalog.accept('https://gw/v1', [{ id: 'a' }, { id: 'b' }, { id: 'a' }, { nope: true }, { id: '' }]);
    assert.deepEqual(catalog.state('https://gw/v1').models.map((m) => m.id), ['a', 'b'], 'duplicates and entries without an id are dropped');
    now += MAX_AGE_MS + 1;
    assert.equal(catalog.stale('https://gw/v1'), true);
    catalog.invalidate();
    assert.deepEqual(catalog.state('https://gw/v1').models, []);
    assert.equal(catalog.info('a'), undefined);
    assert.equal(store.writes.at(-1), undefined, 'the stored copy is removed too');
  });

  it('one read at a time: a second open while the first read runs shares it', async () => {
    const catalog = new ModelCatalog(memoryStore());
    let calls = 0;
    const list = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      return [{ id: 'x' }];
    };
    const [a, b] = await Promise.all([catalog.refresh('u', list), catalog.refresh('u', list)]);
    assert.equal(calls, 1);
    assert.deepEqual(a, b);
  });

  it('ignores a damaged stored value', () => {
    for (const bad of [42, 'x', { baseURL: 1 }, { baseURL: 'u', fetchedAt: 1, models: 'no' }]) {
      assert.deepEqual(new ModelCatalog(memoryStore(bad)).state('u').models, []);
    }
    const partly = new ModelCatalog(memoryStore({ baseURL: 'u', fetchedAt: 1, models: [{ id: 'ok' }, { id: 7 }, null] }));
    assert.deepEqual(partly.state('u').models, [{ id: 'ok' }]);
  });
});

describe('catalog entries and the picker order', () => {
  it('parses context windows and per-token prices as OpenRouter sends them ("0" is free, not unknown)', () => {
    assert.deepEqual(parseModelEntry({ id: 'm', context_length: '32768', pricing: { prompt: '0', completion: '0' } }), { id: 'm', contextWindow: 32768, inputPerMTok: 0, outputPerMTok: 0 });
    assert.deepEqual(parseModelEntry({ id: 'm', top_provider: { context_length: 8192 }, pricing: { prompt: 'n/a' } }), { id: 'm', contextWindow: 8192 });
    assert.equal(parseModelEntry({ id: 3 }), undefined);
    assert.equal(parseModelEntry('gpt-5'), undefined);
  });

  it('lists the routed models first, in routing order with their tasks, then the rest alphabetically, and marks a routed model the gateway lacks', () => {
    const listed = ['zeta', 'gpt-5', 'alpha', 'deepseek-v4'].map((id) => ({ id }));
    const entries = pickerEntries(listed, [
      { task: 'Code review', models: ['gpt-5', 'claude-sonnet-4'] },
      { task: 'Translation', models: ['deepseek-v4', 'gpt-5'] },
    ]);
    assert.deepEqual(
      entries.map((e) => [e.id, e.routedFor.join('+'), e.listed]),
      [
        ['gpt-5', 'Code review+Translation', true],
        ['claude-sonnet-4', 'Code review', false],
        ['deepseek-v4', 'Translation', true],
        ['alpha', '', true],
        ['zeta', '', true],
      ],
    );
    assert.ok(pickerEntries([], [{ task: 'T', models: ['m'] }])[0]!.listed, 'with no list read yet nothing is marked missing');
  });

  it('formats context windows and prices as the picker shows them', () => {
    assert.equal(formatTokens(200_000), '200K');
    assert.equal(formatTokens(1_048_576), '1M');
    assert.equal(formatTokens(1_500_000), '1.5M');
    assert.equal(formatPrice(3, 15), '$3 / $15 per M tokens');
    assert.equal(formatPrice(0.15, 0.6), '$0.15 / $0.6 per M tokens');
    assert.equal(formatPrice(0.0004, 0), '$0.00040 / $0 per M tokens');
  });

  it("the gateway's published price is used where settings have none, and before the library", () => {
    const published = new Map([['llama-4-maverick', { inputPerMTok: 0.15, outputPerMTok: 0.6, contextWindow: 1_048_576 }], ['gpt-5', { inputPerMTok: 2, outputPerMTok: 20 }], ['only-window', { contextWindow: 4096 }]]);
    const book = new PriceBook(() => calcPrice as CalcPrice, () => ({ 'gpt-5': { input: 1, output: 1 } }), (m) => published.get(m));
    assert.equal(book.pricing('llama-4-maverick')?.source, 'gateway');
    assert.equal(book.cost('llama-4-maverick', { promptTokens: 1_000_000, completionTokens: 1_000_000 }), 0.75);
    assert.equal(book.cost('gpt-5', { promptTokens: 1_000_000, completionTokens: 0 }), 1, 'settings win over the gateway');
    assert.equal(book.contextWindow('only-window'), 4096, 'a published window alone still counts');
    assert.equal(book.pricing('only-window'), undefined);
  });
});
