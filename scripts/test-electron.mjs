// `npm run test:electron`: the extension-host suite (test/host/) in desktop VS Code through
// @vscode/test-electron, the way extension authors usually run it. It downloads VS Code into .vscode-test/,
// so it needs update.code.visualstudio.com (and a display, e.g. `xvfb-run -a npm run test:electron`, on
// Linux without one). Where VS Code cannot be downloaded, `npm test` runs the same suite in code-server
// (test/host/runner.ts); this script then says so and exits 1.
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { run } from './provision.mjs';

const root = resolve(import.meta.dirname, '..');
const out = join(root, 'out', 'test', 'host');

async function main() {
  console.log('test-electron: building the extension and the host tests');
  await run('npm', ['run', '--silent', 'build'], { quiet: true, timeoutMs: 120_000 });
  await run(process.execPath, [join(root, 'scripts', 'build-tests.mjs')], { quiet: true, timeoutMs: 120_000 });

  let vscodeExecutablePath;
  try {
    vscodeExecutablePath = await downloadAndUnzipVSCode({ version: 'stable', timeout: 30_000 });
  } catch (err) {
    console.error(
      `test-electron: could not download VS Code (${err instanceof Error ? err.message : String(err)}).\n` +
        '  This runner needs network access to update.code.visualstudio.com. Without it, run `npm test`:\n' +
        '  it runs the same suite (test/host/) in code-server, a VS Code installed from npm.',
    );
    return 1;
  }

  // index.js finds where to write its report in report-target.json next to it (see test/host/index.ts).
  const resultFile = join(out, 'results.json');
  rmSync(resultFile, { force: true });
  writeFileSync(join(out, 'report-target.json'), JSON.stringify({ resultFile }));
  const workspace = mkdtempSync(join(tmpdir(), 'switchboard-electron-'));
  let code;
  try {
    code = await runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath: root,
      extensionTestsPath: join(out, 'index.js'),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
    });
  } catch (err) {
    code = typeof err?.code === 'number' ? err.code : 1; // TestRunFailedError: the tests ran and some failed
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }

  if (!existsSync(resultFile)) {
    console.log('test-electron: VS Code ended without a test report');
    console.log('0 passed, 1 failed');
    return 1;
  }
  const report = JSON.parse(readFileSync(resultFile, 'utf8'));
  for (const r of report.results) console.log(r.state === 'passed' ? `  ✓ ${r.title}` : r.state === 'failed' ? `  ✗ ${r.title}: ${r.error}` : `  - ${r.title} (pending)`);
  console.log(`test-electron: ${report.passed} passed, ${report.failed} failed`);
  return code || report.failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`test-electron: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
