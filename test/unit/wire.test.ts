/**
 * Recorded provider traffic served through the simulator and read by the real router.
 * `../shared/wire/` is third-party data: read here at test time, never copied into the project.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Simulator } from '../../sim/server';
import type { FailureReason } from '../../src/core/errors';
import { collect, routerFor, testConfig, useSimulator } from './helpers';
import { REASONING, TOOL_CALLS } from './wireExpectations';

const WIRE = join(__dirname, '..', '..', '..', 'shared', 'wire');
const OWN = join(__dirname, '..', 'fixtures');
const MODEL = 'wire-model';
/** One model, no fallbacks, no waiting: the outcome is exactly what this one response produced. */
const single = testConfig({ routes: { code_review: { primary: MODEL, fallbacks: [] } }, globalFallbacks: [] }, { firstTokenMs: 2000, idleMs: 2000, rateLimitMaxWaitMs: 0 });

interface Expected {
  text: string;
  reasoning: string;
  finishReason?: string;
  usage?: { promptTokens: number; completionTokens: number };
}

/** A deliberately naive reading of the file: choice 0's content and refusal, its last finish reason, the last usage. */
function reference(sse: string): Expected {
  let text = '';
  let reasoning = '';
  let finishReason: string | undefined;
  let usage: Expected['usage'];
  for (const line of sse.split('\n')) {
    const m = /^data: ?(.*)$/.exec(line);
    if (!m || m[1]!.startsWith('[DONE]')) continue;
    const chunk = JSON.parse(m[1]!);
    for (const c of chunk.choices ?? []) {
      if ((c.index ?? 0) !== 0) continue;
      if (typeof c.delta?.content === 'string') text += c.delta.content;
      if (typeof c.delta?.refusal === 'string') text += c.delta.refusal;
      reasoning += c.delta?.reasoning_content ?? c.delta?.reasoning ?? '';
      if (c.finish_reason) finishReason = c.finish_reason;
    }
    if (chunk.usage) usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
  }
  return { text, reasoning, finishReason, usage };
}

function parseMeta(meta: string): { status: number; headers: Record<string, string> } {
  const status = Number(/^status:\s*(\d+)/m.exec(meta)?.[1]);
  const headers: Record<string, string> = {};
  for (const m of meta.matchAll(/^header:\s*([^:]+):\s*(.*)$/gm)) headers[m[1]!.trim().toLowerCase()] = m[2]!.trim();
  return { status, headers };
}

function serveStream(sim: Simulator, body: Buffer, splitBytes: number) {
  sim.setScript(MODEL, { fault: { type: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body, splitBytes } });
}

function streamSuite(dir: string, label: string) {
  const files = readdirSync(join(dir, 'streams')).filter((f) => f.endsWith('.sse'));
  describe(`${label}: ${files.length} recorded streams`, () => {
    let sim: Simulator;
    useSimulator((s) => (sim = s));

    it('holds the streams this suite was written for', () => assert.ok(files.length >= 4));

    for (const file of files) {
      it(`reads ${file} (bytes split across reads)`, async () => {
        const body = readFileSync(join(dir, 'streams', file));
        const expected = reference(body.toString('utf8'));
        // Odd split sizes cut through JSON and multi-byte characters at different places per file.
        serveStream(sim, body, 7 + (file.length % 11));
        const events = await collect(routerFor(sim, single), { task: 'code_review', messages: [{ role: 'user', content: 'x' }] });
        const end = events.at(-1)!;
        const override = SPECIAL[file];
        if (override?.error) {
          assert.equal(end.type, 'error', JSON.stringify(end));
          if (end.type !== 'error') return;
          assert.equal(end.attempts[0]?.reason, override.error);
          assert.equal(end.text, override.text ?? expected.text, 'text shown before the failure is kept');
          return;
        }
        assert.equal(end.type, 'done', JSON.stringify(end));
        if (end.type !== 'done') return;
        assert.equal(end.text, expected.text);
        assert.equal(end.finishReason, expected.finishReason);
        // Reasoning streams apart from the answer, whole, and never inside its text.
        const reasoning = events.flatMap((e) => (e.type === 'reasoning' ? [e.text] : [])).join('');
        assert.equal(reasoning, expected.reasoning);
        if (expected.reasoning) assert.ok(!end.text.includes(expected.reasoning.slice(0, 30)), 'reasoning is not part of the answer');
        assert.equal(reasoning.length > 0, REASONING.has(file), `${file}: reasoning ${reasoning.length ? 'found' : 'missing'}`);
        // Tool calls: exactly the hand-checked calls, arguments parsed as the model meant them.
        const calls = end.toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: JSON.parse(c.arguments || '{}') }));
        assert.deepEqual(calls, TOOL_CALLS[file] ?? [], file);
        assert.deepEqual(end.usage, expected.usage ?? { promptTokens: 0, completionTokens: 0 });
        if (override?.textStarts) assert.ok(end.text.startsWith(override.textStarts), end.text.slice(0, 40));
        if (override?.finishReason) assert.equal(end.finishReason, override.finishReason);
      });
    }
  });
}

