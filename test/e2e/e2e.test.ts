/**
 * End to end: the packaged extension in a real VS Code (code-server) in a real Chromium, against the
 * gateway simulator running in this process. Each test asserts what a user sees: the palette, the
 * right-click menu, input boxes, dialogs and the chat panel's DOM (its stable data-testids).
 *
 * One code-server + page is shared by the tests that can share it (they run in order and clean up
 * after themselves); the test that needs a different extension-host environment and no stored key
 * gets its own code-server, user data and browser context.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLE_TS } from '../../scripts/demoWorkspace.mjs';
import { defaultText } from '../../sim/scripts';
import { DEFAULT_MODELS, startSimulator, type RecordedRequest, type Simulator } from '../../sim/server';
import {
  RESULTS,
  ROOT,
  Workbench,
  cleanup,
  closeBrowser,
  prepare,
  readJson,
  sleep,
  startCapture,
  until,
  writeFiles,
  type Capture,
  type Chat,
} from './harness';

// Browser globals for page.evaluate callbacks (the root tsconfig has no DOM lib).
declare const document: any;

const KEY = 'sk-sim-e2e-0123456789abcdefghijkl';
const WRONG_KEY = 'sk-sim-e2e-wrong-key-000000000000';
/** What a leaked environment would hand the SDK: never to be sent anywhere. */
const ENV_KEY = 'sk-env-should-never-be-used-0123456789';
/** A fake OpenAI project key, 40 characters after the prefix. */
const FAKE_SECRET = `sk-proj-${'Ab3dEf6hIj9lMn2pQr5tUv8xYz'}${'0123456789ABCD'}`;

/** The demo workspace's example.ts without its comment: the loop with the off-by-one. */
const REVIEW_TS = EXAMPLE_TS.split('\n').slice(1).join('\n');

/** A file with two Chinese comments, for Translate Comments in File. */
const COMMENTS_TS = ['// 计算总和', 'export function sum(xs: number[]) {', '  /* 空数组返回 0 */', '  return xs.reduce((a, b) => a + b, 0);', '}', ''].join('\n');

/** What the workspace's .env holds: no tool may read it. */
const ENV_SECRET = 'env-value-never-sent-0123456789';

const SECRET_TS = ['// deploy configuration', `const apiKey = "${FAKE_SECRET}";`, 'export default apiKey;', ''].join('\n');

/** A markdown answer with a code block, for the highlighted-code test and the README screenshot. */
const CODE_ANSWER = [
  '**gpt-5** here. The loop reads one element past the end (`i <= xs.length`), and an empty array divides by zero:',
  '',
  '```ts',
  'export function average(xs: number[]): number {',
  '  if (xs.length === 0) return 0;',
  '  let total = 0;',
  '  for (const x of xs) total += x;',
  '  return total / xs.length;',
  '}',
  '```',
  '',
  '- `for…of` cannot run past the end of the array.',
  '- An empty array returns `0` instead of `NaN`.',
].join('\n');

/** After each test: a screenshot of the panel, and of the whole window when it failed. */
function screenshotEachTest(workbench: () => Workbench | undefined): void {
  afterEach(async function () {
    const title = this.currentTest?.title ?? 'unknown';
    const wb = workbench();
    if (!wb) return;
    await wb.screenshot(title).catch(() => undefined);
    if (this.currentTest?.state !== 'failed') return;
    await wb.screenshot(`${title} (failed, window)`, 'window').catch(() => undefined);
    // The extension's Output channel, next to the screenshots: what it did, attempt by attempt.
    try {
      const logs = execFileSync('find', [join(wb.userDataDir, 'logs'), '-name', '*Switchboard.log'], { encoding: 'utf8' }).split('\n').filter(Boolean);
      const text = logs.map((f) => readFileSync(f, 'utf8')).join('\n');
      writeFileSync(join(RESULTS, `${title.split(' ')[0]}-switchboard.log`), text);
    } catch {
      // No log yet: the screenshots have to do.
    }
  });
}

/** Leaves the folder as it was before a test made it a git repository. */
function rmGit(folder: string): void {
  execFileSync('rm', ['-rf', join(folder, '.git')]);
}

const chatRequests = (s: Simulator): RecordedRequest[] => s.requests.filter((r) => r.path === '/v1/chat/completions');

// Once every suite is done: the shared Chromium and the run's temp folder.
after(async function () {
  this.timeout(60_000);
  await closeBrowser();
  await cleanup();
});

