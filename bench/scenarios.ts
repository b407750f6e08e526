/** Named fault scenarios: each checks the answer text, the answering model and that no text was lost. */
import type { ModelScript } from '../sim/scripts';
import type { Simulator } from '../sim/server';
import { resolveSettings } from '../src/core/routes';
import type { RouterEvent } from '../src/core/router';
import { simRouter } from './setup';

export interface ScenarioResult {
  name: string;
  passed: boolean;
  detail: string;
  ms: number;
}

interface Scenario {
  name: string;
  scripts: Record<string, ModelScript | ModelScript[]>;
  /** Requests to run before the measured one (to warm up breakers or cooldowns). */
  warmups?: number;
  expect: { model?: string; models?: string[]; textStarts?: string; textIncludes?: string[]; error?: string; waited?: boolean };
}

const A = 'gpt-5';
const B = 'claude-sonnet-4';
const C = 'glm-5';
const status = (s: number, headers: Record<string, string> = {}, body: object = { error: { message: `status ${s}` } }): ModelScript => ({
  fault: { type: 'status', status: s, headers, body },
});

const SCENARIOS: Scenario[] = [
  { name: 'healthy primary', scripts: {}, expect: { model: A, textStarts: `[${A}]` } },
  { name: '500 → fallback', scripts: { [A]: status(500) }, expect: { model: B, textStarts: `[${B}]` } },
  { name: '503 overloaded → fallback', scripts: { [A]: status(503) }, expect: { model: B, textStarts: `[${B}]` } },
  { name: '529 overloaded (Anthropic) → fallback', scripts: { [A]: status(529, {}, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }) }, expect: { model: B } },
  { name: 'HTML 502 → fallback', scripts: { [A]: { fault: { type: 'status', status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>', headers: { 'content-type': 'text/html' } } } }, expect: { model: B } },
  { name: '429 with Retry-After → fallback at once', scripts: { [A]: status(429, { 'retry-after': '20' }) }, expect: { model: B } },
  { name: '404 model not found → fallback', scripts: { [A]: status(404, {}, { error: { message: 'The model does not exist', code: 'model_not_found' } }) }, expect: { model: B } },
  { name: '401 bad key → stop, told plainly', scripts: { [A]: status(401, {}, { error: { message: 'Incorrect API key provided', code: 'invalid_api_key' } }) }, expect: { error: 'auth' } },
  { name: '402 out of credits → stop', scripts: { [A]: status(402, {}, { error: { message: 'Insufficient credits', code: 402 } }) }, expect: { error: 'quota' } },
  { name: 'content filter → stop', scripts: { [A]: status(400, {}, { error: { message: 'filtered', code: 'content_filter' } }) }, expect: { error: 'content_filter' } },
  { name: 'silent model (hang) → fallback', scripts: { [A]: { fault: { type: 'hang' } } }, expect: { model: B } },
  { name: 'keep-alives only → fallback', scripts: { [A]: { fault: { type: 'hang-after-headers' }, keepAliveMs: 50 } }, expect: { model: B } },
  { name: 'stall mid-stream → continued', scripts: { [A]: { text: 'one two three four', fault: { type: 'stall', afterChunks: 2 } } }, expect: { models: [A, B], textStarts: 'one two ', textIncludes: [`[${B}]`] } },
  { name: 'connection cut mid-stream → continued', scripts: { [A]: { text: 'alpha beta gamma', fault: { type: 'cut', afterChunks: 2 } } }, expect: { models: [A, B], textStarts: 'alpha beta ' } },
  { name: 'error inside a 200 stream → continued', scripts: { [A]: { text: 'red green blue', fault: { type: 'stream-error', afterChunks: 1 } } }, expect: { models: [A, B], textStarts: 'red ' } },
  { name: 'malformed SSE line → continued', scripts: { [A]: { text: 'uno dos tres', fault: { type: 'malformed', afterChunks: 1 } } }, expect: { models: [A, B], textStarts: 'uno ' } },
  { name: 'no finish_reason → continued', scripts: { [A]: { text: 'cut short', finishReason: null } }, expect: { models: [A, B], textStarts: 'cut short' } },
  { name: '[DONE] missing → accepted', scripts: { [A]: { omitDone: true } }, expect: { model: A } },
  { name: 'per-key 429 storm → waits, then answers', scripts: { [A]: [status(429, { 'retry-after': '1' }), {}], [B]: [status(429, { 'retry-after': '1' }), {}], [C]: [status(429, { 'retry-after': '2' }), {}] }, expect: { model: A, waited: true } },
  { name: 'flapping model → breaker opens, fallback serves', scripts: { [A]: [status(500), status(500), status(500), {}] }, warmups: 3, expect: { model: B } },
  { name: 'all models down → one message naming each', scripts: { [A]: status(500), [B]: status(503), [C]: status(502) }, expect: { error: 'all_failed', textIncludes: [A, B, C] } },
];

export async function runScenarios(sim: Simulator): Promise<ScenarioResult[]> {
  const { config } = resolveSettings([
    {
      source: 'user',
      values: { routes: { code_review: { primary: A, fallbacks: [B] } }, globalFallbacks: [C], timeouts: { firstTokenMs: 300, idleMs: 300, rateLimitMaxWaitMs: 3000 } },
    },
  ]);
  const results: ScenarioResult[] = [];
  for (const s of SCENARIOS) {
    sim.reset();
    for (const [model, script] of Object.entries(s.scripts)) sim.setScript(model, script);
    const router = simRouter(sim, config);
    const started = performance.now();
    let events: RouterEvent[] = [];
    for (let i = 0; i <= (s.warmups ?? 0); i++) {
      events = [];
      for await (const e of router.run({ task: 'code_review', messages: [{ role: 'user', content: 'Review: let x = 1' }] }, new AbortController().signal)) events.push(e);
    }
    results.push({ name: s.name, ...check(s, events), ms: Math.round(performance.now() - started) });
  }
  return results;
}

function check(s: Scenario, events: RouterEvent[]): { passed: boolean; detail: string } {
  const end = events.at(-1);
  const shown = events.filter((e) => e.type === 'delta').map((e) => (e.type === 'delta' ? e.text : '')).join('');
  const problems: string[] = [];
  if (s.expect.error) {
    if (end?.type !== 'error') problems.push(`expected error ${s.expect.error}, got ${end?.type}`);
    else {
      if (end.reason !== s.expect.error) problems.push(`reason ${end.reason}`);
      for (const t of s.expect.textIncludes ?? []) if (!end.userText.includes(t)) problems.push(`message lacks ${t}`);
    }
  } else if (end?.type !== 'done') {
    problems.push(`expected an answer, got ${end?.type === 'error' ? end.userText : end?.type}`);
  } else {
    if (s.expect.model && end.model !== s.expect.model) problems.push(`answered by ${end.model}`);
    if (s.expect.models && end.models.join(',') !== s.expect.models.join(',')) problems.push(`models ${end.models.join(',')}`);
    if (s.expect.textStarts && !end.text.startsWith(s.expect.textStarts)) problems.push(`text starts ${JSON.stringify(end.text.slice(0, 20))}`);
    for (const t of s.expect.textIncludes ?? []) if (!end.text.includes(t)) problems.push(`text lacks ${t}`);
    // No lost text: what the user saw streaming is exactly the final answer.
    if (shown !== end.text) problems.push('streamed text differs from the answer');
    if (!end.text.includes(`[${end.model}]`)) problems.push('answer lacks the answering model’s text');
  }
  if (s.expect.waited && !events.some((e) => e.type === 'waiting')) problems.push('no announced wait');
  return { passed: problems.length === 0, detail: problems.join('; ') || 'ok' };
}
