/**
 * Runs inside the newest VS Code's extension host (bench/lm.ts opens it with this file as the
 * extensionTestsPath). Measures Switchboard's language model provider against the router it wraps,
 * side by side in one run, and writes the numbers to the result file bench/lm.ts named.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { startSimulator } from '../../sim/server';
import type { TestApi } from '../../src/extension';
import { until } from '../../test/host/setup';
import { median, round } from '../stats';

const KEY = 'sk-bench-lm-0123456789abcdefghij';
const RUNS = 50;
const CANCELS = 15;

export interface LmMetrics {
  lm_provider_overhead_ms: number;
  /** The provider's own share: its first progress.report, called directly, minus the router's first delta. */
  lm_provider_own_overhead_ms: number;
  lm_ttft_p50_ms: number;
  router_ttft_p50_ms: number;
  lm_provider_cancel_ms: number;
  vscode_version: string;
}


async function measure(): Promise<LmMetrics> {
  const sim = await startSimulator({ apiKey: KEY, defaultScript: { words: 12 } });
  try {
    const exports = await vscode.extensions.getExtension<{ test?: TestApi }>('switchboard-dev.switchboard')!.activate();
    const t = exports.test!;
    await vscode.workspace.getConfiguration('switchboard').update('baseUrl', sim.url, vscode.ConfigurationTarget.Global);
    await until('the base URL', () => t.settings.snapshot.connection.baseURL === sim.url);
    await t.storeKey(KEY);
    const router = await until('the router', () => t.router());
    let model: vscode.LanguageModelChat | undefined;
    for (const end = Date.now() + 15_000; !model && Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      [model] = await vscode.lm.selectChatModels({ vendor: 'switchboard', id: 'general_qa' });
    }
    if (!model) throw new Error('vscode.lm offers no Switchboard general_qa model');
    const chat = model;

    const question = (i: number) => `What is the capital of country number ${i}?`;
    const viaLm = async (i: number) => {
      const started = performance.now();
      let first = 0;
      const response = await chat.sendRequest([vscode.LanguageModelChatMessage.User(question(i))], {}, new vscode.CancellationTokenSource().token);
      for await (const chunk of response.text) if (!first && chunk) first = performance.now() - started;
      return first;
    };
    const direct = async (i: number) => {
      const started = performance.now();
      let first = 0;
      const plan = router.route({ task: 'general_qa' });
      for await (const e of router.run({ task: 'general_qa', messages: [{ role: 'user', content: question(i) }], hedge: true, plan }, new AbortController().signal)) {
        if (e.type === 'delta' && !first) first = performance.now() - started;
      }
      return first;
    };
    // The provider called as VS Code calls it, without VS Code's transport (RPC and its 30 ms batching of parts).
    const provider = t.lmProvider;
    if (!provider) throw new Error('the extension registered no language model provider');
    const info = provider.models().find((m) => m.id === 'general_qa')!;
    const viaProvider = async (i: number) => {
      const started = performance.now();
      let first = 0;
      const progress = { report: () => void (first ||= performance.now() - started) };
      await provider.provideLanguageModelChatResponse(info, [vscode.LanguageModelChatMessage.User(question(i))], { toolMode: vscode.LanguageModelChatToolMode.Auto }, progress, new vscode.CancellationTokenSource().token);
      return first;
    };
    for (let i = 0; i < 5; i++) {
      await viaLm(i);
      await viaProvider(i);
      await direct(i);
    }
    const lm: number[] = [];
    const own: number[] = [];
    const dr: number[] = [];
    // Interleaved, so all three see the same machine.
    for (let i = 0; i < RUNS; i++) {
      lm.push(await viaLm(100 + i));
      own.push(await viaProvider(100 + i));
      dr.push(await direct(100 + i));
    }

    // Cancel: the caller's token fires after the first text; how long until its stream ends.
    sim.setScript('gpt-5-mini', { tokensPerSecond: 50, words: 400 });
    const cancels: number[] = [];
    for (let i = 0; i < CANCELS; i++) {
      const cts = new vscode.CancellationTokenSource();
      const response = await chat.sendRequest([vscode.LanguageModelChatMessage.User(question(1000 + i))], {}, cts.token);
      let cancelledAt = 0;
      for await (const chunk of response.text) {
        if (!cancelledAt && chunk) {
          cancelledAt = performance.now();
          cts.cancel();
        }
      }
      if (!cancelledAt) throw new Error('the answer ended before it could be cancelled');
      cancels.push(performance.now() - cancelledAt);
    }
    return {
      lm_provider_overhead_ms: round(median(lm) - median(dr), 2),
      lm_provider_own_overhead_ms: round(median(own) - median(dr), 2),
      lm_ttft_p50_ms: round(median(lm), 2),
      router_ttft_p50_ms: round(median(dr), 2),
      lm_provider_cancel_ms: round(median(cancels), 2),
      vscode_version: vscode.version,
    };
  } finally {
    await vscode.workspace.getConfiguration('switchboard').update('baseUrl', undefined, vscode.ConfigurationTarget.Global);
    await sim.close();
  }
}

export async function run(): Promise<void> {
  const targetFile = join(__dirname, 'report-target.json');
  const target = existsSync(targetFile) ? (JSON.parse(readFileSync(targetFile, 'utf8')) as { resultFile: string }) : { resultFile: join(__dirname, 'results.json') };
  try {
    writeFileSync(target.resultFile, JSON.stringify({ ok: true, metrics: await measure() }));
  } catch (err) {
    writeFileSync(target.resultFile, JSON.stringify({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
  }
}