describe('Switchboard end to end (code-server + Chromium)', function () {
  this.timeout(180_000);

  let sim: Simulator;
  /** A second gateway: where a workspace setting tries to send the key. */
  let elsewhere: Simulator;
  let wb: Workbench;
  let chat: Chat;

  before(async function () {
    this.timeout(600_000); // first run: code-server install (about a minute) + packaging
    delete process.env.SWITCHBOARD_DEMO_KEY;
    await prepare();
    sim = await startSimulator({ apiKey: KEY });
    elsewhere = await startSimulator({ apiKey: KEY });
    wb = await Workbench.open({
      name: 'main',
      // comments.ts is here from the start: Quick Open may not list a file created moments before.
      files: { 'review.ts': REVIEW_TS, 'secret.ts': SECRET_TS, '.env': `API_TOKEN=${ENV_SECRET}\n`, 'comments.ts': COMMENTS_TS },
      userSettings: { 'switchboard.baseUrl': sim.url },
      // The extension host must not see these in the shared instance either.
      env: { SWITCHBOARD_DEMO_KEY: null, OPENAI_API_KEY: null, OPENAI_BASE_URL: null },
    });
    chat = await wb.openChat();
  });

  beforeEach(() => {
    sim.reset();
    elsewhere.reset();
  });

  screenshotEachTest(() => wb);

  after(async function () {
    this.timeout(60_000);
    await wb?.close().catch(() => undefined);
    await sim?.close();
    await elsewhere?.close();
  });

  /** The key is stored once (test 1); a test run on its own, or after a reload that lost it, sets it again. */
  let keySet = false;
  async function ensureKey(): Promise<Chat> {
    chat = await wb.openChat();
    if (await chat.noKeyBanner()) {
      if (keySet) console.log('      (the stored key was gone after a reload or a new folder; setting it again)');
      keySet = true;
      await setKey(KEY);
      await until('the no-key banner to go', async () => !(await chat.noKeyBanner()), 10_000);
    }
    return chat;
  }

  async function setKey(key: string): Promise<void> {
    await wb.palette('Switchboard: Set API Key');
    const input = await wb.passwordBox();
    await input.fill(key);
    await input.press('Enter');
    await wb.waitForNotification(/key saved and accepted/);
  }

  async function ask(text: string, ms = 30_000) {
    const before = await chat.assistantCount();
    await chat.send(text);
    return chat.waitForAnswer(before, ms);
  }

  it('1. sets the key through the palette (validated with GET /models), then chat works', async () => {
    chat = await wb.openChat();
    assert.ok(await chat.noKeyBanner(), 'a fresh install shows "No API key is set yet"');

    // A key the gateway refuses: a clear message, and Try Again brings the box back.
    await wb.palette('Switchboard: Set API Key');
    let input = await wb.passwordBox();
    await input.fill(WRONG_KEY);
    await input.press('Enter');
    const refused = await wb.waitForToast(/refused this key \(401\)/);
    await refused.locator('.monaco-button', { hasText: 'Try Again' }).click();
    input = await wb.passwordBox();
    await input.fill(KEY);
    await input.press('Enter');
    await wb.waitForNotification(/key saved and accepted by the gateway/);
    keySet = true;

    const checks = sim.requests.filter((r) => r.method === 'GET' && r.path === '/v1/models');
    assert.deepEqual(
      checks.map((r) => r.keyOk),
      [false, true],
      'each key was checked with one GET /models',
    );
    assert.equal(chatRequests(sim).length, 0, 'setting the key sends no chat request');
    await until('the no-key banner to go', async () => !(await chat.noKeyBanner()), 10_000);

    const answer = await ask('What is a closure?');
    assert.equal(answer.state, 'done');
    assert.equal(answer.model, 'gpt-5-mini', 'general questions go to gpt-5-mini');
    assert.match(answer.text, /^\[gpt-5-mini\] Hello from gpt-5-mini\./);
    const [req] = chatRequests(sim);
    assert.ok(req?.keyOk, 'the chat request carried the stored key');

    const html = await chat.frame.content();
    assert.ok(!html.includes(KEY), 'the key never reaches the webview');
  });

  it('2. Review Selection from the right-click menu streams the routed answer into the panel', async () => {
    await ensureKey();
    sim.setScript('gpt-5', { words: 60, tokensPerSecond: 40 });
    await wb.openFile('review.ts');
    await wb.selectAllInEditor();
    const before = await chat.assistantCount();

    await wb.editorLines().first().click({ button: 'right' });
    const menu = wb.page.locator('.context-view .monaco-menu');
    const submenu = menu.getByRole('menuitem', { name: 'Switchboard', exact: true });
    await submenu.waitFor({ state: 'visible', timeout: 10_000 });
    await submenu.hover();
    const review = wb.page.locator('.context-view .monaco-menu').getByRole('menuitem', { name: /^Review Selection/ }).first();
    await review.waitFor({ state: 'visible', timeout: 10_000 });
    await review.hover();
    await sleep(300); // the menu ignores a click that lands while the submenu is still opening
    await review.click();
    if (!(await menu.first().isHidden())) {
      await sleep(1_000);
      if (await review.isVisible()) await review.click();
    }
    await menu.first().waitFor({ state: 'hidden', timeout: 5_000 });

    // Watch it stream: partial text that grows while the state is "streaming".
    const partials = new Set<number>();
    const answer = await until(
      'the review to finish streaming',
      async () => {
        const m = (await chat.messages()).filter((x) => x.role === 'assistant')[before];
        if (m?.state === 'streaming' && m.text.length > 0) partials.add(m.text.length);
        return m && m.state !== 'streaming' && m.state !== 'waiting' ? m : undefined;
      },
      30_000,
      50,
    );
    assert.equal(answer.state, 'done');
    assert.ok(partials.size >= 2, `the answer appeared piece by piece (saw ${partials.size} partial lengths)`);
    assert.equal(answer.model, 'gpt-5', 'code review is routed to gpt-5');
    assert.match(answer.text, /\[gpt-5\] Hello from gpt-5\./, 'the reply mentions the routed model');

    const messages = await chat.messages();
    const question = messages.filter((m) => m.role === 'user').at(-1);
    assert.match(question?.text ?? '', /Review review\.ts:1-/);
    const [req] = chatRequests(sim);
    assert.equal(req?.model, 'gpt-5');
    assert.ok(JSON.stringify(req?.body.messages).includes('total += xs[i]'), 'the selection was sent');
  });

  it('2b. a streamed answer shows a highlighted code block with Copy and Insert (README screenshot)', async () => {
    await ensureKey();
    sim.setScript('gpt-5', { text: CODE_ANSWER, chunkChars: 6, tokensPerSecond: 120 });
    // Room for the code block: a wider side bar (it stays so for the later tests' screenshots).
    const width = await wb.setSidebarWidth(500);
    assert.ok(width > 450, `the side bar is ${width} px wide`);
    // A clean conversation for the picture.
    await chat.frame.locator('[data-testid=new-chat]').click();
    await until('an empty conversation', async () => (await chat.messages()).length === 0, 5_000);
    await wb.openFile('review.ts');
    await wb.selectAllInEditor();
    await wb.palette('Switchboard: Review Selection');
    const answer = await chat.waitForAnswer(0);
    assert.equal(answer.state, 'done');
    const last = chat.frame.locator('[data-testid=message][data-role=assistant]').last();
    const block = last.locator('.code-block');
    await block.first().waitFor({ state: 'visible', timeout: 5_000 });
    assert.ok((await block.locator('.hljs-keyword').count()) > 0, 'the TypeScript is highlighted');
    assert.equal(await block.locator('button', { hasText: 'Copy' }).count(), 1);
    assert.equal(await block.locator('button', { hasText: 'Insert' }).count(), 1);

    // The README's picture: the editor with the selection, the panel with the answer.
    await wb.clearNotifications();
    await wb.page.mouse.move(1000, 600); // an empty part of the editor: no hover left open
    await sleep(800);
    // A test run never changes a tracked file: SWITCHBOARD_UPDATE_README_SCREENSHOT=1 refreshes docs/panel.png.
    const path = process.env.SWITCHBOARD_UPDATE_README_SCREENSHOT ? join(ROOT, 'docs', 'panel.png') : join(RESULTS, 'readme-panel.png');
    await wb.page.screenshot({ path });
    const size = statSync(path).size;
    assert.ok(size < 300 * 1024, `${path} is ${Math.round(size / 1024)} KB (keep the README's picture under 300 KB)`);
  });

  it('3. the primary answers 500 and the fallback answers, with a failover note', async () => {
    await ensureKey();
    sim.setScript('gpt-5-mini', { fault: { type: 'status', status: 500, body: { error: { message: 'upstream exploded', type: 'server_error', param: null, code: null } } } });
    const answer = await ask('What is a monad?');
    assert.equal(answer.state, 'done');
    assert.equal(answer.model, 'deepseek-v4', 'data-model shows the fallback');
    assert.match(answer.text, /^\[deepseek-v4\]/);
    assert.ok(answer.failoverNote, 'a failover note is shown');
    assert.match(answer.failoverNote!, /gpt-5-mini/, 'the note names the model that failed');
    assert.equal(answer.error, undefined);
    assert.deepEqual(
      chatRequests(sim).map((r) => [r.model, r.status]),
      [
        ['gpt-5-mini', 500],
        ['deepseek-v4', 200],
      ],
    );
  });

  it('4. a settings.json route override changes which model answers', async () => {
    await ensureKey();
    const original = readJson(join(wb.userDataDir, 'User', 'settings.json'));
    const routingTableShows = async (needle: string, present: boolean) =>
      until(
        `the routing table to ${present ? 'show' : 'drop'} ${needle}`,
        async () => {
          await wb.palette('Switchboard: Show Routing Table');
          await until('the routing table', async () => (await wb.editorText()).includes('Switchboard routing table'), 10_000);
          const shown = (await wb.editorText()).includes(needle);
          await wb.palette('View: Revert and Close Editor');
          return shown === present;
        },
        20_000,
        300,
      );
    let failure: unknown;
    try {
      await wb.editUserSettings({ ...original, 'switchboard.routes': { general_qa: { primary: 'e2e-override-model' } } });
      await routingTableShows('`e2e-override-model` **(from user)**', true);
      chat = await wb.openChat();
      const answer = await ask('What is a functor?');
      assert.equal(answer.state, 'done');
      assert.equal(answer.model, 'e2e-override-model', 'data-model shows the model from settings.json');
      assert.match(answer.text, /^\[e2e-override-model\]/);
      assert.deepEqual(chatRequests(sim).map((r) => r.model), ['e2e-override-model']);
    } catch (err) {
      failure = err;
    }
    // Put the user settings back for the tests that follow (without hiding the first failure).
    try {
      await wb.editUserSettings(original);
      await routingTableShows('e2e-override-model', false);
      chat = await wb.openChat();
    } catch (err) {
      failure ??= err;
    }
    if (failure) throw failure;
  });

  it('5. Stop ends a stream: the text stops growing and the connection is closed', async () => {
    await ensureKey();
    // Whichever model Auto routing picks streams slowly: this test is about Stop, not about routing.
    for (const m of DEFAULT_MODELS) sim.setScript(m, { words: 400, tokensPerSecond: 10 });
    const before = await chat.assistantCount();
    await chat.send('Tell me everything about gateways.');
    await until('some streamed text', async () => {
      const m = (await chat.messages()).filter((x) => x.role === 'assistant')[before];
      return m?.state === 'streaming' && m.text.length > 40;
    }, 20_000);
    const stop = chat.frame.locator('[data-testid=stop]');
    assert.ok(await stop.isVisible(), 'Stop is shown while streaming');
    const clickedAt = Date.now();
    await stop.click();

    const stopped = await chat.waitForAnswer(before, 10_000);
    assert.equal(stopped.state, 'cancelled');
    await sleep(1500);
    const later = (await chat.messages()).filter((m) => m.role === 'assistant')[before]!;
    assert.equal(later.text, stopped.text, 'the text stopped growing');
    const [req] = chatRequests(sim);
    const full = defaultText(req!.body.model, req!.body, 400);
    assert.ok(later.text.length > 40 && later.text.length < full.length / 2, `the partial text is kept (${later.text.length} of ${full.length} characters)`);
    assert.ok(full.startsWith(later.text.trimEnd()), 'what is shown is the start of the answer');
    assert.ok(!(await stop.isVisible()), 'Stop is hidden again');
    assert.ok(await chat.frame.locator('[data-testid=message][data-role=assistant]').last().getByRole('button', { name: 'Ask again' }).isVisible(), 'Retry is offered');

    const ended = await until('the simulator to see the connection closed', () => req?.endedAt, 5_000);
    assert.ok(ended - clickedAt < 2_000, `the connection closed ${Math.round(ended - clickedAt)} ms after the click`);
    assert.equal(chatRequests(sim).length, 1, 'no further attempt after Stop');
  });

  it('6. reloading the window keeps the history and the draft', async () => {
    await ensureKey();
    const before = await chat.messages();
    assert.ok(before.length >= 4, 'there is history to keep');
    await chat.input().fill('a half-typed draft');
    await sleep(800); // the draft is debounced (300 ms) before it reaches the host

    await wb.reload();
    chat = await wb.openChat();
    const after = await until('the history to come back', async () => {
      const m = await chat.messages();
      return m.length === before.length ? m : undefined;
    }, 20_000);
    assert.deepEqual(
      after.map((m) => [m.role, m.model, m.text]),
      before.map((m) => [m.role, m.model, m.text]),
    );
    assert.equal(await chat.input().inputValue(), 'a half-typed draft');
    await chat.input().fill('');
  });

  it('27. New chat keeps the conversation in the history; after a reload it is listed, reopens, and can be renamed and deleted', async () => {
    await ensureKey();
    const before = await chat.messages();
    assert.ok(before.length >= 2, 'there is a conversation to keep');
    const firstQuestion = before.find((m) => m.role === 'user')!.text;
    await chat.frame.getByTestId('new-chat').click();
    await until('an empty chat', async () => ((await chat.messages()).length === 0 ? true : undefined));
    await chat.send('What is a closure in JavaScript?');
    await chat.waitForAnswer(0, 30_000);

    await wb.reload();
    chat = await wb.openChat();
    const toggle = chat.frame.getByTestId('history-toggle');
    const items = chat.frame.getByTestId('history-item');
    const titles = () => chat.frame.getByTestId('history-title').allInnerTexts();
    await toggle.click();
    // Earlier tests may have started new chats too: ours are the two most recent.
    await until('the closure question listed as current', async () => ((await titles())[0] === 'What is a closure in JavaScript?' ? true : undefined), 15_000);
    const listed = await items.count();
    assert.ok(listed >= 2);
    // The shown question has lost its line breaks; the title is its first line (clipped).
    const kept = (await titles())[1]!;
    assert.ok(kept && firstQuestion.replace(/\s+/g, ' ').startsWith(kept.replace(/…$/, '')), `the conversation New chat kept comes next, titled by its first question ("${kept}")`);
    assert.match(await items.nth(1).innerText(), /\d+ messages/);

    // Reopen the old conversation: its messages come back as they were; the closure question goes to the history.
    await items.nth(1).locator('.history-open').click();
    const reopened = await until('the old conversation back', async () => {
      const m = await chat.messages();
      return m.length === before.length && m[0]?.text === before[0]!.text ? m : undefined;
    }, 15_000);
    assert.deepEqual(reopened.map((m) => [m.role, m.model, m.text]), before.map((m) => [m.role, m.model, m.text]));

    // Rename it (VS Code's input box), then delete the other one (after a modal asks).
    await toggle.click();
    await items.first().getByTestId('history-rename').click();
    const box = wb.page.locator('.quick-input-widget .quick-input-box input');
    await box.waitFor({ state: 'visible', timeout: 10_000 });
    await box.fill('Average and its bugs');
    await box.press('Enter');
    await until('the new name', async () => ((await titles())[0] === 'Average and its bugs' ? true : undefined), 10_000);
    await items.nth(1).getByTestId('history-delete').click();
    const dialog = wb.dialog();
    await dialog.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await dialog.innerText(), /Delete the conversation “What is a closure in JavaScript\?”/);
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await until('the closure conversation gone', async () => ((await items.count()) === listed - 1 ? true : undefined), 10_000);
    assert.ok(!(await titles()).includes('What is a closure in JavaScript?'));
    await chat.frame.getByTestId('history-close').click();
    assert.equal((await chat.messages()).length, before.length);
  });

  it('7. a workspace setting pointing the base URL elsewhere is ignored (flat, nested, .code-workspace)', async () => {
    const p = await prepare();
    const base = join(p.tmp, 'redirect');
    const flat = join(base, 'flat');
    const nested = join(base, 'nested');
    const viaFile = join(base, 'viafile');
    writeFiles(flat, { '.vscode/settings.json': JSON.stringify({ 'switchboard.baseUrl': elsewhere.url }, null, 2) });
    writeFiles(nested, { '.vscode/settings.json': JSON.stringify({ switchboard: { baseUrl: elsewhere.url } }, null, 2) });
    writeFiles(viaFile, {
      'project.code-workspace': JSON.stringify({ folders: [{ path: '.' }], settings: { 'switchboard.baseUrl': elsewhere.url } }, null, 2),
    });
    const targets = [
      ['.vscode/settings.json', flat],
      ['nested "switchboard": { "baseUrl" }', nested],
      ['.code-workspace settings', join(viaFile, 'project.code-workspace')],
    ] as const;
    try {
      for (const [label, target] of targets) {
        sim.reset();
        elsewhere.reset();
        await wb.goto(target);
        await ensureKey();
        const answer = await ask('What is a closure?');
        assert.equal(answer.state, 'done', `${label}: answered`);
        assert.equal(chatRequests(sim).length, 1, `${label}: the user's gateway got the request`);
        assert.equal(elsewhere.requests.length, 0, `${label}: the workspace's URL got nothing`);
        await wb.screenshot(`7. workspace base URL ignored - ${label}`);
      }
    } finally {
      await wb.goto(wb.folder);
      chat = await wb.openChat();
    }
  });

  it('7b. in a trusted workspace, a workspace route override applies and the routing table says "from workspace"', async () => {
    const p = await prepare();
    const folder = join(p.tmp, 'trusted-override');
    writeFiles(folder, { '.vscode/settings.json': JSON.stringify({ 'switchboard.routes': { general_qa: { primary: 'ws-route-model' } } }, null, 2) });
    try {
      await wb.goto(folder);
      await ensureKey();
      await wb.palette('Switchboard: Show Routing Table');
      await until('the routing table', async () => (await wb.editorText()).includes('Switchboard routing table'), 10_000);
      assert.ok((await wb.editorText()).includes('`ws-route-model` **(from workspace)**'), 'the routing table marks the workspace value');
      await wb.palette('View: Revert and Close Editor');
      chat = await wb.openChat();
      assert.equal(await chat.frame.locator('[data-testid=restricted]').isVisible(), false, 'no Restricted Mode banner in a trusted folder');
      const answer = await ask('What is a monad?');
      assert.equal(answer.model, 'ws-route-model');
      assert.deepEqual(chatRequests(sim).map((r) => r.model), ['ws-route-model']);
    } finally {
      await wb.goto(wb.folder);
      chat = await wb.openChat();
    }
  });

  it('13. a Chinese message is routed to translation with its reason shown, and re-routing asks again as another task', async () => {
    await ensureKey();
    const question = '请把这句话翻译成英文：明天下午三点在三楼会议室开会';
    const answer = await ask(question);
    assert.equal(answer.state, 'done');
    assert.equal(answer.task, 'translation', 'Auto routing picked translation');
    assert.equal(answer.model, 'deepseek-v4', 'the translation route answered');
    assert.match(answer.routeReason ?? '', /^“[^”]+”, \d{2,3}%$/, 'the words that decided and the confidence are shown');
    assert.match(answer.routeReason ?? '', /翻|译|英文/);

    const before = await chat.assistantCount();
    await chat.reroute(answer.id, 'general_qa');
    const again = await chat.waitForAnswer(before);
    assert.equal(again.state, 'done');
    assert.equal(again.task, 'general_qa');
    assert.equal(again.model, 'gpt-5-mini', 'the re-routed question went to the general_qa route');
    assert.equal(again.routeReason, 're-routed from Translation');
    const requests = chatRequests(sim);
    assert.deepEqual(requests.map((r) => r.model), ['deepseek-v4', 'gpt-5-mini']);
    const asked = (r: RecordedRequest) => (r.body.messages as Array<{ role: string; content: string }>).filter((m) => m.role === 'user').at(-1)?.content;
    assert.equal(asked(requests[1]!), question, 'the same question was asked again');
    assert.equal((await chat.messages()).filter((m) => m.role === 'user' && m.text === question).length, 2, 'the question shows again above the new answer');
  });

  it('14. switching the cost mode changes the model that answers; costs show on answers and in the status bar, and survive a reload', async () => {
    await ensureKey();
    const original = readJson(join(wb.userDataDir, 'User', 'settings.json'));
    const review = async () => {
      await wb.openFile('review.ts');
      await wb.selectAllInEditor();
      const before = await chat.assistantCount();
      await wb.palette('Switchboard: Review Selection');
      return chat.waitForAnswer(before);
    };
    let failure: unknown;
    try {
      await wb.editUserSettings({ ...original, 'switchboard.costMode': 'economy' });
      chat = await wb.openChat();
      const cheap = await until('the economy mode to apply', async () => {
        const a = await review();
        return a.model === 'gpt-5' ? undefined : a;
      }, 60_000, 500);
      assert.equal(cheap.state, 'done');
      assert.equal(cheap.model, 'qwen3-235b', 'a small review goes to the cheapest economy model');
      assert.match(cheap.costMode ?? '', /^economy: .+ → qwen3-235b$/, 'the answer says why');
      assert.match(cheap.cost ?? '', /^[<]?\$\d/, 'the answer shows its cost');
    } catch (err) {
      failure = err;
    }
    try {
      await wb.editUserSettings(original);
      chat = await wb.openChat();
      const full = await until('quality mode again', async () => {
        const a = await review();
        return a.model === 'gpt-5' ? a : undefined;
      }, 60_000, 500);
      assert.equal(full.costMode, undefined);
      const gpt5 = Number(/\$([\d.]+)/.exec(full.cost ?? '')?.[1]);
      assert.ok(gpt5 > 0, `gpt-5's answer shows a cost (${full.cost})`);
    } catch (err) {
      failure ??= err;
    }
    if (failure) throw failure;

    const statusText = async () => (await wb.page.locator('.part.statusbar .statusbar-item', { hasText: 'today' }).first().textContent({ timeout: 5_000 })) ?? '';
    const before = await until('today\'s cost in the status bar', async () => /[≈<]?\$[\d.]+\+? today/.exec(await statusText().catch(() => ''))?.[0], 10_000);
    const costs = (await chat.messages()).filter((m) => m.cost).map((m) => m.cost);
    await wb.reload();
    chat = await wb.openChat();
    const after = await until('the status bar after the reload', async () => /[≈<]?\$[\d.]+\+? today/.exec(await statusText().catch(() => ''))?.[0], 20_000);
    assert.equal(after, before, "today's total survives a reload");
    assert.deepEqual((await chat.messages()).filter((m) => m.cost).map((m) => m.cost), costs, 'each answer keeps its cost');
  });

  it('15. the model picker lists the gateway\'s models, routed ones first, and the one chosen answers', async () => {
    await ensureKey();
    const select = chat.modelSelect();
    // Open Chat puts the cursor in the input; a focus change after the picker opens would close it.
    await until('the chat input to have focus', () => chat.frame.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'chat-input'), 10_000);
    try {
      await select.selectOption({ label: 'Browse all models…' });
      const box = wb.quickInput();
      await until('the model picker', async () => (await box.locator('.quick-input-title').innerText().catch(() => '')).includes('Switchboard: Pick Model'), 15_000);
      const rows = await until('the picker rows', async () => {
        const r = await wb.quickPickRows();
        return r.length >= 6 ? r : undefined;
      }, 15_000);
      assert.equal(rows[0]!.label, 'Routed');
      const routed = rows.slice(1).filter((r) => /Routed for/.test(r.text));
      assert.ok(routed.length >= 5, `routed models come first with their tasks (${rows.map((r) => r.label).join(', ')})`);
      assert.deepEqual(rows.slice(1, 1 + routed.length).map((r) => r.label), routed.map((r) => r.label), 'no other model comes before a routed one');
      const gpt5 = rows.find((r) => r.label === 'gpt-5');
      assert.match(gpt5?.text ?? '', /400K context · \$1\.25 \/ \$10 per M tokens/, 'context window and price from the price data');
      // A model only the gateway lists, with the metadata the simulator publishes the way OpenRouter does.
      await box.locator('.quick-input-box input').fill('llama');
      const llama = await until('llama-4-maverick in the filtered list', async () => (await wb.quickPickRows()).find((r) => r.label === 'llama-4-maverick'), 10_000);
      assert.match(llama.text, /1M context · \$0\.15 \/ \$0\.6 per M tokens/);
      await wb.page.keyboard.press('Enter');
      await until('the chat to show the chosen model', async () => (await select.inputValue()) === 'llama-4-maverick', 10_000);
      const answer = await ask('What does a load balancer do?');
      assert.equal(answer.state, 'done');
      assert.equal(answer.model, 'llama-4-maverick');
      assert.equal(chatRequests(sim).at(-1)?.body.model, 'llama-4-maverick');
    } finally {
      await select.selectOption('auto').catch(() => undefined);
    }
  });

  it('16. with a daily budget, a request that could go over waits for the user: declined, nothing is sent; Send Anyway sends it', async () => {
    await ensureKey();
    const original = readJson(join(wb.userDataDir, 'User', 'settings.json'));
    try {
      await wb.editUserSettings({ ...original, 'switchboard.dailyBudget': 0.0001 });
      chat = await wb.openChat();
      const dialog = wb.dialog();
      const before = await chat.assistantCount();
      await chat.send('Write a function that reverses a linked list');
      await dialog.waitFor({ state: 'visible', timeout: 15_000 });
      assert.match(await dialog.innerText(), /daily budget of <?\$0\.0001/);
      await sleep(1000);
      assert.equal(chatRequests(sim).length, 0, 'nothing is sent while the question is open');
      await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden', timeout: 5_000 });
      const declined = await chat.waitForAnswer(before);
      assert.equal(declined.state, 'error');
      assert.match(declined.error ?? '', /Not sent: the daily budget/);
      await sleep(500);
      assert.equal(chatRequests(sim).length, 0, 'nothing is sent after Cancel');
      const question = (await chat.messages()).filter((m) => m.role === 'user').at(-1);
      assert.equal(question?.text, 'Write a function that reverses a linked list', 'the question stays in the chat');

      // Retry asks again; Send Anyway sends it.
      await chat.frame.locator(`[data-testid=message][data-id="${declined.id}"] button[data-action=retry]`).click();
      await dialog.waitFor({ state: 'visible', timeout: 15_000 });
      await dialog.locator('.monaco-button', { hasText: 'Send Anyway' }).click();
      const sent = await chat.waitForAnswer(before, 30_000, ['done']);
      assert.equal(sent.model, 'claude-opus-4');
      assert.equal(chatRequests(sim).length, 1);
    } finally {
      await wb.editUserSettings(original);
      chat = await wb.openChat();
    }
  });

  it('17. Show Usage lists requests, tokens and cost per model with a cost-per-day chart, and comes back after a reload', async () => {
    await ensureKey();
    await ask('What is a closure in JavaScript?');
    await ask('What is the difference between TCP and UDP?');
    await wb.palette('Switchboard: Show Usage');
    const read = async () => {
      const frame = await wb.usageFrame();
      return frame.$$eval('[data-testid=usage-row]', (rows: any[]) =>
        rows.map((r) => ({
          model: r.dataset.model,
          ...Object.fromEntries(Array.from(r.querySelectorAll('td'), (td: any) => [td.dataset.col, td.textContent])),
        })),
      );
    };
    const rows = await until('the usage table', async () => {
      const r = await read().catch(() => []);
      return r.length ? r : undefined;
    }, 20_000);
    const mini = rows.find((r: any) => r.model === 'gpt-5-mini') as any;
    assert.ok(mini, `gpt-5-mini has a row (${rows.map((r: any) => r.model).join(', ')})`);
    assert.ok(Number(mini.requests) >= 2, 'both questions are counted');
    assert.ok(Number(mini.in.replace(/,/g, '')) > 0 && Number(mini.out.replace(/,/g, '')) > 0, 'tokens in and out');
    assert.match(mini.cost, /^[≈<]?\$\d/);
    const frame = await wb.usageFrame();
    const today = (await frame.locator('[data-testid=usage-today] .value').textContent()) ?? '';
    assert.match(today, /\$\d/);
    const bars = await frame.locator('[data-testid=usage-bar]').count();
    assert.equal(bars, 30, 'a bar per day of the last 30');
    assert.ok(Number(await frame.locator('[data-testid=usage-bar].today').getAttribute('height')) > 0, "today's bar shows today's cost");

    await wb.reload();
    // VS Code restores the panel itself; its numbers come from globalState.
    const again = await until('the usage table after the reload', async () => {
      const r = await read().catch(() => []);
      return r.length ? r : undefined;
    }, 30_000);
    assert.deepEqual(again, rows, 'the same numbers after a reload');
    assert.equal(await (await wb.usageFrame()).locator('[data-testid=usage-today] .value').textContent(), today);
    await wb.screenshot('usage panel', 'window');
    await wb.palette('View: Close Editor').catch(() => undefined);
    chat = await wb.openChat();
  });

  it('23. a model known to be down is still skipped after a reload, and Show Model Health says so; Reset forgets it', async () => {
    await ensureKey();
    // General questions: gpt-5-mini → deepseek-v4, then the global chain (gpt-5 first).
    sim.setScript('gpt-5-mini', { fault: { type: 'status', status: 500, body: { error: { message: 'upstream failed', type: 'server_error' } } } });
    sim.setScript('deepseek-v4', { fault: { type: 'status', status: 404, body: { error: { message: 'The model `deepseek-v4` does not exist', code: 'model_not_found' } } } });
    const readHealth = async () => {
      const frame = await wb.healthFrame();
      return frame.$$eval('[data-testid=health-row]', (rows: any[]) =>
        Object.fromEntries(rows.map((r) => [r.dataset.model, { state: r.dataset.state, text: r.querySelector('[data-col=state]')?.textContent, requests: r.querySelector('[data-col=requests]')?.textContent }])),
      );
    };
    try {
      // Start from nothing learned, whatever earlier tests taught it.
      await wb.palette('Switchboard: Reset Model Health');
      await wb.waitForNotification(/model health reset/);
      for (const q of ['What is a closure?', 'What is the difference between TCP and UDP?', 'What is a closure in JavaScript?']) {
        const answer = await ask(q);
        assert.equal(answer.model, 'gpt-5', `${q} is answered by the next healthy model`);
      }
      assert.deepEqual(
        chatRequests(sim).map((r) => r.model),
        ['gpt-5-mini', 'deepseek-v4', 'gpt-5', 'gpt-5-mini', 'gpt-5', 'gpt-5-mini', 'gpt-5'],
        'deepseek-v4 is asked once (not offered), gpt-5-mini until its third failure opens its circuit',
      );
      // Health is saved a second after it changes; then reload (the circuit stays open for 30 s).
      await new Promise((r) => setTimeout(r, 1_500));
      const reloadStarted = Date.now();
      await wb.reload();
      console.log(`      (reload took ${((Date.now() - reloadStarted) / 1000).toFixed(1)} s)`);
      chat = await wb.openChat();
      sim.reset();
      const after = await ask('What is a closure?');
      assert.equal(after.model, 'gpt-5');
      assert.deepEqual(chatRequests(sim).map((r) => r.model), ['gpt-5'], 'after the reload neither known-down model is asked');

      await wb.palette('Switchboard: Show Model Health');
      const rows = await until('the health table', async () => {
        const r = await readHealth().catch(() => ({}));
        return Object.keys(r).length >= 3 ? r : undefined;
      }, 20_000);
      assert.equal(rows['gpt-5-mini']?.state, 'circuit_open');
      assert.match(rows['gpt-5-mini']!.text!, /circuit open: skipped, tested again in \d+ s/);
      assert.equal(rows['gpt-5-mini']!.requests, '3');
      assert.equal(rows['deepseek-v4']?.state, 'not_offered');
      assert.equal(rows['gpt-5']?.state, 'ok');
      assert.equal(rows['gpt-5']!.requests, '4');
      await wb.screenshot('model health panel', 'window');

      // The panel's Reset link runs Reset Model Health: the table empties and both models are asked again.
      await (await wb.healthFrame()).locator('[data-testid=health-reset]').click();
      await wb.waitForNotification(/model health reset/);
      await until('the table to empty', async () => (await (await wb.healthFrame()).locator('[data-testid=health-empty]').count()) === 1, 10_000);
      await wb.palette('View: Close Editor').catch(() => undefined);
      sim.reset();
      chat = await wb.openChat();
      assert.equal((await ask('What is the difference between TCP and UDP?')).model, 'gpt-5-mini');
    } finally {
      await wb.palette('Switchboard: Reset Model Health').catch(() => undefined);
      chat = await wb.openChat();
    }
  });

  it('24. a hedged answer says which model won, and the slow model’s connection is closed', async () => {
    await ensureKey();
    const original = readJson(join(wb.userDataDir, 'User', 'settings.json'));
    try {
      await wb.editUserSettings({ ...original, 'switchboard.hedging': { afterMs: 500, maxExtraPercent: 100 } });
      chat = await wb.openChat();
      // General questions: gpt-5-mini first, deepseek-v4 next. The primary is slow to start; the next one is quick.
      sim.setScript('gpt-5-mini', { ttftMs: 8_000 });
      sim.setScript('deepseek-v4', { ttftMs: 50 });
      const started = Date.now();
      const answer = await ask('What is a closure?');
      assert.equal(answer.model, 'deepseek-v4');
      assert.ok(Date.now() - started < 6_000, 'the slow model’s 8 s were not waited out');
      const badge = chat.frame.locator('[data-testid=message][data-role=assistant]').last().getByTestId('hedged');
      assert.equal(await badge.textContent(), 'hedged over gpt-5-mini');
      assert.match((await badge.getAttribute('title')) ?? '', /gpt-5-mini sent nothing for .+, so deepseek-v4 was asked too and answered first; gpt-5-mini was stopped\./);
      const slow = chatRequests(sim).find((r) => r.model === 'gpt-5-mini')!;
      await until('the slow model’s connection to close', async () => slow.endedAt !== undefined, 5_000);
      assert.equal(slow.firstChunkAt, undefined, 'it was stopped before it sent anything');
      assert.ok(slow.endedAt! - slow.receivedAt < 6_000);
      assert.deepEqual(chatRequests(sim).map((r) => r.model), ['gpt-5-mini', 'deepseek-v4'], 'one extra request, no more');
      await wb.screenshot('hedged answer');
    } finally {
      await wb.editUserSettings(original);
      await wb.palette('Switchboard: Reset Model Health').catch(() => undefined);
      chat = await wb.openChat();
    }
  });

  it('18. a question makes the model read a workspace file and answer from it, tool steps and Thinking shown; .env and a path outside are refused; all of it survives a reload', async () => {
    await ensureKey();
    // Whichever model Auto routing picks: step 1 reads review.ts and tries .env, step 2 answers from the results.
    for (const model of DEFAULT_MODELS) {
      sim.setScript(model, [
        {
          reasoning: 'The user asks about review.ts; I should read it.',
          text: 'Reading review.ts.',
          toolCalls: [
            { name: 'read_file', arguments: { path: 'review.ts' } },
            { name: 'read_file', arguments: { path: '.env' } },
            { name: 'read_file', arguments: { path: '../../../etc/hostname' } },
          ],
        },
        { reasoning: 'Now I can answer.', agent: true },
      ]);
    }
    const answer = await ask('What does review.ts do?');
    assert.equal(answer.state, 'done', JSON.stringify(answer));
    const firstLine = REVIEW_TS.split('\n')[0]!;
    assert.ok(answer.text.includes(firstLine), `the answer quotes the file: ${answer.text}`);
    const shown = async () => {
      const el = chat.frame.locator(`[data-testid=message][data-id="${answer.id}"]`);
      return {
        steps: await el.locator('[data-testid=tool-step]').evaluateAll((els: any[]) => els.map((e) => [e.dataset.tool, e.dataset.state, e.querySelector('.tool-summary')?.textContent])),
        thinking: await el.locator('[data-testid=thinking] .thinking-text').textContent(),
        thinkingShown: await el.locator('[data-testid=thinking]').isVisible(),
      };
    };
    const before = await shown();
    assert.deepEqual(before.steps, [
      ['read_file', 'done', `read review.ts (${REVIEW_TS.split('\n').length} lines)`],
      ['read_file', 'error', 'refused: .env is excluded from tools (**/.env*)'],
      ['read_file', 'error', 'refused: outside the workspace (a path may not contain ..)'],
    ]);
    assert.equal(before.thinkingShown, true);
    assert.equal(before.thinking, 'The user asks about review.ts; I should read it.\n\nNow I can answer.');
    assert.ok(!answer.text.includes('I should read it'), 'reasoning is not part of the answer');
    // What went to the gateway: the file's text as a tool result, never the .env value.
    const [, second] = chatRequests(sim);
    const results = (second!.body.messages as Array<{ role: string; content: string }>).filter((m) => m.role === 'tool');
    assert.equal(results[0]!.content, REVIEW_TS);
    assert.match(results[1]!.content, /^Error: \.env is excluded/);
    assert.match(results[2]!.content, /^Error: outside the workspace/);
    assert.ok(!JSON.stringify(sim.requests.map((r) => r.body)).includes(ENV_SECRET));

    await wb.reload();
    chat = await wb.openChat();
    await chat.frame.locator(`[data-testid=message][data-id="${answer.id}"] [data-testid=tool-step]`).first().waitFor({ timeout: 30_000 });
    assert.deepEqual(await shown(), before, 'tool steps and the Thinking section come back after a reload');
  });

  it('19. propose_edit shows a diff and changes the file only on Apply; Reject from the diff\'s title bar leaves it as it was', async () => {
    await ensureKey();
    // Two files: once applied, limits.ts is open in VS Code, whose copy would lag behind a rewrite on disk.
    const original = 'export const limit = 10;\nexport const name = "limits";\n';
    writeFiles(wb.folder, { 'limits.ts': original, 'limits-b.ts': original });
    let target = 'limits.ts';
    const file = () => join(wb.folder, target);
    const script = () => {
      const propose = {
        text: '',
        toolCalls: [{ name: 'propose_edit', arguments: { path: target, edits: [{ find: 'limit = 10', replace: 'limit = 20' }], explanation: 'raise the limit' } }],
      };
      for (const model of DEFAULT_MODELS) sim.setScript(model, [propose, { agent: true }]);
    };
    const diffTab = () => wb.page.locator('.tabs-container .tab', { hasText: `${target} ↔ proposed edit` });
    const toolResult = () => (chatRequests(sim).at(-1)!.body.messages as Array<{ role: string; content: string }>).filter((m) => m.role === 'tool').at(-1)?.content;

    // Apply, from the chat.
    script();
    let before = await chat.assistantCount();
    await chat.send('Raise the limit in limits.ts to 20');
    const proposal = chat.frame.getByTestId('proposal');
    await proposal.waitFor({ timeout: 30_000 });
    await diffTab().waitFor({ timeout: 15_000 });
    assert.equal(readFileSync(file(), 'utf8'), original, 'nothing is written before the click');
    await proposal.getByRole('button', { name: 'Apply the proposed edit' }).click();
    let answer = await chat.waitForAnswer(before);
    assert.equal(answer.state, 'done', JSON.stringify(answer));
    assert.equal(readFileSync(file(), 'utf8'), original.replace('limit = 10', 'limit = 20'), 'applied and saved');
    assert.match(toolResult() ?? '', /^The user applied the edit/);
    await until('the diff to close', async () => (await diffTab().count()) === 0, 10_000);

    // Reject, from the diff editor's title bar.
    target = 'limits-b.ts';
    sim.reset();
    script();
    before = await chat.assistantCount();
    await chat.send('Raise the limit in limits-b.ts to 20');
    await diffTab().waitFor({ timeout: 30_000 });
    await wb.page.locator('.editor-actions [aria-label^="Reject Proposed Edit"]').first().click();
    answer = await chat.waitForAnswer(before);
    assert.equal(answer.state, 'done');
    assert.equal(readFileSync(file(), 'utf8'), original, 'a rejected edit changes nothing');
    assert.match(toolResult() ?? '', /rejected the edit/);
    const steps = await chat.frame.locator(`[data-testid=message][data-id="${answer.id}"] [data-testid=tool-step]`).evaluateAll((els: any[]) => els.map((e) => e.querySelector('.tool-summary')?.textContent));
    assert.deepEqual(steps, ['rejected by you']);
    chat = await wb.openChat();
  });

  it('20. Add Selection to Chat attaches a chip; its text goes with the next question, and the chip moves onto that question', async () => {
    await ensureKey();
    await wb.openFile('review.ts');
    await wb.selectAllInEditor();
    await wb.palette('Switchboard: Add Selection to Chat');
    chat = await wb.chat();
    const chip = chat.frame.getByTestId('context-chip');
    await chip.first().waitFor({ timeout: 15_000 });
    assert.match((await chip.first().locator('.chip-label').textContent()) ?? '', /^review\.ts:1-\d+$/);
    const before = await chat.assistantCount();
    await chat.send('What does this function return for an empty array?');
    const answer = await chat.waitForAnswer(before);
    assert.equal(answer.state, 'done');
    const sent = chatRequests(sim).at(0)!.body.messages as Array<{ role: string; content: string }>;
    const question = sent.filter((m) => m.role === 'user').at(-1)!.content;
    assert.ok(question.includes('total += xs[i]'), 'the selection went with the question');
    assert.match(question, /review\.ts \(lines 1-\d+\):\n```typescript/);
    assert.match(question, /What does this function return for an empty array\?$/);
    assert.equal(await chip.count(), 0, 'the chip left the input');
    const userTurn = chat.frame.locator('[data-testid=message][data-role=user]').last();
    assert.match((await userTurn.getByTestId('sent-chip').textContent()) ?? '', /^review\.ts:1-/);
  });

  it('21. Review Changed Files shows progress, fills the Problems panel at the right lines, and Cancel stops every request', async () => {
    await ensureKey();
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=e2e@example.invalid', '-c', 'user.name=e2e', ...args], { cwd: wb.folder });
    await wb.clearNotifications();
    // Everything earlier tests left in the folder is the base; only this test's changes are "changed".
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'base');
    writeFiles(wb.folder, { 'review.ts': `${REVIEW_TS}// changed\n`, 'added.ts': 'export const added = true;\n' });
    const finding = { findings: [{ line: 3, severity: 'error', message: 'Off-by-one: the loop reads one past the end of xs.' }] };
    for (const model of DEFAULT_MODELS) sim.setScript(model, { text: JSON.stringify(finding), ttftMs: 400 });
    await wb.palette('Switchboard: Review Changed Files');
    await wb.waitForToast(/reviewing changed files/i, 10_000);
    await wb.waitForNotification(/Reviewed 2 of 2 files; 2 findings in the Problems panel/, 30_000);
    const reviewed = chatRequests(sim).map((r) => /Review the changed file `([^`]+)`/.exec(r.body.messages.at(-1).content)?.[1]).sort();
    assert.deepEqual(reviewed, ['added.ts', 'review.ts'], 'the changed and the new file, nothing else');
    // The status bar's problems count opens the Problems panel, as a user would.
    await wb.page.locator('#status\\.problems').first().click();
    const panel = wb.page.locator('.markers-panel');
    await panel.getByText('Off-by-one: the loop reads one past the end of xs.').first().waitFor({ timeout: 15_000 });
    const rows = await panel.locator('.monaco-list-row').allInnerTexts();
    assert.ok(rows.some((r) => /Off-by-one/.test(r) && /\[Ln 3, Col 1\]/.test(r)), `a finding at line 3: ${rows.join(' | ')}`);

    // Cancel: every request in flight is closed at once, and nothing more is asked.
    sim.reset();
    writeFiles(wb.folder, { 'more1.ts': 'export const a = 1;\n', 'more2.ts': 'export const b = 2;\n', 'more3.ts': 'export const c = 3;\n', 'more4.ts': 'export const d = 4;\n', 'more5.ts': 'export const e = 5;\n' });
    for (const model of DEFAULT_MODELS) sim.setScript(model, { fault: { type: 'hang-after-headers' } });
    await wb.palette('Switchboard: Review Changed Files');
    const toast = await wb.waitForToast(/reviewing changed files/i, 10_000);
    await until('four requests in flight (the concurrency limit)', async () => chatRequests(sim).length >= 4, 15_000);
    await sleep(300);
    assert.equal(chatRequests(sim).length, 4, 'never more than switchboard.batch.concurrency at once');
    await toast.getByRole('button', { name: 'Cancel' }).click();
    await wb.waitForNotification(/Stopped after 0 of 7 files/, 15_000);
    await until('every request to be closed', async () => chatRequests(sim).every((r) => r.endedAt !== undefined), 5_000);
    assert.equal(chatRequests(sim).length, 4, 'nothing is sent after Cancel');
    rmGit(wb.folder);
    chat = await wb.openChat();
  });

  it('25. a pool spreads a batch across its members (the simulator’s request log shows it)', async () => {
    await ensureKey();
    const original = readJson(join(wb.userDataDir, 'User', 'settings.json'));
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=e2e@example.invalid', '-c', 'user.name=e2e', ...args], { cwd: wb.folder });
    const members = ['gpt-5', 'claude-sonnet-4', 'gemini-2.5-pro'];
    try {
      await wb.editUserSettings({ ...original, 'switchboard.pools': { review: members }, 'switchboard.routes': { code_review: { primary: 'pool:review', fallbacks: [] } } });
      // Members with no history are equivalent; what earlier tests taught (one member answered fast) would weigh in.
      await wb.palette('Switchboard: Reset Model Health');
      await wb.clearNotifications();
      git('init', '-q');
      git('add', '-A');
      git('commit', '-q', '-m', 'base');
      writeFiles(wb.folder, Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`pooled${i}.ts`, `export const pooled${i} = ${i};\n`])));
      const none = JSON.stringify({ findings: [] });
      for (const model of DEFAULT_MODELS) sim.setScript(model, { text: none, ttftMs: 600 });
      await wb.palette('Switchboard: Review Changed Files');
      await wb.waitForNotification(/Reviewed 6 of 6 files/, 30_000);
      const asked = chatRequests(sim).map((r) => r.model!);
      assert.equal(asked.length, 6, 'one request per file');
      assert.ok(asked.every((m) => members.includes(m)), `only pool members: ${asked.join(', ')}`);
      const counts = members.map((m) => asked.filter((a) => a === m).length);
      // Four at a time: each of the first requests goes to a member with fewer in flight.
      assert.ok(counts.filter((n) => n > 0).length >= 2, `spread over the members: ${counts.join(' / ')}`);
      assert.ok(Math.max(...counts) <= 3, `no member took most of the burst: ${counts.join(' / ')}`);
    } finally {
      rmGit(wb.folder);
      for (let i = 0; i < 6; i++) rmSync(join(wb.folder, `pooled${i}.ts`), { force: true });
      await wb.editUserSettings(original);
      chat = await wb.openChat();
    }
  });

  it('22. Translate Comments in File previews every translated comment as one diff and applies them as one undoable edit', async () => {
    await ensureKey();
    const original = COMMENTS_TS;
    for (const model of DEFAULT_MODELS) sim.setScript(model, { text: '```typescript\nTranslated.\n```' });
    await wb.clearNotifications();
    await wb.openFile('comments.ts');
    await wb.palette('Switchboard: Translate Comments in File');
    await wb.page.locator('.tabs-container .tab', { hasText: 'comments.ts ↔ proposed edit' }).waitFor({ timeout: 30_000 });
    await wb.waitForNotification(/2 comments of comments\.ts translated into English/, 10_000);
    assert.equal(chatRequests(sim).length, 2, 'one request per comment');
    assert.equal(readFileSync(join(wb.folder, 'comments.ts'), 'utf8'), original, 'nothing is written before Apply');
    // Apply from the diff's title bar (the notification offers the same).
    await wb.page.locator('.editor-actions [aria-label^="Apply Proposed Edit"]').first().click();
    const translated = original.replace('// 计算总和', '// Translated.').replace('  /* 空数组返回 0 */', '  /* Translated. */');
    await until('the file to be saved with the translations', async () => readFileSync(join(wb.folder, 'comments.ts'), 'utf8') === translated, 10_000);
    // One Undo takes both back.
    await wb.openFile('comments.ts');
    await wb.editorLines().first().click();
    await wb.page.keyboard.press('Control+Z');
    await until('one undo to restore both comments', async () => (await wb.editorText()).includes('计算总和') && (await wb.editorText()).includes('空数组返回'), 5_000);
    await wb.page.keyboard.press('Control+Shift+Z');
    await wb.palette('View: Close All Editors').catch(() => undefined);
    chat = await wb.openChat();
  });

  it('9. HTML, scripts, remote images and javascript: links in a reply render inert and fetch nothing', async () => {
    await ensureKey();
    const capture = await startCapture();
    const dialogs: string[] = [];
    const onDialog = (d: { message(): string; dismiss(): Promise<void> }) => {
      dialogs.push(d.message());
      void d.dismiss();
    };
    wb.page.on('dialog', onDialog);
    try {
      const c = capture.url;
      const payload = [
        'Inert check begins.',
        '',
        `<img src=${c}/x.png>`,
        '',
        `<img src="${c}/onerror.png" onerror="document.body.dataset.pwned='img'">`,
        '',
        `<script>document.body.dataset.pwned='script'; fetch('${c}/script')</script>`,
        '',
        `![remote](${c}/md.png)`,
        '',
        'Click [x](javascript:alert(1)) or <a href="javascript:alert(2)">y</a>.',
        '',
        `<iframe src="${c}/frame"></iframe><video src="${c}/v.mp4"></video><link rel="stylesheet" href="${c}/s.css">`,
        '',
        'Inert check ends.',
      ].join('\n');
      sim.setScript('gpt-5-mini', { text: payload, chunkChars: 9 });
      const answer = await ask('What does this render as?');
      assert.equal(answer.state, 'done');
      assert.match(answer.text, /Inert check begins\.[\s\S]*Inert check ends\./, 'the safe text is shown');

      const dom = await chat.frame.evaluate((origin: string) => {
        const list = document.querySelector('.messages');
        // Anything in the whole document that names the capture server (src, href, srcset, style…).
        const naming = Array.from(document.querySelectorAll('*')).filter((e: any) => Array.from(e.attributes).some((a: any) => String(a.value).includes(origin)));
        return {
          remote: naming.length,
          imgs: list.querySelectorAll('img').length,
          scripts: list.querySelectorAll('script').length,
          frames: list.querySelectorAll('iframe, object, embed, video, audio, link').length,
          jsLinks: Array.from(list.querySelectorAll('a')).filter((a: any) => /^\s*javascript:/i.test(a.getAttribute('href') ?? '')).length,
          handlers: Array.from(list.querySelectorAll('*')).filter((e: any) => Array.from(e.attributes).some((a: any) => /^on/i.test(a.name))).length,
          pwned: document.body.dataset.pwned ?? null,
        };
      }, `127.0.0.1:${capture.port}`);
      assert.deepEqual(dom, { remote: 0, imgs: 0, scripts: 0, frames: 0, jsLinks: 0, handlers: 0, pwned: null });

      // Clicking the would-be javascript: link does nothing.
      const last = chat.frame.locator('[data-testid=message][data-role=assistant]').last();
      await last.locator('a', { hasText: /^x$/ }).first().click();
      await sleep(1500);
      assert.deepEqual(dialogs, [], 'no alert ran');
      assert.equal(await chat.frame.evaluate(() => document.body.dataset.pwned ?? null), null, 'no script ran');
      assert.deepEqual(capture.requests.map((r) => r.url), [], 'the capture server received nothing');
    } finally {
      wb.page.off('dialog', onDialog);
      await capture.close();
    }
  });

  it('10. a selection holding an sk-… key is not sent until the user confirms', async () => {
    await ensureKey();
    await wb.openFile('secret.ts');
    await wb.selectAllInEditor();
    const before = await chat.messages();

    // Cancel: nothing is sent, nothing is added to the chat.
    await wb.palette('Switchboard: Review Selection');
    const dialog = wb.dialog();
    await dialog.waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await dialog.innerText(), /seems to contain a secret/);
    assert.match(await dialog.innerText(), /OpenAI-style API key/);
    assert.ok(!(await dialog.innerText()).includes(FAKE_SECRET), 'the warning masks the key');
    await sleep(1000);
    assert.equal(sim.requests.length, 0, 'nothing reached the gateway while the warning is open');
    await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 5_000 });
    await sleep(1000);
    assert.equal(sim.requests.length, 0, 'nothing is sent after Cancel');
    assert.equal((await chat.messages()).length, before.length, 'the chat is unchanged after Cancel');

    // Send Anyway: now it goes.
    await wb.selectAllInEditor();
    await wb.palette('Switchboard: Review Selection');
    await dialog.waitFor({ state: 'visible', timeout: 15_000 });
    assert.equal(sim.requests.length, 0);
    await dialog.locator('.monaco-button', { hasText: 'Send Anyway' }).click();
    const req = await until('the confirmed request', () => chatRequests(sim)[0], 15_000);
    assert.ok(JSON.stringify(req.body).includes(FAKE_SECRET), 'the confirmed selection was sent as is');
    const answer = await chat.waitForAnswer(before.filter((m) => m.role === 'assistant').length);
    assert.equal(answer.state, 'done');
    assert.equal(answer.model, 'gpt-5');
  });
});

describe('Switchboard end to end: a fresh install with OPENAI_* in the environment', function () {
  this.timeout(180_000);
  let sim: Simulator;
  /** Where OPENAI_BASE_URL points: a gateway that would accept OPENAI_API_KEY, so a leak would show. */
  let capture: Simulator;
  let wb: Workbench | undefined;

  before(async function () {
    this.timeout(600_000);
    await prepare();
    sim = await startSimulator({ apiKey: KEY });
    capture = await startSimulator({ apiKey: ENV_KEY });
    wb = await Workbench.open({
      name: 'env',
      userSettings: { 'switchboard.baseUrl': sim.url },
      env: { OPENAI_API_KEY: ENV_KEY, OPENAI_BASE_URL: capture.url, OPENAI_LOG: 'debug', SWITCHBOARD_DEMO_KEY: null },
    });
  });

  screenshotEachTest(() => wb);

  after(async function () {
    this.timeout(60_000);
    await wb?.close().catch(() => undefined);
    await sim?.close();
    await capture?.close();
  });

  it('8. with OPENAI_API_KEY/OPENAI_BASE_URL/OPENAI_LOG set and no stored key, sending asks for a key and sends nothing', async () => {
    const w = wb!;
    const chat = await w.openChat();
    assert.ok(await chat.noKeyBanner(), 'the environment key is not taken as a key');

    await chat.send('Hello there, what can you do?');
    const input = await w.passwordBox('Switchboard: Set API Key');
    await sleep(1000);
    assert.equal(capture.requests.length, 0, 'nothing went to OPENAI_BASE_URL');
    assert.equal(sim.requests.length, 0, 'nothing went to the gateway without a key');

    // Escape: the answer says why and offers the fix.
    await input.press('Escape');
    const failed = await chat.waitForAnswer(0, 10_000);
    assert.equal(failed.state, 'error');
    assert.match(failed.error ?? '', /No API key is set/);
    assert.ok(await chat.frame.locator('[data-testid=error] button', { hasText: 'Set API Key' }).isVisible(), 'the error offers Set API Key');
    assert.equal(capture.requests.length, 0);
    assert.equal(sim.requests.length, 0);

    // Sending again and giving a key: the request goes to the configured gateway with that key, never to OPENAI_BASE_URL.
    await chat.send('Hello again, what can you do?');
    const again = await w.passwordBox('Switchboard: Set API Key');
    await again.fill(KEY);
    await again.press('Enter');
    const answer = await chat.waitForAnswer(1, 30_000);
    assert.equal(answer.state, 'done', `answered (${answer.error ?? ''})`);
    const sent = chatRequests(sim);
    assert.equal(sent.length, 1);
    assert.ok(sent[0]!.keyOk, 'with the key the user typed');
    assert.equal(capture.requests.length, 0, 'OPENAI_BASE_URL never received anything');
    const logs = w.server.logs();
    assert.ok(!logs.includes(KEY) && !logs.includes(ENV_KEY), 'no key in code-server / extension host output');
  });
});

describe('Switchboard end to end: the first run in a fresh profile', function () {
  this.timeout(180_000);
  let wb: Workbench | undefined;

  before(async function () {
    this.timeout(600_000);
    await prepare();
    // A startup editor, not the tests' `none` (which Switchboard takes as "open nothing"). Not the Welcome page
    // either: on a brand-new VS Code profile that opens VS Code's own first-launch walkthrough in the same
    // (single) walkthrough editor, so Switchboard's is then one click away on it rather than in front.
    wb = await Workbench.open({ name: 'first-run', userSettings: { 'workbench.startupEditor': 'newUntitledFile' } });
  });

  screenshotEachTest(() => wb);

  after(async function () {
    this.timeout(60_000);
    await wb?.close().catch(() => undefined);
  });

  it('26. the Get Started walkthrough opens by itself on a fresh profile, its steps run the commands, and it stays closed after a reload', async () => {
    const w = wb!;
    const page = w.page;
    const steps = ['Set your gateway key', 'Review a selection from the right-click menu', 'Open the chat', 'Look at the routing table'];
    const walkthrough = page.locator('.gettingStartedContainer');
    await walkthrough.filter({ hasText: 'Get Started with Switchboard' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    for (const step of steps) assert.ok(await walkthrough.getByText(step, { exact: true }).first().isVisible(), `step "${step}" is listed`);
    // The first step's button asks for the key, as Set API Key does.
    await walkthrough.getByRole('button', { name: 'Set API Key' }).first().click();
    const input = await w.passwordBox('Switchboard: Set API Key');
    await input.press('Escape');
    // Once is enough: after a reload it does not open again by itself...
    await w.palette('View: Close All Editors');
    await w.reload();
    await sleep(3000);
    assert.equal(await walkthrough.count(), 0, 'the walkthrough does not open again');
    // ...and the palette brings it back.
    await w.palette('Switchboard: Get Started');
    await walkthrough.filter({ hasText: 'Get Started with Switchboard' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  });
});

describe('Switchboard end to end: an untrusted folder (Restricted Mode)', function () {
  this.timeout(180_000);
  let sim: Simulator;
  let wb: Workbench | undefined;

  before(async function () {
    this.timeout(600_000);
    await prepare();
    sim = await startSimulator({ apiKey: KEY });
    wb = await Workbench.open({
      name: 'untrusted',
      untrusted: true,
      files: { '.vscode/settings.json': JSON.stringify({ 'switchboard.routes': { general_qa: { primary: 'ws-route-model' } } }, null, 2) },
      userSettings: { 'switchboard.baseUrl': sim.url },
      // The simulator's key, honoured only because the gateway is on loopback (src/extension.ts).
      env: { SWITCHBOARD_DEMO_KEY: KEY },
    });
  });

  screenshotEachTest(() => wb);

  after(async function () {
    this.timeout(60_000);
    await wb?.close().catch(() => undefined);
    await sim?.close();
  });

  it('12. the panel says Restricted Mode, the workspace route override is ignored and the model gets no tools', async () => {
    const chat = await wb!.openChat();
    await chat.frame.locator('[data-testid=restricted]').waitFor({ state: 'visible', timeout: 10_000 });
    assert.match((await chat.frame.locator('[data-testid=restricted]').textContent()) ?? '', /Restricted Mode/);
    await chat.send('What is a monad?');
    const answer = await chat.waitForAnswer(0, 30_000);
    assert.equal(answer.state, 'done', `answered (${answer.error ?? ''})`);
    assert.equal(answer.model, 'gpt-5-mini', 'the default general Q&A model, not the workspace override');
    assert.deepEqual(chatRequests(sim).map((r) => r.model), ['gpt-5-mini']);
    assert.equal(chatRequests(sim)[0]!.body.tools, undefined, 'no editor tools in an untrusted workspace');
  });
});
