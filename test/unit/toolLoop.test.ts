/**
 * The tool loop over the real router, the real openai SDK and the simulator's scripted tool-calling
 * models. The ToolHost is an in-memory one here; the vscode-backed host is tested in the extension host.
 */
import { strict as assert } from 'node:assert';
import type { RecordedRequest, Simulator } from '../../sim/server';
import type { RouterEvent } from '../../src/core/router';
import { runToolLoop, type LoopEvent, type LoopOptions, type ToolHost, type ToolResult } from '../../src/core/tools/loop';
import { READ_ONLY_TOOLS, TOOL_NAMES, checkArgs, toolSchemas, type ToolName } from '../../src/core/tools/schemas';
import { routerFor, testConfig, useSimulator } from './helpers';

const config = testConfig({ routes: { general_qa: { primary: 'agent-a', fallbacks: ['agent-b'] } }, globalFallbacks: [] });

class MemoryHost implements ToolHost {
  readonly calls: Array<{ name: ToolName; args: Record<string, unknown> }> = [];
  constructor(
    readonly files: Record<string, string> = { 'example.ts': 'export const answer = 42;\nexport const other = 1;\n' },
    private readonly names: readonly ToolName[] = READ_ONLY_TOOLS,
    private readonly hook?: (signal: AbortSignal) => Promise<void>,
  ) {}
  available() {
    return this.names;
  }
  async run(name: ToolName, args: Record<string, unknown>, signal: AbortSignal): Promise<ToolResult> {
    this.calls.push({ name, args });
    await this.hook?.(signal);
    if (name !== 'read_file') return { content: `(${name} has nothing here)`, summary: 'nothing' };
    const text = this.files[String(args.path)];
    return text === undefined ? { content: `Error: no file ${String(args.path)}`, summary: 'not found', isError: true } : { content: text, summary: `read ${String(args.path)}` };
  }
}

async function loop(sim: Simulator, host: ToolHost, options: LoopOptions = {}, content = 'What does example.ts export?', signal = new AbortController().signal) {
  const events: LoopEvent[] = [];
  for await (const e of runToolLoop(routerFor(sim, config), { task: 'general_qa', messages: [{ role: 'system', content: 'sys' }, { role: 'user', content }] }, host, signal, options)) {
    events.push(e);
  }
  return events;
}

const completions = (sim: Simulator): RecordedRequest[] => sim.requests.filter((r) => r.path.endsWith('/chat/completions'));
const endOf = (events: LoopEvent[]) => events.at(-1) as Extract<RouterEvent, { type: 'done' | 'error' }>;
const toolEnds = (events: LoopEvent[]) => events.filter((e): e is Extract<LoopEvent, { type: 'tool_end' }> => e.type === 'tool_end');

