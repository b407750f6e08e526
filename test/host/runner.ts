/**
 * `npx tsx test/host/runner.ts` (part of `npm test`): runs test/host/*.test.ts inside a real VS Code
 * extension host. code-server serves the workbench; headless Chromium opens it with a `payload` naming our
 * extension as the development extension and out/test/host/index.js as its tests, which is how the web
 * workbench takes desktop VS Code's --extensionDevelopmentPath/--extensionTestsPath. The tests POST their
 * results back here. Last line: `host: N passed, N failed`.
 */
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { SourceMap } from 'node:module';
import { basename, join, relative, resolve } from 'node:path';
import { text } from 'node:stream/consumers';
import type { Browser } from 'playwright-core';
import { launchChromium, remoteUri, startCodeServer, workbenchUrl, type CodeServer } from '../../scripts/codeserver.mjs';
import { ensureChromium, ensureCodeServer, run, vscodeTarget } from '../../scripts/provision.mjs';
import { REPORT_TARGET_FILE, type HostReportEvent, type HostTestResult, type ReportTarget } from './index';

// tsx runs this file as CommonJS (package.json has no "type"), hence __dirname and no top-level await.
const root = resolve(__dirname, '..', '..');
const out = join(root, 'out', 'test', 'host');
const REPORT_TIMEOUT_MS = 180_000;
const started = Date.now();
/** Which VS Code (SWITCHBOARD_VSCODE): the minimum the manifest accepts, or the newest that runs here. */
const vscodeUnderTest = vscodeTarget();
const screenshot = join('test-results', `host-${vscodeUnderTest.name}.png`);
const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

const results: HostTestResult[] = [];
let end: Extract<HostReportEvent, { event: 'end' }> | undefined;
let server: CodeServer | undefined;
let browser: Browser | undefined;
const browserErrors: string[] = [];

function print(r: HostTestResult) {
  if (r.state === 'passed') console.log(`  ✓ ${r.title}${r.durationMs !== undefined ? ` (${r.durationMs} ms)` : ''}`);
  else if (r.state === 'pending') console.log(`  - ${r.title} (pending)`);
  else {
    console.log(`  ✗ ${r.title}: ${(r.error ?? 'failed').trim().replace(/\n+/g, '\n      ')}`);
    // The frames in our own code are enough to find the line; the rest is mocha (bundled in index.js).
    const frames = (r.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l) && !/index\.js|node:internal|node_modules/.test(l));
    for (const l of frames.slice(0, 3)) console.log(`      ${toSource(l.trim())}`);
  }
}

/**
 * `out/test/host/x.test.js:6:58` → `test/host/x.test.ts:4:31`. The extension host formats stack traces
 * itself, without Node's source-map support, so we map them here with the bundles' inline source maps.
 */