/** Hand-checked facts about particular files, so the suite does not only compare two readings. */
const SPECIAL: Record<string, { error?: FailureReason; text?: string; textStarts?: string; finishReason?: string }> = {
  'openai_gpt4o_plain_text_with_usage.sse': { textStarts: "I'm" },
  'openai_gpt4o_finish_length_max_tokens1.sse': { finishReason: 'length' },
  'openai_gpt4o_tool_call_single_piecewise_args.sse': { finishReason: 'tool_calls', text: '' },
  'deepseek_chat_finish_length_usage_in_last_choice_chunk.sse': { finishReason: 'length' },
  'openrouter_keepalive_comments.sse': { textStarts: 'Hello from OpenRouter' },
  'sse_data_without_space.sse': { textStarts: 'no space' },
  'openrouter_midstream_error.sse': { error: 'stream_error', text: 'The answer begins' },
  'azure_finish_content_filter.sse': { error: 'content_filter', text: 'Here is' },
};

/** What each recorded error body must be classified as. */
const ERROR_EXPECTATIONS: Record<string, { reason: FailureReason; kind: 'retry' | 'failover' | 'fatal'; fix?: string }> = {
  anthropic_529_overloaded_error: { reason: 'overloaded', kind: 'failover' },
  cloudflare_502_bad_gateway_nginx_html: { reason: 'server_error', kind: 'failover' },
  litellm_proxy_429_docs_example_throttling_error: { reason: 'rate_limited', kind: 'retry' },
  openai_401_invalid_api_key: { reason: 'auth', kind: 'fatal', fix: 'setApiKey' },
  openai_429_insufficient_quota: { reason: 'quota', kind: 'fatal', fix: 'setApiKey' },
  openai_429_rate_limit_exceeded_tokens: { reason: 'rate_limited', kind: 'retry' },
  openai_503_model_overloaded_server_error: { reason: 'overloaded', kind: 'failover' },
  openrouter_402_insufficient_credits_never_purchased: { reason: 'quota', kind: 'fatal', fix: 'setApiKey' },
  azure_400_content_filter: { reason: 'content_filter', kind: 'fatal' },
  openai_429_with_retry_after: { reason: 'rate_limited', kind: 'retry' },
  nginx_502_bad_gateway: { reason: 'server_error', kind: 'failover' },
};

function errorSuite(dir: string, label: string) {
  const metas = readdirSync(join(dir, 'errors')).filter((f) => f.endsWith('.meta'));
  describe(`${label}: ${metas.length} recorded error responses`, () => {
    let sim: Simulator;
    useSimulator((s) => (sim = s));

    for (const meta of metas) {
      const name = meta.replace(/\.meta$/, '');
      const expected = ERROR_EXPECTATIONS[name];
      it(`classifies ${name} as ${expected ? `${expected.kind} (${expected.reason})` : '(no expectation written!)'}`, async () => {
        assert.ok(expected, `write an expectation for ${name}`);
        const bodyFile = readdirSync(join(dir, 'errors')).find((f) => f.startsWith(`${name}.`) && !f.endsWith('.meta'))!;
        const { status, headers } = parseMeta(readFileSync(join(dir, 'errors', meta), 'utf8'));
        const body = readFileSync(join(dir, 'errors', bodyFile));
        sim.reset();
        sim.setScript(MODEL, {
          fault: { type: 'raw', status, headers: { 'content-type': bodyFile.endsWith('.html') ? 'text/html' : 'application/json', ...headers }, body },
        });
        const router = routerFor(sim, single);
        const events = await collect(router, { task: 'code_review', messages: [{ role: 'user', content: 'x' }] });
        const end = events.at(-1)!;
        assert.equal(end.type, 'error');
        if (end.type !== 'error') return;
        const attempt = end.attempts.find((a) => a.outcome === 'failed')!;
        assert.equal(attempt.reason, expected.reason);
        assert.equal(attempt.status, status);
        if (expected.kind === 'fatal') {
          assert.equal(end.reason, expected.reason, 'a fatal error is reported as itself, not as "all failed"');
          assert.equal(end.fix, expected.fix);
        } else {
          assert.equal(end.reason, 'all_failed');
          assert.match(end.userText, new RegExp(`${MODEL}: `));
        }
        assert.doesNotMatch(end.userText, /<html|<body|<center/i, 'HTML never reaches the user');
        if (headers['retry-after']) {
          const cooldown = router.health.cooldownRemaining(MODEL);
          assert.ok(cooldown > 6000 && cooldown <= 7000, `Retry-After honoured: ${cooldown}`);
        }
      });
    }
  });
}

if (existsSync(WIRE)) {
  streamSuite(WIRE, 'shared wire corpus');
  errorSuite(WIRE, 'shared wire corpus');
} else {
  describe('shared wire corpus', () => {
    it(`did not run: ${WIRE} is not here (CI always has it)`, function () {
      console.log(`    wire corpus suite did not run: ${WIRE} is missing`);
      this.skip();
    });
  });
}
streamSuite(OWN, 'own fixtures');
errorSuite(OWN, 'own fixtures');
