/**
 * Entry point the extension host calls (`extensionTestsPath`), in code-server (test/host/runner.ts) or in
 * VS Code via @vscode/test-electron (scripts/test-electron.mjs). Runs every bundled *.test.js next to it
 * with mocha and reports each result to whoever started us.
 *
 * The extension host does not reliably pass our environment or stdout back to the runner, so the runner
 * writes `report-target.json` next to this bundle: a URL to POST each result to as it happens (a hang is
 * then visible up to the test that hangs) and a file for the final report, which also serves as a backup.
 */
import Mocha from 'mocha';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface HostTestResult {
  title: string;
  fullTitle: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: string;
  stack?: string;
}

/** What is POSTed: one `test` per finished test or failed hook, then one `end` with everything. */
export type HostReportEvent = { event: 'test'; result: HostTestResult } | { event: 'end'; results: HostTestResult[]; passed: number; failed: number };

export interface ReportTarget {
  url?: string;
  resultFile?: string;
  /** Only the tests whose full title matches (the runner's SWITCHBOARD_HOST_GREP), while working on some. */
  grep?: string;
}

export const REPORT_TARGET_FILE = 'report-target.json';

function readTarget(): ReportTarget {
  const file = join(__dirname, REPORT_TARGET_FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ReportTarget) : {};
}

export async function run(): Promise<void> {
  const target = readTarget();
  const results: HostTestResult[] = [];
  // POSTs are chained so they arrive in order; a runner that went away must not fail the tests.
  let posted: Promise<unknown> = Promise.resolve();
  const post = (body: HostReportEvent) => {
    if (!target.url) return;
    const url = target.url;
    posted = posted
      .then(() => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000) }))
      .catch((err: unknown) => console.error(`host tests: could not report to ${url}: ${String(err)}`));
  };
  const record = (test: Mocha.Runnable, state: HostTestResult['state'], err?: Error) => {
    const result: HostTestResult = { title: test.title, fullTitle: test.fullTitle(), state };
    if (test.duration !== undefined) result.durationMs = test.duration;
    if (err) {
      result.error = err.message;
      if (err.stack) result.stack = err.stack;
    }
    results.push(result);
    post({ event: 'test', result });
  };

  const mocha = new Mocha({ ui: 'bdd', timeout: 30_000, color: false, ...(target.grep ? { grep: target.grep } : {}) });
  for (const f of readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) mocha.addFile(join(__dirname, f));

  let failed = 0;
  try {
    // run() require()s the files: the extension host hooks require() to hand out `vscode`.
    failed = await new Promise<number>((resolve) => {
      const runner = mocha.run(resolve);
      runner.on('pass', (test) => record(test, 'passed'));
      runner.on('fail', (test, err: Error) => record(test, 'failed', err)); // hooks too: a failed before() names itself
      runner.on('pending', (test) => record(test, 'pending'));
    });
  } catch (err) {
    // A test file that does not load is a failure to report, not a silent empty run.
    const e = err instanceof Error ? err : new Error(String(err));
    results.push({ title: 'loading the host test files', fullTitle: 'loading the host test files', state: 'failed', error: e.message, ...(e.stack ? { stack: e.stack } : {}) });
    failed = 1;
  }

  const passed = results.filter((r) => r.state === 'passed').length;
  failed = Math.max(failed, results.filter((r) => r.state === 'failed').length);
  const end: HostReportEvent = { event: 'end', results, passed, failed };
  writeFileSync(target.resultFile ?? join(__dirname, 'results.json'), JSON.stringify(end, null, 2));
  post(end);
  await posted;
  if (failed > 0) throw new Error(`${failed} host test(s) failed`);
}
