// Provisions what the browser and extension-host suites need, the same way on a laptop, a fresh machine
// and CI: Chromium from Debian, and code-server (a real VS Code on Node 20) from npm into .vscode-test/.
// `node scripts/provision.mjs` ensures both; the test scripts import ensureChromium/ensureCodeServer.
// Facts behind each step: ../shared/TESTING.md.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
export const CODE_SERVER_VERSION = '4.100.3'; // VS Code 1.100.3; later releases need Node 22+.
export const codeServerDir = join(root, '.vscode-test', 'code-server');
const codeServerBin = join(codeServerDir, 'node_modules', '.bin', 'code-server');
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
 * archive instead, so we pack Debian's rg the way that archive is laid out (a single `rg` at its root).
 */
async function seedRipgrepCache() {
  const target = process.arch === 'arm64' ? 'aarch64-unknown-linux-musl' : 'x86_64-unknown-linux-musl'; // as @vscode/ripgrep names them
  const archive = join(tmpdir(), 'vscode-ripgrep-cache-1.15.11', `ripgrep-v13.0.0-10-${target}.tar.gz`);
  if (existsSync(archive)) return;
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

/** Installs code-server into .vscode-test/code-server unless it is there already; returns its bin path. */
export async function ensureCodeServer() {
  if (installed(codeServerDir)) return codeServerBin;
  // gssapi headers and pkg-config for a native module (kerberos); Debian's rg for the cache below.
  const missing = ['libkrb5-dev', 'pkg-config'].filter((p) => !hasDeb(p));
  if (!existsSync('/usr/bin/rg')) missing.push('ripgrep');
  await aptInstall(missing);
  await seedRipgrepCache();

  // Install into a staging folder and rename it into place, so a run that is interrupted (or a second one
  // racing it) never leaves a half-installed code-server that looks complete.
  mkdirSync(dirname(codeServerDir), { recursive: true });
  const staging = mkdtempSync(`${codeServerDir}.partial-`);
  writeFileSync(join(staging, 'package.json'), JSON.stringify({ name: 'switchboard-code-server', private: true }, null, 2));
  const started = Date.now();
  console.log(`provision: installing code-server@${CODE_SERVER_VERSION} into ${codeServerDir} (about a minute)...`);
  const ticker = setInterval(() => console.log(`provision: still installing code-server (${Math.round((Date.now() - started) / 1000)} s)`), 20_000);
  try {
    // npm_config_yes: a nested postinstall runs `npx node-gyp`, which would otherwise stop to ask.
    const env = { ...process.env, npm_config_yes: 'true' };
    await run('npm', ['install', '--unsafe-perm', '--no-audit', '--no-fund', '--loglevel=error', `code-server@${CODE_SERVER_VERSION}`], {
      cwd: staging,
      env,
      timeoutMs: 15 * 60_000,
      quiet: true,
    });
    if (!installed(staging)) throw new Error(`code-server's postinstall did not populate lib/vscode/node_modules in ${staging}`);
    if (!installed(codeServerDir)) {
      rmSync(codeServerDir, { recursive: true, force: true });
      renameSync(staging, codeServerDir);
    }
  } finally {
    clearInterval(ticker);
    rmSync(staging, { recursive: true, force: true });
  }
  console.log(`provision: code-server installed in ${Math.round((Date.now() - started) / 1000)} s`);
  return codeServerBin;
}

async function main() {
  try {
    const chromium = await ensureChromium();
    const codeServer = await ensureCodeServer();
    // --version may log a line about its config file first; the version line starts with a digit.
    const version = (await run(codeServer, ['--version'], { quiet: true, timeoutMs: 30_000 })).split('\n').find((l) => /^\d/.test(l));
    console.log(`provision: chromium    ${chromium}`);
    console.log(`provision: code-server ${codeServer} (${version})`);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    console.error(msg.startsWith('sudo ') ? `provision: system packages are missing; run:\n  ${msg}` : `provision failed: ${msg}`);
    process.exit(1);
  }
}

// No top-level await: TypeScript callers run under tsx as CommonJS, which require()s this file.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main();
