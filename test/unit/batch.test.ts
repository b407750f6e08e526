import { strict as assert } from 'node:assert';
import { runBatch } from '../../src/core/batch/run';
import { STRUCTURED_REVIEW, parseReview, reviewPrompt } from '../../src/core/batch/review';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new Error('aborted'));
    });
  });

describe('batch runner', () => {
  it('never runs more than the limit at once, and keeps the items’ order', async () => {
    let running = 0;
    let peak = 0;
    const progress: string[] = [];
    const results = await runBatch(
      Array.from({ length: 12 }, (_, i) => i),
      async (i) => {
        running++;
        peak = Math.max(peak, running);
        await sleep(5 + ((i * 7) % 11));
        running--;
        return i * 2;
      },
      { concurrency: 4, signal: new AbortController().signal, onProgress: (d, t) => progress.push(`${d}/${t}`) },
    );
    assert.equal(peak, 4);
    assert.deepEqual(results.map((r) => (r.ok ? r.value : null)), Array.from({ length: 12 }, (_, i) => i * 2));
    assert.equal(progress.at(-1), '12/12');
    assert.equal(progress.length, 12);
  });

  it('one abort stops the running items and starts no more', async () => {
    const controller = new AbortController();
    let started = 0;
    const run = runBatch(Array.from({ length: 10 }, (_, i) => i), async (_i, signal) => {
      started++;
      await sleep(1000, signal);
    }, { concurrency: 3, signal: controller.signal });
    await sleep(20);
    const t0 = performance.now();
    controller.abort();
    const results = await run;
    assert.ok(performance.now() - t0 < 100, 'stopped at once');
    assert.equal(started, 3, 'no queued item started');
    assert.ok(results.every((r) => !r.ok && r.cancelled));
  });

  it('a failing item does not stop the others', async () => {
    const results = await runBatch([1, 2, 3], async (i) => {
      if (i === 2) throw new Error('boom');
      return i;
    }, { concurrency: 2, signal: new AbortController().signal });
    assert.deepEqual(results.map((r) => r.ok), [true, false, true]);
  });
});

describe('structured review answers', () => {
  it('asks for JSON findings with the file numbered by line and the diff', () => {
    const [m] = reviewPrompt({ path: 'src/a.ts', languageId: 'typescript', text: 'const a = 1;\nconst b = a;', diff: '-x\n+y' }, 10_000);
    assert.match(m!.content, new RegExp(STRUCTURED_REVIEW));
    assert.match(m!.content, /```typescript\n1\| const a = 1;\n2\| const b = a;\n```/);
    assert.match(m!.content, /```diff\n-x\n\+y\n```/);
  });

  it('reads findings from a fenced or chatty answer, keeps lines inside the file, and defaults odd severities', () => {
    const answer = 'Sure!\n```json\n{"findings":[{"line":2,"severity":"ERROR","message":"Off by one."},{"line":99,"endLine":120,"severity":"nit","message":"Name it better."}]}\n```';
    assert.deepEqual(parseReview(answer, 10), {
      ok: true,
      findings: [
        { line: 2, endLine: 2, severity: 'error', message: 'Off by one.' },
        { line: 10, endLine: 10, severity: 'warning', message: 'Name it better.' },
      ],
    });
    assert.deepEqual(parseReview('{"findings":[]}', 3), { ok: true, findings: [] });
  });

  it('says why an answer cannot be read, so it can go to the chat instead', () => {
    assert.match((parseReview('Looks good to me.', 5) as { why: string }).why, /no JSON object/);
    assert.match((parseReview('{"findings": [ {"line": 1, ', 5) as { why: string }).why, /no JSON object|does not parse/);
    assert.match((parseReview('{"issues":[]}', 5) as { why: string }).why, /asked-for shape/);
    assert.match((parseReview('{"findings":[{"line":"two","message":"x"}]}', 5) as { why: string }).why, /findings\.0\.line/);
  });
});
