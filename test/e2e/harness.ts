/**
 * Drives the packaged extension the way a user meets it: a real VS Code (code-server) in a real
 * Chromium, talking to the gateway simulator that runs in this process. Shared by test/e2e/*.test.ts.
 *
 * Everything here is bounded: every wait has a deadline and a message saying what it waited for, and
 * every process and server is stopped by the object that started it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { installVsix, launchChromium, startCodeServer, workbenchUrl, type CodeServer } from '../../scripts/codeserver.mjs';
import { ensureChromium, ensureCodeServer, vscodeTarget } from '../../scripts/provision.mjs';

export type { CodeServer };

// Browser globals, for the functions that run inside the page (the root tsconfig has no DOM lib, on purpose).
declare const document: any;
declare const window: any;

export const ROOT = resolve(__dirname, '../..');
/** Which VS Code this run drives (SWITCHBOARD_VSCODE): the minimum the manifest accepts, or the newest that runs here. */
export const VSCODE = vscodeTarget();
export const RESULTS = join(ROOT, 'test-results', `e2e-${VSCODE.name}`);
export const VIEWPORT = { width: 1280, height: 800 };

// ---------------------------------------------------------------------------------------------------
// Small bounded waits.

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` until it returns something truthy; throws after `ms` with what it waited for and the last value seen. */
export async function until<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, ms = 15_000, every = 100): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err instanceof Error ? err.message.split('\n')[0] : err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}${last !== undefined ? ` (last: ${String(last).slice(0, 300)})` : ''}`);
    await sleep(every);
  }
}

