/**
 * Streaming render cost in Chromium: the main-thread time to render one new ~4-character chunk of a
 * markdown answer that is already ~1,000 tokens long, against one that is ~20,000 tokens long.
 * Incremental rendering makes the two the same; re-rendering the whole answer makes the second ~20x.
 * Run alone: npx tsx bench/render.ts
 */
import type { Page } from 'playwright-core';
import { openPage, startHarness } from '../test/webview/harness';
import { longAnswer, section } from '../test/webview/markdownSamples';
import { median, round } from './stats';

// Browser globals, for the function that runs inside the page (the root tsconfig has no DOM lib).
declare const window: any;
declare const document: any;
declare const performance: { now(): number };

const CHARS_PER_TOKEN = 4;
const CHUNK = 4;
const ROUNDS = 5;

export interface RenderMetrics {
  render_cost_ratio_20k_vs_1k: number;
  render_chunk_ms_1k: number;
  render_chunk_ms_20k: number;
}

/** Sections in an answer of about `tokens` tokens. */
function sectionsFor(tokens: number): number {
  return Math.max(1, Math.round((tokens * CHARS_PER_TOKEN) / section(1).length));
}

/**
 * Mean ms per chunk while streaming one more section after `prefixSections` sections, so both sizes
 * measure exactly the same kind of content. Each chunk is appended and flushed (one frame per chunk),
 * and layout is forced, as the chat does when it keeps the view scrolled to the bottom.
 */
async function chunkMs(page: Page, prefixSections: number): Promise<number> {
  const prefix = longAnswer(prefixSections);
  const next = section(prefixSections + 1);
  return page.evaluate(
    ({ prefix, next, chunk }) => {
      const host = document.createElement('div');
      host.className = 'messages';
      const body = document.createElement('div');
      body.className = 'msg-body markdown';
      host.append(body);
      document.body.replaceChildren(host);
      const r = new window.SB.IncrementalRenderer(body, { schedule: () => () => {} });
      r.setText(prefix);
      r.flush();
      void body.offsetHeight;
      let total = 0;
      let n = 0;
      for (let i = 0; i < next.length; i += chunk) {
        const t0 = performance.now();
        r.append(next.slice(i, i + chunk));
        r.flush();
        void host.scrollHeight;
        total += performance.now() - t0;
        n++;
      }
      return total / n;
    },
    { prefix, next, chunk: CHUNK },
  );
}

export async function measureRender(log: (line: string) => void = () => {}): Promise<RenderMetrics> {
  const harness = await startHarness();
  try {
    const page = await openPage(harness, { page: 'render' });
    const small = sectionsFor(1_000);
    const large = sectionsFor(20_000);
    log(`answer of ${small} vs ${large} sections (~${Math.round((small * section(1).length) / CHARS_PER_TOKEN)} vs ~${Math.round((large * section(1).length) / CHARS_PER_TOKEN)} tokens), ${Math.ceil(section(1).length / CHUNK)} chunks of ${CHUNK} chars each`);
    await chunkMs(page, small); // warm-up: JIT and style caches
    const smallRuns: number[] = [];
    const largeRuns: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      smallRuns.push(await chunkMs(page, small));
      largeRuns.push(await chunkMs(page, large));
    }
    const ms1k = median(smallRuns);
    const ms20k = median(largeRuns);
    return {
      render_cost_ratio_20k_vs_1k: round(ms20k / ms1k),
      render_chunk_ms_1k: round(ms1k),
      render_chunk_ms_20k: round(ms20k),
    };
  } finally {
    await harness.close();
  }
}

if (require.main === module) {
  measureRender((l) => console.log(`  ${l}`))
    .then((m) => {
      console.log('\nStreaming render (Chromium)');
      console.log(`  ${'metric'.padEnd(30)} ${'value'.padStart(8)}  goal`);
      console.log(`  ${'render_chunk_ms_1k'.padEnd(30)} ${String(m.render_chunk_ms_1k).padStart(8)}`);
      console.log(`  ${'render_chunk_ms_20k'.padEnd(30)} ${String(m.render_chunk_ms_20k).padStart(8)}`);
      const ok = m.render_cost_ratio_20k_vs_1k < 1.5;
      console.log(`  ${'render_cost_ratio_20k_vs_1k'.padEnd(30)} ${String(m.render_cost_ratio_20k_vs_1k).padStart(8)}  < 1.5 ${ok ? '✓' : '✗ MISSED'}`);
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
