// `npm test`: every suite, one after another, then one summary line for all of them: `N passed, N failed`.
// Suites that need code-server or Chromium provision them first (scripts/provision.mjs).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { VSCODES } from './provision.mjs';

const e2eArgs = ['mocha', '--no-config', '--node-option', 'import=tsx', '--extension', 'ts', '--timeout', '180000', 'test/e2e/**/*.test.ts'];
/**
 * The e2e tests (by number) that also run on the minimum VS Code: the full suite runs on the newest,
 * and a second full run would take CI near its time limit. Setting the key and chatting, Review from
 * the right-click menu, failover, Stop, reload, Restricted Mode, Auto routing, the first-run
 * walkthrough and the chat history.
 */
export const E2E_SMOKE = ['1', '2', '3', '5', '6', '12', '13', '26', '27'];
const smoke = ['--grep', `^Switchboard end to end.* (${E2E_SMOKE.join('|')})\\. `];
/**
 * The host and e2e suites run on both VS Codes of scripts/provision.mjs (VSCODES), chosen by SWITCHBOARD_VSCODE;
 * `make(which)` gives the suite's command, and `suffix` what its name adds.
 */
const onEach = (name, make) =>
  Object.entries(VSCODES).map(([which, v]) => {
    const { suffix = '', ...suite } = make(which);
    return { ...suite, name: `${name} on VS Code ${v.vscode} (${which})${suffix}`, env: { SWITCHBOARD_VSCODE: which } };
  });

const suites = [
  { name: 'typecheck', cmd: 'npx', args: ['tsc', '-p', '.', '--noEmit'], kind: 'check' },
  { name: 'typecheck (webview)', cmd: 'npx', args: ['tsc', '-p', 'src/webview', '--noEmit'], kind: 'check', optionalFile: 'src/webview/tsconfig.json' },
  { name: 'unit', cmd: 'npx', args: ['mocha'], kind: 'mocha' },
  { name: 'webview (Chromium)', cmd: 'npx', args: ['mocha', '--no-config', '--node-option', 'import=tsx', '--extension', 'ts', '--timeout', '60000', 'test/webview/**/*.test.ts'], kind: 'mocha', optionalFile: 'test/webview' },
  ...onEach('host (code-server extension host)', () => ({ cmd: 'npx', args: ['tsx', 'test/host/runner.ts'], kind: 'summary', optionalFile: 'test/host/runner.ts' })),
  ...onEach('e2e (code-server + Chromium)', (which) => ({
    cmd: 'npx',
    args: which === 'minimum' ? [...e2eArgs, ...smoke] : e2eArgs,
    kind: 'mocha',
    optionalFile: 'test/e2e/e2e.test.ts',
    ...(which === 'minimum' ? { suffix: `: smoke subset ${E2E_SMOKE.join(', ')}` } : {}),
  })),
];

function run(suite) {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(suite.cmd, suite.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', ...suite.env } });
    const tee = (stream, target) =>
      stream.on('data', (d) => {
        out += d;
        target.write(d);
      });
    tee(child.stdout, process.stdout);
    tee(child.stderr, process.stderr);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

let passed = 0;
let failed = 0;
const lines = [];
for (const suite of suites) {
  if (suite.optionalFile && !existsSync(suite.optionalFile)) continue;
  console.log(`\n=== ${suite.name} ===`);
  const { code, out } = await run(suite);
  let p = 0;
  let f = 0;
  if (suite.kind === 'check') {
    if (code === 0) p = 1;
    else f = 1;
  } else if (suite.kind === 'mocha') {
    p = Number(/(\d+) passing/.exec(out)?.[1] ?? 0);
    f = Number(/(\d+) failing/.exec(out)?.[1] ?? 0);
    // A pending (skipped) test is not a pass; a suite that crashed before reporting is a failure.
    if (code !== 0 && f === 0) f = 1;
  } else {
    const m = /(\d+) passed, (\d+) failed/.exec(out.split('\n').filter((l) => /passed, \d+ failed/.test(l)).pop() ?? '');
    p = Number(m?.[1] ?? 0);
    f = Number(m?.[2] ?? 0);
    if (code !== 0 && f === 0) f = 1;
  }
  passed += p;
  failed += f;
  lines.push(`${suite.name}: ${p} passed, ${f} failed`);
}
console.log('\n=== summary ===');
for (const l of lines) console.log(`  ${l}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
