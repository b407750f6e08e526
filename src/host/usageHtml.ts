/**
 * The page of `Switchboard: Show Usage`: per-model totals and a chart of cost per day. Plain HTML and
 * SVG with no script at all (the Content-Security-Policy allows none); re-rendered when usage changes.
 * No `vscode` import, so unit tests render it directly.
 */
import { formatCost, formatCount, formatTotal, localDay, type UsageTotals } from '../core/usage/ledger';
import { webviewPage } from './webviewPage';

export interface UsageModelRow extends UsageTotals {
  model: string;
  failovers: number;
}

export interface UsagePageData {
  models: UsageModelRow[];
  days: Array<{ day: string; cost: number; requests: number }>;
  today: UsageTotals;
  session: UsageTotals;
  /** `switchboard.dailyBudget`, when set. */
  budget?: number;
  /** How many days the ledger keeps. */
  keptDays: number;
  now: Date;
}

export interface UsagePage {
  cspSource: string;
  styleUri: string;
}

/** Days the chart shows, ending today. */
export const CHART_DAYS = 30;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The last CHART_DAYS local days, oldest first, with the cost of each (0 for a day without usage). */
export function chartDays(days: UsagePageData['days'], now: Date): Array<{ day: string; cost: number; requests: number }> {
  const byDay = new Map(days.map((d) => [d.day, d]));
  const out: Array<{ day: string; cost: number; requests: number }> = [];
  for (let i = CHART_DAYS - 1; i >= 0; i--) {
    const d = new Date(now);
    d.setDate(d.getDate() - i);
    const day = localDay(d);
    out.push(byDay.get(day) ?? { day, cost: 0, requests: 0 });
  }
  return out;
}

function chart(data: UsagePageData): string {
  const days = chartDays(data.days, data.now);
  const max = Math.max(...days.map((d) => d.cost), data.budget ?? 0, 1e-9);
  const W = 600;
  const H = 120;
  const bar = W / days.length;
  const bars = days
    .map((d, i) => {
      const h = d.cost > 0 ? Math.max(1.5, (d.cost / max) * H) : 0;
      const label = `${d.day}: ${formatCost(d.cost)}, ${d.requests} answer${d.requests === 1 ? '' : 's'}`;
      return `<rect class="bar${d.day === localDay(data.now) ? ' today' : ''}" data-testid="usage-bar" data-day="${d.day}" x="${(i * bar + 1).toFixed(1)}" y="${(H - h).toFixed(1)}" width="${(bar - 2).toFixed(1)}" height="${h.toFixed(1)}"><title>${esc(label)}</title></rect>`;
    })
    .join('');
  const budgetLine =
    data.budget !== undefined ? `<line class="budget" x1="0" x2="${W}" y1="${(H - (data.budget / max) * H).toFixed(1)}" y2="${(H - (data.budget / max) * H).toFixed(1)}"><title>Daily budget ${esc(formatCost(data.budget))}</title></line>` : '';
  const peak = days.reduce((a, b) => (b.cost > a.cost ? b : a), days[0]!);
  const summary = peak.cost > 0 ? `Cost per day over the last ${CHART_DAYS} days; the highest was ${formatCost(peak.cost)} on ${peak.day}.` : `No cost in the last ${CHART_DAYS} days.`;
  return `<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img" aria-label="${esc(summary)}">${bars}${budgetLine}</svg>
<figcaption><span>${esc(days[0]!.day)}</span><span>${esc(summary)}</span><span>today</span></figcaption>
</figure>`;
}

function modelTable(rows: UsageModelRow[]): string {
  if (!rows.length) return '<p class="empty" data-testid="usage-empty">No answers yet. Costs appear here after the first answer.</p>';
  const body = rows
    .map((r) => {
      const notes = [r.estimated ? 'tokens partly estimated (the gateway sent no usage)' : '', r.unpriced ? 'some answers have no known price (add one in switchboard.prices)' : ''].filter(Boolean);
      return `<tr data-testid="usage-row" data-model="${esc(r.model)}"${notes.length ? ` title="${esc(notes.join('; '))}"` : ''}>
<th scope="row">${esc(r.model)}</th><td data-col="requests">${formatCount(r.requests)}</td><td data-col="in">${formatCount(r.promptTokens)}</td><td data-col="out">${formatCount(r.completionTokens)}</td><td data-col="cost">${esc(formatTotal(r))}</td><td data-col="failovers">${formatCount(r.failovers)}</td></tr>`;
    })
    .join('\n');
  return `<table data-testid="usage-table">
<caption>Per model, over the last days kept</caption>
<thead><tr><th scope="col">Model</th><th scope="col">Requests</th><th scope="col">Tokens in</th><th scope="col">Tokens out</th><th scope="col">Cost</th><th scope="col">Failovers</th></tr></thead>
<tbody>
${body}
</tbody>
</table>`;
}

function totals(data: UsagePageData): string {
  const line = (name: string, t: UsageTotals, testid: string) =>
    `<div class="total" data-testid="${testid}"><span class="label">${name}</span><span class="value">${esc(formatTotal(t))}</span><span class="sub">${formatCount(t.requests)} answer${t.requests === 1 ? '' : 's'} · ${formatCount(t.promptTokens + t.completionTokens)} tokens</span></div>`;
  const budget =
    data.budget !== undefined
      ? `<div class="total" data-testid="usage-budget"><span class="label">Daily budget</span><span class="value">${esc(formatCost(data.budget))}</span><span class="sub">${Math.round((data.today.cost / data.budget) * 100)}% used today</span></div>`
      : '';
  return `<div class="totals">${line('Today', data.today, 'usage-today')}${line('This session', data.session, 'usage-session')}${budget}</div>`;
}

export function usageHtml(data: UsagePageData, page: UsagePage): string {
  const csp = ["default-src 'none'", `style-src ${page.cspSource}`, "script-src 'none'", "form-action 'none'", "base-uri 'none'"];
  const estimated = data.models.some((m) => m.estimated || m.unpriced) ? '<p class="note">≈: some tokens were counted here because the gateway sent no usage. +: some answers came from a model with no known price.</p>' : '';
  const body = `<main>
<h1>Switchboard usage</h1>
${totals(data)}
<h2>Cost per day</h2>
${chart(data)}
<h2>By model</h2>
${modelTable(data.models)}
${estimated}
<p class="note">Prices come from the built-in price data (@pydantic/genai-prices) and <code>switchboard.prices</code>; usage is kept for ${data.keptDays} days on this machine and never leaves it.</p>
</main>`;
  return webviewPage({ csp, styleUri: esc(page.styleUri), title: 'Switchboard Usage', body });
}
