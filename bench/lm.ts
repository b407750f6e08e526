/**
 * Switchboard's language model provider in the newest VS Code (scripts/provision.mjs, VSCODES.newest):
 * - lm_provider_overhead_ms: time to first token through `vscode.lm` sendRequest minus the same request
 *   through the router directly, medians of 50 interleaved pairs, both in the extension host;
 * - lm_provider_cancel_ms: the caller's cancellation token fired → its response stream ended (median).
 * The measuring half runs in the extension host (bench/lmHost/index.ts, as a host test would).
 * Run alone: npm run bench -- lm
 */
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, remoteUri, startCodeServer, workbenchUrl } from '../scripts/codeserver.mjs';
import { ensureCodeServer, run, VSCODES } from '../scripts/provision.mjs';
import type { LmMetrics } from './lmHost/index';

const root = join(__dirname, '..');

export async function measureLm(log: (line: string) => void = () => {}): Promise<LmMetrics> {
  const target = { name: 'newest', ...VSCODES.newest };
  await run('npm', ['run', '--silent', 'build'], { quiet: true, timeoutMs: 120_000 });
  const out = join(root, 'out', 'bench', 'lm');
  rmSync(out, { recursive: true, force: true });
  await esbuild.build({ entryPoints: [join(__dirname, 'lmHost', 'index.ts')], outdir: out, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], logLevel: 'warning' });
  const tmp = mkdtempSync(join(tmpdir(), 'switchboard-bench-lm-'));
  const resultFile = join(tmp, 'result.json');
  writeFileSync(join(out, 'report-target.json'), JSON.stringify({ resultFile }));
  const workspace = join(tmp, 'workspace');
  mkdirSync(workspace);
  const server = await startCodeServer({
    codeServerBin: await ensureCodeServer(target),
    folder: workspace,
    userDataDir: join(tmp, 'user-data'),
    extensionsDir: join(tmp, 'extensions'),
    extraArgs: target.payloadArgs,
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    log(`code-server ${target.codeServer} (VS Code ${target.vscode}): measuring in its extension host`);
    await page.goto(workbenchUrl(server, workspace, [['extensionDevelopmentPath', remoteUri(server, root)], ['extensionTestsPath', remoteUri(server, join(out, 'index'))]]));
    const deadline = Date.now() + 240_000;
    while (!existsSync(resultFile)) {
      if (Date.now() > deadline) throw new Error(`no result from the extension host within 240 s:\n${server.logs().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await new Promise((r) => setTimeout(r, 200)); // the file is written in one call; let it land
    const result = JSON.parse(readFileSync(resultFile, 'utf8')) as { ok: true; metrics: LmMetrics } | { ok: false; error: string };
    if (!result.ok) throw new Error(`the extension host measurement failed: ${result.error}`);
    const m = result.metrics;
    log(`VS Code ${m.vscode_version}: first token ${m.lm_ttft_p50_ms} ms through vscode.lm, ${m.router_ttft_p50_ms} ms through the router; cancel → end ${m.lm_provider_cancel_ms} ms`);
    rmSync(tmp, { recursive: true, force: true });
    return m;
  } finally {
    await browser.close().catch(() => undefined);
    await server.stop();
  }
}

if (require.main === module) void measureLm(console.log).then((m) => console.log(m));
