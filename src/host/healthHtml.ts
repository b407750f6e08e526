/**
 * The page of `Switchboard: Show Model Health`: one row per model the router has asked on this gateway,
 * with its state, latency, speed, learned deadline, requests, errors by kind, last error and hedges.
 * Plain HTML with no script (the CSP allows none); its one action is a command link to Reset Model
 * Health. No `vscode` import, so unit tests render it directly.
 */
import { MIN_SAMPLES_FOR_DEADLINE, describeDegradation, type Deadline } from '../core/resilience/policies';
import type { ModelHealthRow } from '../core/resilience/health';
import { webviewPage } from './webviewPage';

export interface HealthPageData {
  rows: ModelHealthRow[];
  gateway: string;
  /** The first-token deadline each model gets now (learned or configured). */
  deadline: (model: string) => Deadline;
  now: number;
}

export interface HealthPage {
  cspSource: string;
  styleUri: string;
}

export const RESET_COMMAND = 'switchboard.resetModelHealth';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function duration(ms: number | undefined): string {
  if (ms === undefined) return '–';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

function left(untilMs: number | undefined, now: number): string {
  const s = Math.max(1, Math.ceil(((untilMs ?? now) - now) / 1000));
  return s < 120 ? `${s} s` : `${Math.ceil(s / 60)} min`;
}

/** The state in words, and how serious it is (the dot's colour). */
export function stateText(row: ModelHealthRow, now: number): { text: string; level: 'ok' | 'warn' | 'down' } {
  switch (row.state) {
    case 'ok':
      return { text: 'ok', level: 'ok' };
    case 'slow':
    case 'failing':
      return { text: row.degradation ? describeDegradation(row.degradation) : row.state, level: 'warn' };
    case 'cooling_down':
      return { text: `rate-limited, cooling down (${left(row.untilMs, now)} left)`, level: 'warn' };
    case 'circuit_open':
      return { text: `circuit open: skipped, tested again in ${left(row.untilMs, now)}`, level: 'down' };
    case 'half_open':
      return { text: 'circuit half-open: the next request tests it', level: 'warn' };
    case 'not_offered':
      return { text: 'not offered by this gateway', level: 'down' };
    case 'unsupported':
      return { text: 'rejected a request parameter this session', level: 'warn' };
  }
}

/** `just now`, `4 min ago`, `3 h ago`, `2 days ago`. */
function ago(at: number, now: number): string {
  const min = Math.floor((now - at) / 60_000);
  if (min < 1) return 'just now';
  if (min < 60) return `${min} min ago`;
  if (min < 48 * 60) return `${Math.floor(min / 60)} h ago`;
  return `${Math.floor(min / 1440)} days ago`;
}

function errors(row: ModelHealthRow): string {
  const kinds = Object.entries(row.errors).filter(([, n]) => (n ?? 0) > 0);
  return kinds.length ? kinds.map(([k, n]) => `${k.replace(/_/g, ' ')} ${n}`).join(', ') : '–';
}

function modelRow(row: ModelHealthRow, data: HealthPageData): string {
  const state = stateText(row, data.now);
  const deadline = data.deadline(row.model);
  const deadlineText = `${duration(deadline.ms)}${deadline.learned ? ' (learned)' : ''}`;
  const lastError = row.lastError ? `${esc(row.lastError.summary)} <span class="when" title="${esc(new Date(row.lastError.at).toLocaleString())}">${esc(ago(row.lastError.at, data.now))}</span>` : '–';
  const cells: Array<[string, string, string?]> = [
    ['state', `<span class="state ${state.level}">${esc(state.text)}</span>`, 'text'],
    ['ttft-p50', duration(row.ttftP50Ms)],
    ['ttft-p95', duration(row.ttftP95Ms)],
    ['tokens-per-second', row.tokensPerSecond !== undefined ? String(row.tokensPerSecond) : '–'],
    ['deadline', esc(deadlineText)],
    ['requests', String(row.answered + row.failed)],
    ['errors', esc(errors(row)), 'text'],
    ['last-error', lastError, 'text'],
    ['hedges', `${row.hedges.won} / ${row.hedges.lost}`],
  ];
  return `<tr data-testid="health-row" data-model="${esc(row.model)}" data-state="${row.state}">
<th scope="row">${esc(row.model)}</th>${cells.map(([col, html, cls]) => `<td data-col="${col}"${cls ? ` class="${cls}"` : ''}>${html}</td>`).join('')}</tr>`;
}

export function healthHtml(data: HealthPageData, page: HealthPage): string {
  const csp = ["default-src 'none'", `style-src ${page.cspSource}`, "script-src 'none'", "form-action 'none'", "base-uri 'none'"];
  const order = { down: 0, warn: 1, ok: 2 } as const;
  const rows = [...data.rows].sort((a, b) => order[stateText(a, data.now).level] - order[stateText(b, data.now).level] || a.model.localeCompare(b.model));
  const table = rows.length
    ? `<div class="scroll"><table data-testid="health-table">
<caption>Per model on this gateway, learned from the requests Switchboard made</caption>
<thead><tr><th scope="col">Model</th><th scope="col" class="text">State</th><th scope="col" title="time to first token, median">First token p50</th><th scope="col">p95</th><th scope="col">Tokens/s</th><th scope="col" title="how long the model may take to start answering before the next one is asked">Deadline</th><th scope="col">Requests</th><th scope="col" class="text">Errors</th><th scope="col" class="text">Last error</th><th scope="col" title="hedged requests this model won / lost">Hedges won / lost</th></tr></thead>
<tbody>
${rows.map((r) => modelRow(r, data)).join('\n')}
</tbody>
</table></div>`
    : '<p class="empty" data-testid="health-empty">No model has been asked on this gateway yet. Health appears here after the first request.</p>';
  const body = `<main class="wide">
<h1>Switchboard model health</h1>
<p class="note">Gateway <code>${esc(data.gateway)}</code>. A model that is down is skipped, a slow or failing one is asked after the next model of its chain, and a model with ${MIN_SAMPLES_FOR_DEADLINE} answers gets a first-token deadline learned from its own latency. Health is kept on this machine for a week and reset when the key or the gateway changes.</p>
<p class="actions"><a href="command:${RESET_COMMAND}" data-testid="health-reset" title="Forget what Switchboard learned about every model">Reset model health</a></p>
${table}
</main>`;
  return webviewPage({ csp, styleUri: esc(page.styleUri), title: 'Switchboard Model Health', body });
}