function execFileText(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(cmd, args, { cwd: ROOT, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, FORCE_COLOR: '0' } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`.slice(0, 6000)));
      else resolvePromise(stdout);
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// Once per run: the packaged extension, code-server, Chromium, one extensions dir with the vsix in it.

export interface Prepared {
  codeServerBin: string;
  chromiumPath: string;
  extensionsDir: string;
  vsix: string;
  /** A temp folder for this run; removed by `cleanup()`. */
  tmp: string;
}

let prepared: Promise<Prepared> | undefined;

/** Builds and packages the extension, provisions code-server and Chromium and installs the vsix (memoised). */
export function prepare(): Promise<Prepared> {
  prepared ??= (async () => {
    const [codeServerBin, chromiumPath] = await Promise.all([
      ensureCodeServer(VSCODE),
      ensureChromium(),
      execFileText('npm', ['run', '--silent', 'package'], 180_000),
    ]);
    const vsix = join(ROOT, 'switchboard.vsix');
    if (!existsSync(vsix)) throw new Error(`npm run package did not produce ${vsix}`);
    const tmp = mkdtempSync(join(tmpdir(), 'switchboard-e2e-'));
    const extensionsDir = join(tmp, 'extensions');
    mkdirSync(extensionsDir, { recursive: true });
    await installVsix(codeServerBin, extensionsDir, vsix);
    // This run's screenshots only.
    rmSync(RESULTS, { recursive: true, force: true });
    mkdirSync(RESULTS, { recursive: true });
    return { codeServerBin, chromiumPath, extensionsDir, vsix, tmp };
  })();
  return prepared;
}

/** Removes the run's temp folder (after every Workbench is closed). */
export async function cleanup(): Promise<void> {
  if (!prepared) return;
  const p = await prepared.catch(() => undefined);
  if (p) rmSync(p.tmp, { recursive: true, force: true });
}

let browser: Promise<Browser> | undefined;

/** One Chromium for the whole run; each Workbench gets its own context (its own storage). */
export async function sharedBrowser(): Promise<Browser> {
  await prepare();
  browser ??= launchChromium({ timeout: 60_000 });
  return browser;
}

export async function closeBrowser(): Promise<void> {
  if (!browser) return;
  const b = await browser.catch(() => undefined);
  browser = undefined;
  await b?.close().catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------------
// A workbench: one code-server (its own user data) and one browser page on it.

export interface WorkbenchOptions {
  /** Folder name under the run's temp folder; files to create in it (relative path → content). */
  name: string;
  files?: Record<string, string>;
  userSettings?: Record<string, unknown>;
  /** Extra environment for code-server, and so for the extension host; null removes a variable. */
  env?: Record<string, string | null>;
  /** Workspace trust on, with no prompt: the folder opens untrusted, in Restricted Mode. Default off (trusted). */
  untrusted?: boolean;
}

/** Trust enabled and never asked about: a folder nobody has trusted opens in Restricted Mode. */
const UNTRUSTED_SETTINGS = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.emptyWindow': false,
};

export const BASE_SETTINGS: Record<string, unknown> = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.colorTheme': 'Default Dark Modern',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'chat.commandCenter.enabled': false,
  'chat.disableAIFeatures': true,
  'editor.minimap.enabled': false,
  'window.commandCenter': false,
  'workbench.layoutControl.enabled': false,
  'editor.fontSize': 13,
  // VS Code 1.120 and later open some editors (settings.json among them) in a modal overlay; tests drive tabs.
  'workbench.editor.useModal': 'off',
  // 1.139 opens an empty chat area on the right, narrowing the editor until long lines wrap; 1.100 has none.
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/** Creates files under `dir` (relative path → content). */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(resolve(path, '..'), { recursive: true });
    writeFileSync(path, content);
  }
}

export class Workbench {
  readonly page: Page;
  private constructor(
    readonly server: CodeServer,
    readonly context: BrowserContext,
    page: Page,
    /** The opened folder. */
    readonly folder: string,
    readonly userDataDir: string,
  ) {
    this.page = page;
  }

  static async open(options: WorkbenchOptions): Promise<Workbench> {
    const p = await prepare();
    const base = join(p.tmp, options.name);
    const folder = join(base, 'workspace');
    const userDataDir = join(base, 'user-data');
    mkdirSync(folder, { recursive: true });
    writeFiles(folder, options.files ?? {});
    const env: Record<string, string | null> = { ...(options.env ?? {}) };
    const server = await startCodeServer({
      codeServerBin: p.codeServerBin,
      folder,
      userDataDir,
      extensionsDir: p.extensionsDir,
      port: 0,
      userSettings: { ...BASE_SETTINGS, ...(options.untrusted ? UNTRUSTED_SETTINGS : {}), ...(options.userSettings ?? {}) },
      env,
      trust: options.untrusted ?? false,
    });
    let context: BrowserContext | undefined;
    try {
      const b = await sharedBrowser();
      context = await b.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      const wb = new Workbench(server, context, page, folder, userDataDir);
      await wb.goto(folder);
      return wb;
    } catch (err) {
      await context?.close().catch(() => undefined);
      await server.stop().catch(() => undefined);
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- code-server log ---\n${server.logs().slice(-3000)}`);
    }
  }

  /** The workbench URL for a folder, or for a `.code-workspace` file. */
  urlFor(target: string): string {
    if (target.endsWith('.code-workspace')) return `${this.server.url.replace(/\/+$/, '')}/?workspace=${encodeURIComponent(target)}`;
    return workbenchUrl(this.server, target);
  }

  /** Opens a folder or a `.code-workspace` file in this page and waits for the workbench and the extension. */
  async goto(target: string): Promise<void> {
    await this.page.goto(this.urlFor(target), { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await this.waitForWorkbench();
  }

  async waitForWorkbench(): Promise<void> {
    await this.page.locator('.monaco-workbench').first().waitFor({ state: 'visible', timeout: 60_000 });
    // The activity bar entry appears once the extension's contributions are registered.
    await this.page.locator('.activitybar [aria-label^="Switchboard"]').first().waitFor({ state: 'attached', timeout: 60_000 });
  }

  /** Developer: Reload Window, and wait for the new workbench. */
  async reload(): Promise<void> {
    const navigated = this.page.waitForEvent('framenavigated', { predicate: (f) => f === this.page.mainFrame(), timeout: 30_000 });
    await this.palette('Developer: Reload Window');
    await navigated;
    await this.page.waitForLoadState('domcontentloaded', { timeout: 30_000 });
    await this.waitForWorkbench();
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
    await this.server.stop();
  }

  // -------------------------------------------------------------------------------------------------
  // The command palette, quick input, notifications and dialogs.

  /** F1, type the command's title, wait until it is the highlighted entry, Enter. */
  async palette(title: string): Promise<void> {
    const widget = this.page.locator('.quick-input-widget');
    const input = widget.locator('.quick-input-box input');
    const rows = widget.locator('.quick-input-list .monaco-list-row');
    for (let attempt = 0; ; attempt++) {
      try {
        // A quick input that is still open (or closing) would take the keystrokes: close it first.
        if (await widget.isVisible()) {
          await this.page.keyboard.press('Escape');
          await widget.waitFor({ state: 'hidden', timeout: 3_000 });
        }
        await this.page.keyboard.press('F1');
        await input.waitFor({ state: 'visible', timeout: 4_000 });
        await input.fill(`>${title}`, { timeout: 3_000 });
        // The entry whose label is exactly the title (recently used commands that merely match come first).
        const index = await until(`the palette to offer "${title}"`, async () => {
          const labels = await rows.evaluateAll((els: any[]) => els.map((e) => (e.querySelector('.label-name')?.textContent ?? '').trim()));
          const i = labels.indexOf(title);
          return i >= 0 ? i + 1 : undefined;
        }, 10_000);
        await rows.nth(index - 1).click({ timeout: 3_000 });
        return;
      } catch (err) {
        if (attempt >= 2) throw err;
        // Focus may sit somewhere that swallows F1: click the status bar (harmless) and try again.
        await this.page.locator('.part.statusbar').click({ position: { x: 5, y: 5 }, timeout: 3_000 }).catch(() => undefined);
      }
    }
  }

  /** The open quick input (an input box such as the API key prompt). */
  quickInput() {
    return this.page.locator('.quick-input-widget:visible');
  }

  /** Waits for the password input box with `title` and returns its input element. */
  async passwordBox(title = 'Switchboard: Set API Key', ms = 15_000) {
    const box = this.page.locator('.quick-input-widget');
    await until(`the input box "${title}"`, async () => (await box.isVisible()) && (await box.locator('.quick-input-title').innerText()).includes(title), ms);
    const input = box.locator('.quick-input-box input');
    await until('a password input', async () => (await input.getAttribute('type')) === 'password', 5_000);
    return input;
  }

  /** Text of every notification toast currently shown. */
  async toasts(): Promise<string[]> {
    return this.page.locator('.notifications-toasts .notification-toast').allInnerTexts();
  }

  async waitForToast(pattern: RegExp, ms = 15_000) {
    const toast = this.page.locator('.notifications-toasts .notification-toast').filter({ hasText: pattern });
    await toast.first().waitFor({ state: 'visible', timeout: ms });
    return toast.first();
  }

  /**
   * Waits for a notification whose text matches: as a toast, or in the notification center (the
   * workbench does not always toast a message that arrives while another notification is closing).
   */
  async waitForNotification(pattern: RegExp, ms = 15_000): Promise<'toast' | 'center'> {
    const toast = this.page.locator('.notifications-toasts .notification-toast').filter({ hasText: pattern });
    try {
      await toast.first().waitFor({ state: 'visible', timeout: Math.min(ms, 5_000) });
      return 'toast';
    } catch {
      await this.palette('Notifications: Show Notifications');
      const item = this.page.locator('.notifications-center .notification-list-item').filter({ hasText: pattern });
      await item.first().waitFor({ state: 'visible', timeout: ms });
      await this.palette('Notifications: Hide Notifications').catch(() => undefined);
      return 'center';
    }
  }

  /** The user settings file, edited the way a user does: open it, replace the text, save. */
  async editUserSettings(next: Record<string, unknown>): Promise<void> {
    await this.palette('Preferences: Open User Settings (JSON)');
    await this.page.locator('.tabs-container .tab.active[aria-label^="settings.json"]').waitFor({ state: 'visible', timeout: 15_000 });
    await this.editorLines().first().click();
    await this.page.keyboard.press('Control+A');
    // One line and one input event: no auto-closing brackets or auto-indent get in the way.
    await this.page.keyboard.insertText(JSON.stringify(next));
    // Whatever the editor added after the cursor (an auto-closed bracket) goes, so the file is exactly `next`.
    await this.page.keyboard.press('Control+Shift+End');
    await this.page.keyboard.press('Delete');
    await this.page.keyboard.press('Control+S');
    await until('settings.json to be saved', async () => (await this.page.locator('.tabs-container .tab.active.dirty').count()) === 0, 10_000);
    await this.palette('View: Close Editor');
  }

  /** The modal dialog (showWarningMessage with modal: true). */
  dialog() {
    return this.page.locator('.monaco-dialog-box');
  }

  async clearNotifications(): Promise<void> {
    await this.palette('Notifications: Clear All Notifications').catch(() => undefined);
  }

  // -------------------------------------------------------------------------------------------------
  // Editors.

  /** Opens a workspace file through Quick Open. */
  async openFile(relativePath: string): Promise<void> {
    const name = relativePath.split('/').pop()!;
    await this.palette('Go to File...');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.fill(relativePath);
    const row = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row.focused');
    await until(`Quick Open to offer ${relativePath}`, async () => ((await row.first().getAttribute('aria-label', { timeout: 1_000 })) ?? '').includes(name), 15_000);
    await input.press('Enter');
    await this.page.locator(`.tabs-container .tab[aria-label^="${name}"]`).first().waitFor({ state: 'visible', timeout: 15_000 });
    await this.editorLines().first().waitFor({ state: 'visible', timeout: 15_000 });
  }

  /** The visible lines of the active editor. */
  editorLines() {
    return this.page.locator('.editor-group-container.active .monaco-editor .view-lines');
  }

  /** Focuses the active editor and selects all of its text. */
  async selectAllInEditor(): Promise<void> {
    const selected = async () => (await this.page.locator('.editor-group-container.active .monaco-editor .selected-text').count()) > 0;
    // A file opened a moment ago may still restore its saved cursor and so drop a selection made at
    // once (a CI run saw it): select again until the selection holds.
    await until(
      'a selection in the editor that holds',
      async () => {
        if (!(await selected())) {
          await this.editorLines().first().click();
          await this.page.keyboard.press('Control+A');
          return false;
        }
        await sleep(500);
        return selected();
      },
      15_000,
    );
  }

  /** The text the active editor shows (Monaco renders spaces as non-breaking spaces). */
  async editorText(): Promise<string> {
    return (await this.editorLines().first().innerText()).replace(/\u00a0/g, ' ');
  }

  // -------------------------------------------------------------------------------------------------
  // The chat panel (a webview: its content sits in nested frames).

  /** Reveals the chat (Switchboard: Open Chat) and returns the frame that holds it. */
  async openChat(): Promise<Chat> {
    await this.palette('Switchboard: Open Chat');
    return this.chat();
  }

  /** The webview frame holding `selector` (webviews live in nested iframes of the workbench). */
  private async frameWith(what: string, selector: string, ms: number): Promise<Frame> {
    return until(what, async () => {
      for (const f of this.page.frames()) {
        if (f.isDetached() || f === this.page.mainFrame()) continue;
        try {
          if (await f.$(selector)) return f;
        } catch {
          /* a frame navigating or detaching */
        }
      }
      return undefined;
    }, ms, 200);
  }

  /** The chat webview's frame: the one holding `[data-testid=chat-input]`. */
  async chat(ms = 30_000): Promise<Chat> {
    const frame = await this.frameWith('the chat webview frame', '[data-testid=chat-input]', ms);
    // The view is live once the host's snapshot arrived: it fills the model picker beyond "Routed".
    await until('the chat to receive its first snapshot', async () => (await frame.locator('select[aria-label=Model] option').count()) > 1, ms, 100);
    return new Chat(frame);
  }

  /** The frame of the Switchboard Usage panel (Switchboard: Show Usage, or restored after a reload). */
  async usageFrame(ms = 20_000): Promise<Frame> {
    return this.frameWith('the usage panel', '[data-testid=usage-today]', ms);
  }

  /** The frame of the Switchboard Model Health panel (Switchboard: Show Model Health, or restored after a reload). */
  async healthFrame(ms = 20_000): Promise<Frame> {
    return this.frameWith('the model health panel', '[data-testid=health-reset]', ms);
  }

  /** The rows the open quick pick shows, in order: each one's label and all its text (separators excluded). */
  async quickPickRows(): Promise<Array<{ label: string; text: string }>> {
    return this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').evaluateAll((els: any[]) =>
      els
        .filter((e) => (e.querySelector('.label-name')?.textContent ?? '').trim() !== '')
        .sort((a, b) => Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index')))
        .map((e) => ({ label: (e.querySelector('.label-name')?.textContent ?? '').trim(), text: (e.innerText ?? e.textContent ?? '').replace(/\s+/g, ' ').trim() })),
    );
  }

  /** Drags the sash between the side bar and the editor so the side bar is `width` pixels wide. */
  async setSidebarWidth(width: number): Promise<number> {
    const sidebar = this.page.locator('.part.sidebar');
    const box = await sidebar.boundingBox();
    if (!box) throw new Error('the side bar is not visible');
    const y = box.y + box.height / 2;
    await this.page.mouse.move(box.x + box.width, y);
    await this.page.mouse.down();
    await this.page.mouse.move(box.x + width, y, { steps: 8 });
    await this.page.mouse.up();
    return (await sidebar.boundingBox())?.width ?? 0;
  }

  /** Saves a screenshot of the chat panel (the side bar), or of the whole window. */
  async screenshot(name: string, what: 'panel' | 'window' = 'panel'): Promise<string> {
    mkdirSync(RESULTS, { recursive: true });
    const path = join(RESULTS, `${slug(name)}.png`);
    const sidebar = this.page.locator('.part.sidebar');
    if (what === 'panel' && (await sidebar.isVisible().catch(() => false))) await sidebar.screenshot({ path, timeout: 10_000 });
    else await this.page.screenshot({ path, timeout: 10_000 });
    return path;
  }
}

export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 100);
}

