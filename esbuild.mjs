// Two bundles: the extension host (node, cjs, `vscode` external) and the chat webview (browser).
// `--production` minifies and drops sourcemaps; `--watch` rebuilds on change. Type checking is `tsc --noEmit`.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  sourcesContent: false,
  logLevel: 'info',
  legalComments: production ? 'none' : 'inline',
};

const contexts = await Promise.all([
  esbuild.context({
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  }),
  // The openai SDK and the gateway adapter, loaded on the first request (src/host/lazyGateway.ts).
  esbuild.context({
    ...common,
    entryPoints: ['src/host/gatewayLibrary.ts'],
    outfile: 'dist/gateway.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  }),
  // The price library, loaded on the first price question (src/host/prices.ts).
  esbuild.context({
    ...common,
    entryPoints: ['src/host/priceLibrary.ts'],
    outfile: 'dist/prices.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  }),
  // The tool loop and the editor tools, loaded on the first chat question (src/host/lazyTools.ts).
  esbuild.context({
    ...common,
    entryPoints: ['src/host/toolsLibrary.ts'],
    outfile: 'dist/tools.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  }),
  // The tokenizer, loaded only when a gateway sends no usage (src/host/tokenizer.ts).
  esbuild.context({
    ...common,
    entryPoints: ['src/host/tokenizerLibrary.ts'],
    outfile: 'dist/tokenizer.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
  }),
  esbuild.context({
    ...common,
    entryPoints: ['src/webview/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
  }),
]);

// The task classifier's weights ship beside the bundle and are read on first use (src/host/classifier.ts).
mkdirSync('dist', { recursive: true });
copyFileSync('src/core/routing/classifier.json', 'dist/classifier.json');

if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}
