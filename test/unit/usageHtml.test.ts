import { strict as assert } from 'node:assert';
import { UsageLedger, localDay } from '../../src/core/usage/ledger';
import { CHART_DAYS, chartDays, usageHtml } from '../../src/host/usageHtml';

const page = { cspSource: 'https://file+.vscode-resource.vscode-cdn.net', styleUri: 'https://file+.vscode-resource.vscode-cdn.net/media/panel.css' };

function ledgerWith(now: Date) {
  let rows: unknown = [];
  let clock = new Date(now);
  clock.setDate(clock.getDate() - 3);
  const ledger = new UsageLedger({ read: () => rows, write: (r) => void (rows = r) }, () => clock);
  ledger.record({ model: 'gpt-5', usage: { promptTokens: 1000, completionTokens: 500 }, cost: 0.00625, estimated: false, failovers: 1 });
  clock = new Date(now);
  ledger.record({ model: 'gpt-5', usage: { promptTokens: 2000, completionTokens: 1000 }, cost: 0.0125, estimated: false, failovers: 0 });
  ledger.record({ model: '<img src=x onerror=alert(1)>', usage: { promptTokens: 10, completionTokens: 10 }, cost: undefined, estimated: true, failovers: 0 });
  return ledger;
}

describe('the usage page (Switchboard: Show Usage)', () => {
  const now = new Date(2026, 11, 1, 15, 0, 0);
  const ledger = ledgerWith(now);
  const html = usageHtml({ models: ledger.byModel(), days: ledger.byDay(), today: ledger.today(), session: ledger.sessionTotals(), budget: 0.05, keptDays: 90, now }, page);

  it('has a row per model with requests, tokens in and out, cost and failovers', () => {
    const row = /<tr data-testid="usage-row" data-model="gpt-5"[^>]*>([\s\S]*?)<\/tr>/.exec(html)?.[1] ?? '';
    const cells = Array.from(row.matchAll(/<td data-col="(\w+)">([^<]*)<\/td>/g), (m) => [m[1], m[2]]);
    assert.deepEqual(cells, [['requests', '2'], ['in', '3,000'], ['out', '1,500'], ['cost', '$0.019'], ['failovers', '1']]);
  });

  it('marks estimated tokens and unknown prices, and escapes model names', () => {
    assert.ok(!html.includes('<img'), 'a model name is text, never markup');
    assert.match(html, /data-model="&#60;img src=x onerror=alert\(1\)&#62;" title="tokens partly estimated[^"]*; some answers have no known price/);
    assert.match(html, /<td data-col="cost">≈\$0\+<\/td>/);
  });

  it('charts the last 30 days, today highlighted, with each day on hover and the budget as a line', () => {
    const bars = Array.from(html.matchAll(/<rect class="bar( today)?" data-testid="usage-bar" data-day="([\d-]+)"[^>]*height="([\d.]+)"><title>([^<]*)<\/title>/g));
    assert.equal(bars.length, CHART_DAYS);
    assert.equal(bars.at(-1)![2], localDay(now));
    assert.equal(bars.at(-1)![1], ' today');
    const threeDaysAgo = new Date(now);
    threeDaysAgo.setDate(now.getDate() - 3);
    const earlier = bars.find((b) => b[2] === localDay(threeDaysAgo))!;
    assert.match(earlier[4]!, /: \$0\.0063, 1 answer$/);
    assert.ok(Number(bars.at(-1)![3]) > Number(earlier[3]), "today's bar is taller: it cost more");
    assert.equal(bars.filter((b) => Number(b[3]) > 0).length, 2, 'days without usage have no bar');
    assert.match(html, /<line class="budget"[^>]*><title>Daily budget \$0\.050<\/title>/);
    assert.match(html, /data-testid="usage-budget"[\s\S]*?25% used today/);
  });

  it('allows no script at all', () => {
    const csp = /content="([^"]+)"/.exec(html)![1]!;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'none'/);
    assert.ok(!/<script/i.test(html));
  });

  it('says so when there is no usage yet', () => {
    const empty = usageHtml({ models: [], days: [], today: ledger.sessionTotals(), session: ledger.sessionTotals(), keptDays: 90, now }, page);
    assert.match(empty, /data-testid="usage-empty"/);
    assert.match(empty, /No cost in the last 30 days/);
    assert.equal(chartDays([], now).length, CHART_DAYS);
  });
});
