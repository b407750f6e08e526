/**
 * Batch work: 40 files reviewed through the real router and the simulator (200 ms per reply), one at a
 * time against four at a time, and again while the primary answers 429 with Retry-After on a third of calls.
 */
import { startSimulator, type Simulator } from '../sim/server';
import { parseReview, reviewPrompt } from '../src/core/batch/review';
import { runBatch } from '../src/core/batch/run';
import { Router } from '../src/core/router';
import { systemPrompt } from '../src/core/tasks';
import { chainConfig, simRouter } from './setup';

export interface BatchBenchResults {
  batch_speedup_c4: number;
  batch_serial_s: number;
  batch_c4_s: number;
  batch_429_completion_rate: number;
  batch_429_wall_ratio: number;
  batch_max_in_flight: number;
}

const FILES = Array.from({ length: 40 }, (_, i) => ({ path: `src/file${i}.ts`, languageId: 'typescript', text: `export const value${i} = ${i};\nexport function f${i}(x: number) {\n  return x + ${i};\n}\n` }));
const ANSWER = JSON.stringify({ findings: [{ line: 2, severity: 'warning', message: 'Name the function for what it does.' }] });

function router(sim: Simulator): Router {
  const config = chainConfig('gpt-5', ['claude-sonnet-4'], { rateLimitMaxWaitMs: 5000 });
  return simRouter(sim, config);
}

/** Reviews every file; returns the wall time and how many files ended with parsed findings. */
async function review(sim: Simulator, concurrency: number): Promise<{ seconds: number; reviewed: number; maxInFlight: number }> {
  const r = router(sim);
  let inFlight = 0;
  let maxInFlight = 0;
  const t0 = performance.now();
  const results = await runBatch(
    FILES,
    async (file, signal) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        for await (const e of r.run({ task: 'code_review', messages: [{ role: 'system', content: systemPrompt('code_review') }, ...reviewPrompt(file, 48_000)] }, signal)) {
          if (e.type === 'done') return parseReview(e.text, file.text.split('\n').length).ok;
          if (e.type === 'error') throw new Error(e.userText);
        }
        return false;
      } finally {
        inFlight--;
      }
    },
    { concurrency, signal: new AbortController().signal },
  );
  return { seconds: (performance.now() - t0) / 1000, reviewed: results.filter((x) => x.ok && x.value).length, maxInFlight };
}

export async function measureBatch(log: (line: string) => void = console.log): Promise<BatchBenchResults> {
  const sim = await startSimulator();
  try {
    const clean = () => {
      sim.reset();
      for (const m of ['gpt-5', 'claude-sonnet-4']) sim.setScript(m, { text: ANSWER, ttftMs: 200 });
    };
    clean();
    const serial = await review(sim, 1);
    clean();
    const c4 = await review(sim, 4);
    log(`40 files at 200 ms per reply: serial ${serial.seconds.toFixed(2)} s, 4 at a time ${c4.seconds.toFixed(2)} s (at most ${c4.maxInFlight} in flight)`);

    clean();
    const limited = { fault: { type: 'status' as const, status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } } } };
    sim.setScript('gpt-5', [limited, { text: ANSWER, ttftMs: 200 }, { text: ANSWER, ttftMs: 200 }], { cycle: true });
    const storm = await review(sim, 4);
    const asked = sim.requests.filter((x) => x.model === 'gpt-5').length;
    const limitedCount = sim.requests.filter((x) => x.model === 'gpt-5' && x.status === 429).length;
    log(`with 429 + Retry-After on a third of gpt-5's calls: ${storm.reviewed}/40 reviewed in ${storm.seconds.toFixed(2)} s (gpt-5 asked ${asked} times, ${limitedCount} rate-limited)`);
    return {
      batch_speedup_c4: Math.round((serial.seconds / c4.seconds) * 100) / 100,
      batch_serial_s: Math.round(serial.seconds * 100) / 100,
      batch_c4_s: Math.round(c4.seconds * 100) / 100,
      batch_429_completion_rate: storm.reviewed / FILES.length,
      batch_429_wall_ratio: Math.round((storm.seconds / c4.seconds) * 100) / 100,
      batch_max_in_flight: c4.maxInFlight,
    };
  } finally {
    await sim.close();
  }
}
