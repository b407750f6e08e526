// Start, stop and drive code-server (a real VS Code on Node) for `npm start`, the extension-host suite
// and the e2e suite. Every wait is bounded; stop() ends exactly the process group started here.
// Facts behind the flags and settings: ../shared/TESTING.md.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ensureChromium, ensureCodeServer, run } from './provision.mjs';

/** Chromium flags for a headless run that never reaches for the network on its own. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Variables that would make a nested VS Code CLI talk to the VS Code it was started from instead. */
const OUTER_VSCODE_VARS = ['VSCODE_IPC_HOOK_CLI', 'VSCODE_IPC_HOOK', 'VSCODE_PID', 'VSCODE_CWD', 'ELECTRON_RUN_AS_NODE'];

function childEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of OUTER_VSCODE_VARS) delete env[k];
  for (const [k, v] of Object.entries(extra)) {
    if (v === null || v === undefined) delete env[k];
    else env[k] = String(v);
  }
  return env;
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Installs a packaged extension into `extensionsDir`. */
export async function installVsix(codeServerBin, extensionsDir, vsixPath) {
  mkdirSync(extensionsDir, { recursive: true });
  const out = await run(codeServerBin, ['--extensions-dir', extensionsDir, '--install-extension', vsixPath], {
    env: childEnv(),
    timeoutMs: 120_000,
    quiet: true,
  });
  if (!/successfully installed/i.test(out)) throw new Error(`code-server did not confirm installing ${vsixPath}:\n${out}`);
}

const answers = (url) =>
  new Promise((resolve) => {
    const req = get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts code-server on 127.0.0.1 with its own user-data and extensions folders and waits until it answers.
 * `env` values of null remove a variable; the extension host inherits this environment.
 */
export async function startCodeServer({ codeServerBin, folder, userDataDir, extensionsDir, port = 0, userSettings = {}, env = {}, trust = false, timeoutMs = 30_000, extraArgs = [] }) {
  const bin = codeServerBin ?? (await ensureCodeServer()); // returns at once when installed
  if (!port) port = await freePort();
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  const settingsFile = join(userDataDir, 'User', 'settings.json');
  let previous = {};
  try {
    previous = JSON.parse(readFileSync(settingsFile, 'utf8'));
  } catch {
    // First start, or a file the user broke: ours replaces it.
  }
  const settings = {
    ...previous,
    // Trust off skips the trust dialog; tests of Restricted Mode pass trust: true.
    'security.workspace.trust.enabled': trust,
    'workbench.startupEditor': 'none',
    'telemetry.telemetryLevel': 'off',
    ...userSettings,
  };
  writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
  // Our own config file, so a user's ~/.config/code-server/config.yaml (cert, auth, ...) cannot change the run.
  const config = join(userDataDir, 'code-server.yaml');
  writeFileSync(config, `# written by scripts/codeserver.mjs\nbind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);

  const args = [
    '--config', config,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    ...(trust ? [] : ['--disable-workspace-trust']),
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    ...extraArgs,
    folder,
  ];
  // detached: its own process group, so stop() can end code-server and the extension hosts it forks.
  const child = spawn(bin, args, { env: childEnv(env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (d) => {
    log += d;
    if (log.length > 1_000_000) log = log.slice(-500_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  const exit = new Promise((resolve) => child.on('exit', () => resolve((exited = true))));
  child.on('error', (err) => {
    exited = true; // e.g. the bin is missing: no 'exit' follows
    keep(`spawn failed: ${err.message}\n`);
  });

  // The group outlives code-server itself when an extension host lingers, so we signal the group, not the pid.
  const group = (sig) => {
    try {
      process.kill(-child.pid, sig);
      return true;
    } catch {
      return false; // no such group any more
    }
  };
  let stopping;
  const stop = () =>
    (stopping ??= (async () => {
      if (!child.pid) return;
      group('SIGTERM');
      const deadline = Date.now() + 5000;
      while (group(0) && Date.now() < deadline) await sleep(100);
      if (group(0)) group('SIGKILL');
      await Promise.race([exit, sleep(2000)]);
    })());

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (!(await answers(`${url}/`))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`code-server ${exited ? 'exited' : `did not answer within ${timeoutMs / 1000} s`} on ${url}:\n${log.slice(-4000)}`);
    }
    await sleep(200);
  }
  return { url, port, pid: child.pid, logs: () => log, stop };
}

/**
 * The workbench URL for `folder`; `payload` (pairs such as ["extensionDevelopmentPath", uri]) is how the
 * web workbench takes what the desktop CLI takes as flags.
 */
export function workbenchUrl(server, folder, payload) {
  const base = typeof server === 'string' ? server : server.url;
  let url = `${base}/?folder=${encodeURIComponent(folder)}`;
  if (payload?.length) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return url;
}

/** A `vscode-remote://` URI for a path on the code-server machine, as the workbench payload wants. */
export function remoteUri(server, absPath) {
  const { host } = new URL(typeof server === 'string' ? server : server.url);
  return `vscode-remote://${host}${absPath}`;
}

/** Headless Chromium (Debian's) through playwright-core, which downloads no browser of its own. */
export async function launchChromium(options = {}) {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: await ensureChromium(), args: CHROMIUM_ARGS, headless: true, timeout: 30_000, ...options });
}
