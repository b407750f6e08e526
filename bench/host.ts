/**
 * The packaged extension in a real VS Code (code-server) and a real Chromium, with the simulator:
 * - activation_ms: what the extension logs on activation (evaluating its bundle + activate()), median
 *   over a first load and six window reloads (this machine is noisy: one load can take twice another);
 * - first_token_to_screen_ms: from the simulator writing the first content chunk to that text being in
 *   the webview's DOM (a MutationObserver in the chat frame), median over several questions. The two
 *   clocks (Node here, Chromium there) are compared after measuring their offset.
 * Run alone: npm run bench -- host
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { startSimulator } from '../sim/server';
import { Workbench, closeBrowser, cleanup, until } from '../test/e2e/harness';
import { median, round } from './stats';

declare const window: any;
declare const document: any;
declare const MutationObserver: any;

const KEY = 'sk-switchboard-bench';
const QUESTIONS = 9;

export interface HostMetrics {
  activation_ms: number;
  first_token_to_screen_ms: number;
}


/** Every "activated in N ms (…)" the extension wrote to its log under the user data dir. */
function activations(userDataDir: string): Array<{ ms: number; line: string }> {
  const found: Array<{ ms: number; line: string }> = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.log')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/activated in ([\d.]+) ms \(evaluating.*?ms\)/g)) found.push({ ms: Number(m[1]), line: m[0] });
      }
    }
  };
  walk(join(userDataDir, 'logs'));
  return found;
}

const nodeNow = () => performance.timeOrigin + performance.now();

/** Chromium's epoch clock minus Node's, measured over a round trip (the smallest of a few). */
async function clockOffset(frame: Frame): Promise<number> {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 15; i++) {
    const t0 = nodeNow();
    const page = await frame.evaluate(() => performance.timeOrigin + performance.now());
    const t1 = nodeNow();
    if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: page - (t0 + t1) / 2 };
  }
  return best.offset;
}

export async function measureHost(log: (line: string) => void = () => {}): Promise<HostMetrics> {
  const sim = await startSimulator({ apiKey: KEY });
  let wb: Workbench | undefined;
  try {
    wb = await Workbench.open({
      name: 'bench',
      userSettings: { 'switchboard.baseUrl': sim.url },
      env: { SWITCHBOARD_DEMO_KEY: KEY },
    });
    const userDataDir = wb.userDataDir;
    await until('the first activation to be logged', () => (activations(userDataDir).length >= 1 ? true : undefined), 30_000);
    for (let i = 0; i < 6; i++) {
      const before = activations(userDataDir).length;
      await wb.reload();
      await until('activation after a reload', () => (activations(userDataDir).length > before ? true : undefined), 30_000);
    }
    const activated = activations(userDataDir);
    for (const a of activated) log(a.line);

    const chat = await wb.openChat();
    const offset = await clockOffset(chat.frame);
    const samples: number[] = [];
    for (let i = 0; i <= QUESTIONS; i++) {
      const answers = await chat.assistantCount();
      // Notes the moment the new answer's first text is in the DOM, before the page paints it.
      await chat.frame.evaluate((count: number) => {
        window.__firstText = undefined;
        const observer = new MutationObserver(() => {
          const all = document.querySelectorAll('[data-testid=message][data-role=assistant]');
          const text = all.length > count ? (all[count].querySelector('.msg-body')?.textContent ?? '') : '';
          if (window.__firstText === undefined && text.trim().length > 0) {
            window.__firstText = performance.timeOrigin + performance.now();
            observer.disconnect();
          }
        });
        observer.observe(document.body, { subtree: true, childList: true, characterData: true });
      }, answers);
      const requestsBefore = sim.requests.length;
      await chat.send(`Question ${i}: what does a router do?`);
      await chat.waitForAnswer(answers);
      const request = sim.requests.slice(requestsBefore).find((r) => r.path.endsWith('/chat/completions') && r.firstChunkAt);
      const shown = (await chat.frame.evaluate(() => window.__firstText)) as number | undefined;
      if (!request?.firstChunkAt || shown === undefined) throw new Error('no first chunk or no first text seen');
      // The first question warms up the view; it is not counted.
      if (i > 0) samples.push(shown - offset - request.firstChunkAt);
    }
    log(`first token to screen: ${samples.map((x) => x.toFixed(1)).join(', ')} ms (clock offset ${offset.toFixed(2)} ms)`);
    return { activation_ms: round(median(activated.map((a) => a.ms)), 2), first_token_to_screen_ms: round(median(samples), 2) };
  } finally {
    await wb?.close().catch(() => undefined);
    await closeBrowser();
    await cleanup();
    await sim.close();
  }
}
