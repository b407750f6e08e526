import { strict as assert } from 'node:assert';
import { classify } from '../../src/core/errors';
import { Health } from '../../src/core/resilience/health';
import { firstTokenDeadline } from '../../src/core/resilience/policies';
import { healthHtml } from '../../src/host/healthHtml';

const page = { cspSource: 'https://file+.vscode-resource.vscode-cdn.net', styleUri: 'https://file+.vscode-resource.vscode-cdn.net/media/panel.css' };

function render(health: Health, now: number): string {
  return healthHtml({ rows: health.rows(), gateway: 'https://gw.example/v1', deadline: (m) => firstTokenDeadline(health.history(m), 15_000), now }, page);
}

/** The cells of one model's row, by column. */
function row(html: string, model: string): Record<string, string> {
  const tr = new RegExp(`<tr data-testid="health-row" data-model="${model}" data-state="([a-z_]+)">([\\s\\S]*?)</tr>`).exec(html);
  assert.ok(tr, `a row for ${model}`);
  const cells: Record<string, string> = { 'data-state': tr[1]! };
  for (const m of tr[2]!.matchAll(/<td data-col="([a-z0-9-]+)"[^>]*>([\s\S]*?)<\/td>/g)) cells[m[1]!] = m[2]!.replace(/<[^>]+>/g, '');
  return cells;
}

describe('the model health page (Switchboard: Show Model Health)', () => {
  const t0 = Date.UTC(2026, 11, 1, 12);

  it('has a row per model with state, latency, speed, learned deadline, requests, errors, last error and hedges', () => {
    let now = t0;
    const health = new Health({ now: () => now, failuresToOpen: 2 });
    for (let i = 0; i < 30; i++) health.begin('claude-sonnet-4').success({ ttftMs: 800 + i * 10, tokensPerSecond: 70 });
    health.hedged('claude-sonnet-4', 'gpt-5');
    health.begin('gpt-5').failure(classify({ status: 500, message: 'boom' }));
    health.begin('gpt-5').failure(classify({ message: 'no answer within 15000 ms', transport: 'first_token_timeout' }));
    health.begin('deepseek-v4').failure(classify({ status: 429, message: 'Rate limit reached', headers: { 'retry-after': '20' } }));
    health.begin('glm-5').failure(classify({ status: 404, message: 'The model `glm-5` does not exist', code: 'model_not_found' }));
    now += 5_000;
    const html = render(health, now);
    const sonnet = row(html, 'claude-sonnet-4');
    assert.deepEqual([sonnet['data-state'], sonnet.state], ['ok', 'ok']);
    assert.equal(sonnet['ttft-p50'], '945 ms');
    assert.equal(sonnet['ttft-p95'], '1.1 s');
    assert.equal(sonnet['tokens-per-second'], '70');
    assert.match(sonnet.deadline!, /^2\.\d s \(learned\)$/);
    assert.equal(sonnet.requests, '30');
    assert.equal(sonnet.hedges, '1 / 0');
    const gpt = row(html, 'gpt-5');
    assert.deepEqual([gpt['data-state'], gpt.state], ['circuit_open', 'circuit open: skipped, tested again in 25 s']);
    assert.equal(gpt.errors, 'server error 1, first token timeout 1');
    assert.equal(gpt['last-error'], 'sent nothing in time just now');
    assert.equal(gpt.deadline, '15 s', 'no history: the configured deadline');
    assert.equal(gpt.hedges, '0 / 1');
    assert.equal(row(html, 'deepseek-v4').state, 'rate-limited, cooling down (15 s left)');
    assert.equal(row(html, 'glm-5').state, 'not offered by this gateway');
    assert.ok(html.indexOf('data-model="gpt-5"') < html.indexOf('data-model="claude-sonnet-4"'), 'models that are down come first');
  });

  it('allows no script, and its only link is Reset Model Health', () => {
    const html = render(new Health(), t0);
    assert.match(html, /script-src 'none'/);
    assert.doesNotMatch(html, /<script/i);
    assert.deepEqual([...html.matchAll(/<a [^>]*href="([^"]+)"/g)].map((m) => m[1]), ['command:switchboard.resetModelHealth']);
    assert.match(html, /data-testid="health-empty"/);
  });

  it('escapes model names and error text', () => {
    const health = new Health();
    health.begin('<img src=x>').failure(classify({ status: 500, message: '<b>x</b>' }));
    const html = render(health, Date.now());
    assert.doesNotMatch(html, /<img src=x>/);
    assert.match(html, /&#60;img src=x&#62;/);
  });
});