describe('tool loop', () => {
  let sim: Simulator;
  useSimulator((s) => (sim = s), { models: {} }, { resetEach: true });

  it('offers JSON Schemas made from the same zod schemas that check the arguments', () => {
    const [read] = toolSchemas(['read_file']);
    assert.equal(read!.name, 'read_file');
    assert.deepEqual(read!.parameters.required, ['path']);
    assert.equal(read!.parameters.$schema, undefined, 'no $schema key goes on the wire');
    assert.deepEqual(checkArgs('read_file', { path: 3 }), { ok: false, error: 'path: expected string' });
    assert.equal(TOOL_NAMES.length, 7);
    assert.ok(!READ_ONLY_TOOLS.includes('propose_edit'));
  });

  it('reads a file the question names and answers from it, the tool step reported as it runs', async () => {
    sim.setScript('agent-a', { agent: true });
    const host = new MemoryHost();
    const events = await loop(sim, host);
    const end = endOf(events);
    assert.equal(end.type, 'done', JSON.stringify(end));
    if (end.type !== 'done') return;
    assert.deepEqual(host.calls, [{ name: 'read_file', args: { path: 'example.ts' } }]);
    assert.deepEqual(
      events.filter((e) => ['step', 'tool_start', 'tool_end', 'done'].includes(e.type)).map((e) => e.type),
      ['step', 'tool_start', 'tool_end', 'step', 'done'],
    );
    assert.match(end.text, /^Reading example\.ts\.\n\n\[agent-a\] From the tools:/);
    assert.match(end.text, /`read_file` returned 3 lines, starting: `export const answer = 42;`/);
    // The streamed deltas add up to the same text the done event carries (the paragraph break included).
    assert.equal(events.flatMap((e) => (e.type === 'delta' ? [e.text] : [])).join(''), end.text);
    const [first, second] = completions(sim);
    assert.equal(first!.body.tools.length, READ_ONLY_TOOLS.length);
    assert.equal(first!.body.tool_choice, 'auto');
    const call = second!.body.messages[2];
    assert.equal(call.role, 'assistant');
    assert.equal(call.content, 'Reading example.ts.');
    assert.equal(call.tool_calls[0].function.name, 'read_file');
    assert.deepEqual(JSON.parse(call.tool_calls[0].function.arguments), { path: 'example.ts' });
    assert.deepEqual(second!.body.messages[3], { role: 'tool', tool_call_id: call.tool_calls[0].id, content: host.files['example.ts'] });
    assert.equal(end.usage.completionTokens > 0 && end.usage.promptTokens > 0, true, 'usage of both steps is counted');
  });

  it('fails over on step 3 and gives the next model the whole conversation, tool calls and results intact', async () => {
    sim.setScript('agent-a', [
      { text: '', toolCalls: [{ name: 'read_file', arguments: { path: 'example.ts' } }] },
      { text: '', toolCalls: [{ name: 'list_files', arguments: { glob: '**/*.ts' } }] },
      { fault: { type: 'status', status: 500, body: { error: { message: 'boom', type: 'server_error' } } } },
    ]);
    sim.setScript('agent-b', { agent: true });
    const events = await loop(sim, new MemoryHost());
    const end = endOf(events);
    assert.equal(end.type, 'done', JSON.stringify(end));
    if (end.type !== 'done') return;
    assert.equal(end.model, 'agent-b');
    const asked = completions(sim);
    assert.deepEqual(asked.map((r) => r.model), ['agent-a', 'agent-a', 'agent-a', 'agent-b']);
    assert.equal(asked[3]!.body.messages.length, 6, 'system, user, two calls and their two results');
    assert.deepEqual(asked[3]!.body.messages, asked[2]!.body.messages);
    assert.ok(events.some((e) => e.type === 'failover' && e.from === 'agent-a' && e.to === 'agent-b'));
    assert.match(end.text, /`list_files` returned 1 lines/, 'it answers from the results it was given');
  });

  it("fails over when the provider says the model's own tool call failed validation (Groq's tool_use_failed)", async () => {
    sim.setScript('agent-a', {
      fault: {
        type: 'status',
        status: 400,
        body: { error: { message: "Failed to call a function. Please adjust your prompt. See 'failed_generation' for more details.", type: 'invalid_request_error', code: 'tool_use_failed' } },
      },
    });
    sim.setScript('agent-b', { agent: true });
    const end = endOf(await loop(sim, new MemoryHost()));
    assert.equal(end.type, 'done', JSON.stringify(end));
    assert.equal(end.type === 'done' && end.model, 'agent-b');
  });

  it('stops at the step limit: the last request may not call tools', async () => {
    sim.setScript('agent-a', { text: 'again', toolCalls: [{ name: 'read_file', arguments: { path: 'example.ts' } }] });
    const events = await loop(sim, new MemoryHost(), { maxSteps: 3 });
    const asked = completions(sim);
    assert.deepEqual(asked.map((r) => r.body.tool_choice), ['auto', 'auto', 'none']);
    assert.equal(events.filter((e) => e.type === 'tool_start').length, 2);
    const end = endOf(events);
    assert.equal(end.type === 'done' && end.finishReason, 'step_limit');
  });

  it('truncates a large tool result, with a note saying how much the model did not see', async () => {
    sim.setScript('agent-a', { agent: true });
    const events = await loop(sim, new MemoryHost({ 'big.txt': 'x'.repeat(50_000) }), { maxResultChars: 1000 }, 'Summarise big.txt please');
    const sent = completions(sim)[1]!.body.messages[3].content as string;
    assert.equal(sent.length < 1200, true);
    assert.match(sent, /\[truncated: 49000 more characters not shown/);
    assert.match(toolEnds(events)[0]!.result.summary, /\(truncated\)$/);
  });

  it('answers bad calls with an error the model can read, and carries on', async () => {
    sim.setScript('agent-a', [
      {
        text: '',
        toolCalls: [
          { name: 'read_file', arguments: '{"path": ' },
          { name: 'delete_everything', arguments: {} },
          { name: 'read_file', arguments: { path: 7 } },
        ],
      },
      { text: 'Sorry, done.' },
    ]);
    const host = new MemoryHost();
    const events = await loop(sim, host);
    assert.deepEqual(host.calls, [], 'no bad call reaches the host');
    const results = toolEnds(events).map((e) => e.result);
    assert.deepEqual(results.map((r) => r.isError), [true, true, true]);
    assert.match(results[0]!.content, /^Error: the arguments are not valid JSON/);
    assert.match(results[1]!.content, /no tool named delete_everything/);
    assert.match(results[2]!.content, /path: expected string/);
    const sent = completions(sim)[1]!.body.messages;
    assert.deepEqual(sent.slice(3).map((m: { role: string }) => m.role), ['tool', 'tool', 'tool'], 'one result per call, in order');
    assert.equal(endOf(events).text, 'Sorry, done.');
  });

  it('runs parallel calls in order and pairs each result with its call id', async () => {
    sim.setScript('agent-a', [
      { text: '', toolCalls: [{ id: 'c1', name: 'read_file', arguments: { path: 'example.ts' } }, { id: 'c2', name: 'get_diagnostics', arguments: {} }] },
      { agent: true },
    ]);
    await loop(sim, new MemoryHost());
    const sent = completions(sim)[1]!.body.messages;
    assert.deepEqual(sent.slice(2).map((m: { role: string; tool_call_id?: string }) => m.tool_call_id ?? m.role), ['assistant', 'c1', 'c2']);
  });

  it('stops within a tool run when the user presses stop, and asks no model again', async () => {
    sim.setScript('agent-a', { agent: true });
    const controller = new AbortController();
    const host = new MemoryHost(undefined, READ_ONLY_TOOLS, (signal) => {
      controller.abort();
      return Promise.resolve(void signal);
    });
    const end = endOf(await loop(sim, host, {}, 'Read example.ts', controller.signal));
    assert.equal(end.type === 'done' && end.cancelled, true);
    assert.equal(completions(sim).length, 1);
    assert.equal(end.text, 'Reading example.ts.', 'what was streamed is kept');
  });

  it('sends no tools when the host offers none (tools off, untrusted workspace)', async () => {
    sim.setScript('agent-a', { agent: true });
    const end = endOf(await loop(sim, new MemoryHost(undefined, [])));
    assert.equal(end.type, 'done');
    assert.equal(completions(sim)[0]!.body.tools, undefined);
    assert.equal(completions(sim).length, 1);
  });

  it('keeps each step’s reasoning apart from the answer, one paragraph per step', async () => {
    sim.setScript('agent-a', [
      { reasoning: 'I should read the file.', agent: true },
      { reasoning: 'Now I can answer.', agent: true },
    ]);
    const events = await loop(sim, new MemoryHost());
    const reasoning = events.flatMap((e) => (e.type === 'reasoning' ? [e.text] : [])).join('');
    assert.equal(reasoning, 'I should read the file.\n\nNow I can answer.');
    assert.doesNotMatch(endOf(events).text, /I should read/);
  });
});
