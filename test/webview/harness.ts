/**
 * Runs the chat webview in a real Chromium, the way VS Code hosts it: the same CSP, media/chat.css,
 * the bundle loaded by nonce, a fake `acquireVsCodeApi` that records what the view posts, and host
 * messages delivered with `window.postMessage`. Shared by the webview tests and bench/render.ts.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../scripts/codeserver.mjs';
import { parseWebviewMessage, type HostMessage, type WebviewMessage } from '../../src/protocol';
import { chatHtml } from '../../src/host/chatHtml';

// Browser globals, for the functions that run inside the page (the root tsconfig has no DOM lib, on purpose).
declare const window: any;
declare const document: any;
declare const sessionStorage: any;

const ROOT = resolve(__dirname, '../..');


interface Bundles {
  app: string;
  render: string;
}

let bundles: Promise<Bundles> | undefined;

/** Builds the webview bundle (as esbuild.mjs does, in memory) and a renderer-only bundle for tests and benchmarks. */
export function buildBundles(): Promise<Bundles> {
  bundles ??= (async () => {
    const common = { bundle: true, write: false, minify: true, format: 'iife', platform: 'browser', target: 'chrome120', logLevel: 'silent' } as const;
    const [app, render] = await Promise.all([
      esbuild.build({ ...common, entryPoints: [join(ROOT, 'src/webview/main.ts')] }),
      esbuild.build({
        ...common,
        stdin: {
          contents: `import { IncrementalRenderer } from './render'; import { lexBlocks, renderBlocks } from './markdown';
            window.SB = { IncrementalRenderer, renderOnce(el, text) { el.append(renderBlocks(lexBlocks(text.replace(/\\r\\n?/g, '\\n'), Object.create(null)), true)); } };`,
          resolveDir: join(ROOT, 'src/webview'),
          loader: 'ts',
        },
      }),
    ]);
    return { app: app.outputFiles[0]!.text, render: render.outputFiles[0]!.text };
  })();
  return bundles;
}

export interface Harness {
  browser: Browser;
  origin: string;
  close(): Promise<void>;
}

export interface PageOptions {
  /** Initial `vscode.getState()` value (undefined: none, as in a freshly created view). */
  state?: unknown;
  /** Extra origins the CSP lets load anything but scripts: proves the sanitiser, not the CSP, blocks a leak. */
  allowOrigin?: string;
  /** `render` loads only the renderer (window.SB) on an empty page. */
  page?: 'chat' | 'render';
}

/**
 * The extension's own page and CSP, served from this origin. `allow` widens it for tests that prove the
 * sanitiser, not the CSP, stops a leak.
 */
function pageHtml(origin: string, nonce: string, script: string, allow: string): string {
  const html = chatHtml({ cspSource: origin, nonce, scriptUri: `${origin}/${script}`, styleUri: `${origin}/media/chat.css` });
  if (!allow) return html;
  return html
    .replace("default-src 'none'", `default-src ${allow}`)
    .replace(`style-src ${origin}`, `style-src ${origin} ${allow}`)
    .replace(`img-src ${origin} data:`, `img-src ${origin} data: ${allow}`)
    .replace("connect-src 'none'", `connect-src ${allow}`);
}