function toSource(frame: string): string {
  return frame.replace(/([^\s(]*out\/test\/host\/[\w.-]+\.js):(\d+):(\d+)/, (whole, file: string, line: string, col: string) => {
    try {
      const js = readFileSync(join(out, basename(file)), 'utf8');
      const map = /\/\/# sourceMappingURL=data:application\/json;base64,(\S+)\s*$/.exec(js)?.[1];
      if (!map) return whole;
      const hit = new SourceMap(JSON.parse(Buffer.from(map, 'base64').toString())).findEntry(Number(line) - 1, Number(col) - 1);
      if (!('originalSource' in hit)) return whole;
      return `${relative(root, resolve(out, hit.originalSource))}:${hit.originalLine + 1}:${hit.originalColumn + 1}`;
    } catch {
      return whole;
    }
  });
}


/** Receives the tests' events: each result as it finishes, then the end. */
const reports = createServer((req, res) => {
  void text(req).then((body) => {
    res.writeHead(204).end();
    try {
      const ev = JSON.parse(body) as HostReportEvent;
      if (ev.event === 'test') {
        results.push(ev.result);
        print(ev.result);
      } else end = ev;
    } catch (err) {
      console.error(`host: a report that is not JSON: ${String(err)}`);
    }
  });
});

async function withTimeout<T>(what: string, p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => (console.error(`host: ${what} took over ${ms / 1000} s`), r(undefined)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function cleanup() {
  await withTimeout('closing Chromium', browser?.close() ?? Promise.resolve(), 10_000).catch(() => undefined);
  await withTimeout('stopping code-server', server?.stop() ?? Promise.resolve(), 10_000);
  reports.close();
}

async function main(tmp: string): Promise<boolean> {
  console.log('host: building the extension and the host tests');
  await run('npm', ['run', '--silent', 'build'], { quiet: true, timeoutMs: 120_000 });
  await run(process.execPath, [join(root, 'scripts', 'build-tests.mjs')], { quiet: true, timeoutMs: 120_000 });
  const codeServerBin = await ensureCodeServer(vscodeUnderTest);
  await ensureChromium();

  reports.listen(0, '127.0.0.1');
  await once(reports, 'listening');
  const resultFile = join(tmp, 'results.json');
  const target: ReportTarget = { url: `http://127.0.0.1:${(reports.address() as AddressInfo).port}/report`, resultFile, ...(process.env.SWITCHBOARD_HOST_GREP ? { grep: process.env.SWITCHBOARD_HOST_GREP } : {}) };
  writeFileSync(join(out, REPORT_TARGET_FILE), JSON.stringify(target));

  const workspace = join(tmp, 'workspace');
  mkdirSync(workspace);
  server = await startCodeServer({ codeServerBin, folder: workspace, userDataDir: join(tmp, 'user-data'), extensionsDir: join(tmp, 'extensions'), extraArgs: vscodeUnderTest.payloadArgs });
  console.log(`host: code-server ${vscodeUnderTest.codeServer} (VS Code ${vscodeUnderTest.vscode}, ${vscodeUnderTest.name}) on ${server.url} (${seconds()}), running the tests in its extension host`);

  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  // The workbench's failed lookups of its extension marketplace (no network here) are noise, not clues.
  const noise = /open-vsx|ERR_NAME_NOT_RESOLVED/;
  page.on('console', (m) => m.type() === 'error' && !noise.test(m.text()) && browserErrors.push(m.text()));
  page.on('pageerror', (e) => browserErrors.push(e.message));
  await page.goto(
    workbenchUrl(server, workspace, [
      ['extensionDevelopmentPath', remoteUri(server, root)],
      ['extensionTestsPath', remoteUri(server, join(out, 'index'))],
    ]),
  );

  // The POSTed end is the normal path; the result file covers a report that could not be POSTed. The
  // extension host exits once run() settles, so its exit without a report (a test file that did not load,
  // a crash) ends the wait early instead of after the full timeout.
  let deadline = Date.now() + REPORT_TIMEOUT_MS;
  while (!end && Date.now() < deadline) {
    if (/Extension Host Process exited/.test(server.logs())) deadline = Math.min(deadline, Date.now() + 3000);
    if (existsSync(resultFile)) {
      await new Promise((r) => setTimeout(r, 500)); // give the POSTs in flight a moment
      end ??= JSON.parse(readFileSync(resultFile, 'utf8')) as typeof end;
      break;
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  mkdirSync(join(root, 'test-results'), { recursive: true });
  await withTimeout('the screenshot', page.screenshot({ path: join(root, screenshot) }), 15_000).catch((err: unknown) =>
    console.error(`host: no screenshot: ${String(err)}`),
  );
  return end !== undefined;
}

async function runAndReport(tmp: string): Promise<number> {
  let reported = false;
  let crash: unknown;
  try {
    reported = await main(tmp);
  } catch (err) {
    crash = err;
  }
  const logTail = server?.logs().split('\n').slice(-40).join('\n') ?? '';
  await cleanup();

  let passed: number;
  let failed: number;
  if (reported && end) {
    // Results POSTed live were printed already; print any that only the final report has (e.g. the POSTs failed).
    for (const r of end.results.slice(results.length)) print(r);
    passed = end.passed;
    failed = end.failed;
  } else {
    passed = results.filter((r) => r.state === 'passed').length;
    failed = results.filter((r) => r.state === 'failed').length + 1;
    console.log(crash ? `  ✗ the host run: ${crash instanceof Error ? crash.message : String(crash)}` : `  ✗ no report from the extension host (it exits when the tests end; the wait is at most ${REPORT_TIMEOUT_MS / 1000} s)`);
    if (browserErrors.length) console.log(`--- workbench errors ---\n${browserErrors.slice(-10).join('\n')}`);
    if (logTail) console.log(`--- code-server log (tail) ---\n${logTail}`);
    const logs = join(tmp, 'user-data', 'logs');
    for (const session of existsSync(logs) ? readdirSync(logs) : []) {
      const extHostLog = join(logs, session, 'exthost1', 'remoteexthost.log');
      if (existsSync(extHostLog)) console.log(`--- ${extHostLog} (tail) ---\n${readFileSync(extHostLog, 'utf8').split('\n').slice(-25).join('\n')}`);
    }
  }
  if (reported) rmSync(tmp, { recursive: true, force: true }); // kept after a failed run, for its logs
  console.log(`host: ${seconds()}, screenshot ${screenshot}`);
  console.log(`host: ${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

const tmp = mkdtempSync(join(tmpdir(), 'switchboard-host-'));
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void cleanup().finally(() => process.exit(130)));
void runAndReport(tmp).then((code) => process.exit(code));
