// Bundles the extension-host suite (test/host/index.ts and every test/host/*.test.ts, with the simulator
// and mocha inside) into out/test/host/ as CommonJS for the extension host's Node. `vscode` stays external:
// the extension host supplies it. Mocha is bundled because mocha 12 is an ES module package and the
// extension host loads test code with require().
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
export const hostTestsOut = join(root, 'out', 'test', 'host');

export async function buildHostTests() {
  const dir = join(root, 'test', 'host');
  const entryPoints = readdirSync(dir)
    .filter((f) => f === 'index.ts' || f.endsWith('.test.ts'))
    .map((f) => join(dir, f));
  rmSync(hostTestsOut, { recursive: true, force: true }); // no stale test bundles from renamed files
  await esbuild.build({
    entryPoints,
    outdir: hostTestsOut,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    sourcemap: 'inline', // stack traces in failures point at the .ts lines
    sourcesContent: false,
    logLevel: 'warning',
    // Only mocha's parallel mode (unused here) resolves its worker files at run time.
    logOverride: { 'require-resolve-not-external': 'silent' },
  });
  return hostTestsOut;
}

// No top-level await: TypeScript callers run under tsx as CommonJS, which require()s this file.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  buildHostTests().then(
    () => console.log(`build-tests: ${hostTestsOut}`),
    () => process.exit(1), // esbuild has printed the errors
  );
}
