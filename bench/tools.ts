/**
 * Tool use: how many recorded tool-call streams assemble exactly, and what the tool loop costs per
 * step beyond the model and the tool (the same requests sent straight through the openai SDK, side by side).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startSimulator } from '../sim/server';
import { runToolLoop, type ToolHost } from '../src/core/tools/loop';
import { READ_ONLY_TOOLS } from '../src/core/tools/schemas';
import { TOOL_CALLS } from '../test/unit/wireExpectations';
import { chainConfig, simRouter } from './setup';
import { median } from './stats';

const WIRE = join(__dirname, '..', '..', 'shared', 'wire', 'streams');

export interface ToolResults {
  tool_calls_assembled: number;
  tool_call_streams: number;
  tool_loop_overhead_ms: number;
}

export async function measureTools(log: (line: string) => void = console.log): Promise<ToolResults> {
  const sim = await startSimulator();
  try {
    // 1. Every recorded stream with tool calls, served byte for byte, read by the real router.
    const files = existsSync(WIRE) ? readdirSync(WIRE).filter((f) => f.endsWith('.sse') && readFileSync(join(WIRE, f), 'utf8').includes('"tool_calls"')) : [];
    let assembled = 0;
    for (const file of files) {
      sim.setScript('wire', { fault: { type: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: readFileSync(join(WIRE, file)), splitBytes: 13 } });
      const router = simRouter(sim, chainConfig('wire', []));
      let calls: unknown;
      for await (const e of router.run({ task: 'code_review', messages: [{ role: 'user', content: 'x' }] }, new AbortController().signal)) {
        if (e.type === 'done') calls = e.toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: JSON.parse(c.arguments || '{}') }));
      }
      const ok = JSON.stringify(calls) === JSON.stringify(TOOL_CALLS[file]);
      if (ok) assembled++;
      else log(`not assembled exactly: ${file}`);
    }
    log(`tool-call streams: ${assembled} of ${files.length} assembled exactly`);

    // 2. Loop overhead: STEPS tool steps through the loop vs. the same requests sent directly.
    const STEPS = 10;
    const step = { text: '', toolCalls: [{ name: 'read_file', arguments: { path: 'a.ts' } }] };
    const host: ToolHost = { available: () => READ_ONLY_TOOLS, run: async () => ({ content: 'export const a = 1;', summary: 'read a.ts' }) };
    const direct = new OpenAI({ baseURL: sim.url, apiKey: sim.apiKey, maxRetries: 0 });
    const diffs: number[] = [];
    for (let round = 0; round < 40; round++) {
      sim.reset();
      sim.setScript('agent', [...Array.from({ length: STEPS - 1 }, () => step), { text: 'done' }]);
      const router = simRouter(sim, chainConfig('agent', []));
      const t0 = performance.now();
      for await (const _ of runToolLoop(router, { task: 'code_review', messages: [{ role: 'user', content: 'read a.ts' }] }, host, new AbortController().signal, { maxSteps: STEPS + 1 })) {
        /* drain */
      }
      const loopMs = performance.now() - t0;
      // The very same request bodies, one after another, straight through the SDK.
      const bodies = sim.requests.filter((r) => r.path.endsWith('/chat/completions')).map((r) => r.body);
      sim.reset();
      sim.setScript('agent', [...Array.from({ length: STEPS - 1 }, () => step), { text: 'done' }]);
      const t1 = performance.now();
      for (const body of bodies) {
        const stream = await direct.chat.completions.create({ ...(body as OpenAI.Chat.ChatCompletionCreateParamsStreaming), stream: true });
        for await (const _ of stream) {
          /* drain */
        }
      }
      const directMs = performance.now() - t1;
      if (round >= 5) diffs.push((loopMs - directMs) / STEPS);
    }
    const tool_loop_overhead_ms = Math.round(median(diffs) * 1000) / 1000;
    log(`tool loop: ${tool_loop_overhead_ms} ms per step beyond the same requests sent directly (${STEPS} steps, median of ${diffs.length})`);
    return { tool_calls_assembled: assembled, tool_call_streams: files.length, tool_loop_overhead_ms };
  } finally {
    await sim.close();
  }
}