export interface ShownMessage {
  id: string;
  role: 'user' | 'assistant';
  /** The model that answered (assistant), '' while routing. */
  model: string;
  state: string;
  text: string;
  failoverNote: string | undefined;
  error: string | undefined;
  /** The task it was routed to (`data-task`) and why, as shown in its header. */
  task: string;
  routeReason: string | undefined;
  /** The cost shown in its header (`$0.0031`), and the cost mode's note when it chose the model. */
  cost: string | undefined;
  costMode: string | undefined;
}

/** The chat panel as the user sees it. */
export class Chat {
  constructor(readonly frame: Frame) {}

  input() {
    return this.frame.locator('[data-testid=chat-input]');
  }

  /** Types a message and sends it with Enter. */
  async send(text: string): Promise<void> {
    const input = this.input();
    await input.click();
    await input.fill(text);
    await input.press('Enter');
  }

  async messages(): Promise<ShownMessage[]> {
    return this.frame.$$eval('[data-testid=message]', (els: any[]) =>
      els.map((e) => ({
        id: e.dataset.id ?? '',
        role: e.dataset.role,
        model: e.dataset.model ?? '',
        state: e.dataset.state ?? '',
        text: (e.querySelector('.msg-body')?.textContent ?? '') as string,
        failoverNote: e.querySelector('[data-testid=failover-note]')?.textContent ?? undefined,
        error: e.querySelector('[data-testid=error]')?.textContent ?? undefined,
        task: e.dataset.task ?? '',
        routeReason: e.querySelector('[data-testid=route-reason]')?.textContent ?? undefined,
        cost: e.querySelector('[data-testid=cost]')?.textContent ?? undefined,
        costMode: e.querySelector('[data-testid=cost-mode]')?.textContent ?? undefined,
      })),
    );
  }