/** Starts a loopback server for the pages and one Chromium. */
export async function startHarness(): Promise<Harness> {
  const { app, render } = await buildBundles();
  const css = readFileSync(join(ROOT, 'media/chat.css'), 'utf8');
  let origin = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const send = (type: string, body: string) => {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (url.pathname === '/chat.html' || url.pathname === '/render.html') {
      const script = url.pathname === '/chat.html' ? 'dist/webview.js' : 'render.js';
      send('text/html; charset=utf-8', pageHtml(origin, randomBytes(16).toString('hex'), script, url.searchParams.get('allow') ?? ''));
    } else if (url.pathname === '/dist/webview.js') send('text/javascript', app);
    else if (url.pathname === '/render.js') send('text/javascript', render);
    else if (url.pathname === '/media/chat.css') send('text/css', css);
    else if (url.pathname === '/favicon.ico') send('image/x-icon', '');
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  return {
    browser,
    origin,
    async close() {
      await browser.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

/** The fake VS Code API, injected before the page's scripts. State lives in sessionStorage so it survives a reload. */
function fakeVsCodeApi(initial: { state?: unknown; hasState: boolean }): void {
  const w = window as unknown as Record<string, unknown>;
  const KEY = '__vscodeState';
  if (initial.hasState && sessionStorage.getItem(KEY) === null) sessionStorage.setItem(KEY, JSON.stringify(initial.state));
  const posted: unknown[] = [];
  const violations: string[] = [];
  w.__posted = posted;
  w.__violations = violations;
  document.addEventListener('securitypolicyviolation', (e: { violatedDirective: string; blockedURI: string }) => violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  // hostSend resolves once the view has handled the message: an ack posted after it arrives after it,
  // and is stopped here, before the view's own listener sees it.
  const acks = new Map<number, () => void>();
  let nextAck = 0;
  window.addEventListener('message', (e: { data: unknown; stopImmediatePropagation(): void }) => {
    const id = (e.data as { __harnessAck?: number } | null)?.__harnessAck;
    if (id === undefined) return;
    e.stopImmediatePropagation();
    acks.get(id)?.();
    acks.delete(id);
  });
  w.__hostSend = (m: unknown) =>
    new Promise<void>((ok) => {
      const id = nextAck++;
      acks.set(id, ok);
      window.postMessage(m, '*');
      window.postMessage({ __harnessAck: id }, '*');
    });
  w.acquireVsCodeApi = () => ({
    postMessage: (m: unknown) => posted.push(JSON.parse(JSON.stringify(m))),
    getState: () => {
      const s = sessionStorage.getItem(KEY);
      return s === null ? undefined : JSON.parse(s);
    },
    setState: (s: unknown) => {
      sessionStorage.setItem(KEY, JSON.stringify(s));
      return s;
    },
  });
}

/** Opens the chat page; resolves once the view has posted `ready`. */
export async function openPage(h: Harness, options: PageOptions = {}): Promise<Page> {
  const page = await h.browser.newPage();
  // tsx compiles with esbuild's keepNames, which wraps named functions in `__name(...)`; functions that
  // Playwright serialises into the page need that helper there too.
  await page.addInitScript({ content: 'globalThis.__name ??= (fn) => fn;' });
  await page.addInitScript(fakeVsCodeApi, { state: options.state, hasState: 'state' in options });
  const query = options.allowOrigin ? `?allow=${encodeURIComponent(options.allowOrigin)}` : '';
  const which = options.page ?? 'chat';
  await page.goto(`${h.origin}/${which}.html${query}`);
  if (which === 'chat') await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
  else await page.waitForFunction(() => 'SB' in window);
  return page;
}

/** Delivers a host message the way VS Code does (window.postMessage) and waits until the view handled it. */
export async function hostSend(page: Page, message: HostMessage | Record<string, unknown>): Promise<void> {
  await page.evaluate((m) => window.__hostSend(m), message);
}

/** Everything the view posted so far, each checked against the protocol the host enforces. */
export async function posted(page: Page): Promise<WebviewMessage[]> {
  const raw = await page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted);
  return raw.map((m) => {
    const parsed = parseWebviewMessage(m);
    if (!parsed.ok) throw new Error(`the view posted an invalid message ${JSON.stringify(m)}: ${parsed.error}`);
    return parsed.message;
  });
}

export async function clearPosted(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { __posted: unknown[] }).__posted.length = 0;
  });
}

export async function savedState(page: Page): Promise<unknown> {
  return page.evaluate(() => {
    const s = sessionStorage.getItem('__vscodeState');
    return s === null ? undefined : JSON.parse(s);
  });
}

export async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
}