  async lastAssistant(): Promise<ShownMessage | undefined> {
    return (await this.messages()).filter((m) => m.role === 'assistant').at(-1);
  }

  /** Waits for the assistant message after `count` assistant messages to reach a final state. */
  async waitForAnswer(after: number, ms = 30_000, states = ['done', 'error', 'cancelled']): Promise<ShownMessage> {
    return until(`answer #${after + 1} to finish`, async () => {
      const answers = (await this.messages()).filter((m) => m.role === 'assistant');
      const m = answers[after];
      return m && states.includes(m.state) ? m : undefined;
    }, ms, 100);
  }

  async assistantCount(): Promise<number> {
    return (await this.messages()).filter((m) => m.role === 'assistant').length;
  }

  /** Asks the question behind an answer again as another task, with the answer's "Ask as…" control. */
  async reroute(id: string, task: string): Promise<void> {
    await this.frame.locator(`[data-testid=message][data-id="${id}"] [data-testid=reroute]`).selectOption(task);
  }

  /** The model control under the input. */
  modelSelect() {
    return this.frame.locator('select[aria-label=Model]');
  }

  /** Whether the "No API key is set yet" banner shows. */
  async noKeyBanner(): Promise<boolean> {
    return this.frame.locator('[data-testid=no-key]').isVisible();
  }
}

// ---------------------------------------------------------------------------------------------------
// A capture server: records any request (it is where nothing should ever arrive).

export interface Capture {
  url: string;
  port: number;
  requests: Array<{ method: string; url: string; headers: Record<string, string | string[] | undefined> }>;
  close(): Promise<void>;
}

export async function startCapture(): Promise<Capture> {
  const http = await import('node:http');
  const requests: Capture['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'access-control-allow-origin': '*' });
    res.end('captured');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Reads a JSON file, or {} when it does not exist. */
export function readJson(path: string): Record<string, unknown> {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
}

