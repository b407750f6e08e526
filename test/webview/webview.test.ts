/**
 * The chat webview in a real Chromium: what a user sees and what the view posts to the host.
 * Run: npx mocha test/webview/webview.test.ts
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import type { UiMessage, ViewState } from '../../src/protocol';
import { clearPosted, cspViolations, hostSend, openPage, posted, savedState, startHarness, type Harness } from './harness';
import { longAnswer, prng } from './markdownSamples';

// Browser globals, for the functions that run inside the page (the root tsconfig has no DOM lib).
declare const window: any;
declare const document: any;

function state(overrides: Partial<ViewState> = {}): ViewState {
  return { messages: [], draft: '', task: 'auto', model: 'auto', models: ['gpt-5', 'claude-sonnet-4', 'gpt-5-mini'], restricted: false, busy: false, hasKey: true, chips: [], history: [], ...overrides };
}

function msg(overrides: Partial<UiMessage> & Pick<UiMessage, 'id' | 'role'>): UiMessage {
  return { text: '', state: 'done', failovers: [], ...overrides };
}

async function until<T>(page: Page, fn: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last value ${JSON.stringify(v)}`);
    await page.waitForTimeout(20);
  }
}

/** Waits for posted messages of a type and returns them. */
async function postedOf<T extends string>(page: Page, type: T, count = 1) {
  const all = await until(page, () => posted(page), (m) => m.filter((x) => x.type === type).length >= count, `${count} posted "${type}"`);
  return all.filter((m): m is Extract<typeof m, { type: T }> => m.type === type);
}

const message = (page: Page, id: string) => page.locator(`[data-testid="message"][data-id="${id}"]`);

describe('chat webview (Chromium)', function () {
  this.timeout(60_000);
  let h: Harness;
  let page: Page;

  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h?.close();
  });
  beforeEach(async () => {
    page = await openPage(h);
  });
  afterEach(async () => {
    // A view that needs 'unsafe-inline' styles or loads anything the CSP forbids would show up here.
    assert.deepEqual(await cspViolations(page), []);
    await page.close();
  });

  describe('conversation', () => {
    it('posts ready on load and renders a snapshot with roles and the answering model', async () => {
      assert.deepEqual((await posted(page))[0], { type: 'ready' });
      await hostSend(page, {
        type: 'snapshot',
        state: state({
          messages: [
            msg({ id: 'u1', role: 'user', text: 'Explain <b>this</b>\n**not markdown**' }),
            msg({ id: 'a1', role: 'assistant', text: 'It **routes** requests.', model: 'gpt-5-mini', task: 'general_qa', taskReason: 'chosen in the task picker' }),
          ],
        }),
      });
      const messages = page.getByTestId('message');
      await assert.doesNotReject(messages.nth(1).waitFor());
      assert.equal(await messages.count(), 2);
      assert.equal(await messages.nth(0).getAttribute('data-role'), 'user');
      assert.equal(await messages.nth(1).getAttribute('data-role'), 'assistant');
      assert.equal(await messages.nth(1).getAttribute('data-model'), 'gpt-5-mini');
      // The user's words are text, never HTML or markdown.
      assert.equal(await messages.nth(0).locator('.msg-body').textContent(), 'Explain <b>this</b>\n**not markdown**');
      assert.equal(await messages.nth(0).locator('b, strong').count(), 0);
      assert.equal(await messages.nth(1).locator('strong').textContent(), 'routes');
      assert.equal(await messages.nth(1).locator('.msg-header .task').textContent(), 'General Q&A');
      assert.equal(await messages.nth(1).getByTestId('route-reason').textContent(), 'chosen in the task picker');
      assert.equal(await page.locator('.messages').getAttribute('aria-live'), 'polite');
    });

    it("shows a fenced selection in the user's turn as code, without the fence lines, and nothing else as markup", async () => {
      const text = 'Review app.ts:1-2\n\n```typescript\nconst a = 1 < 2;\n<b>x</b>\n```\nand **this** too';
      await hostSend(page, { type: 'snapshot', state: state({ messages: [msg({ id: 'u1', role: 'user', text })] }) });
      const body = message(page, 'u1').locator('.msg-body');
      await body.locator('pre code').waitFor();
      assert.equal(await body.locator('pre code').textContent(), 'const a = 1 < 2;\n<b>x</b>');
      assert.equal(await body.locator('b, strong').count(), 0);
      const shown = (await body.textContent()) ?? '';
      assert.ok(!shown.includes('```'), shown);
      assert.ok(shown.startsWith('Review app.ts:1-2') && shown.endsWith('and **this** too'), shown);
    });

    it('streams deltas into the answer, busy for screen readers until it is done', async () => {
      await hostSend(page, { type: 'snapshot', state: state({ busy: true }) });
      await hostSend(page, { type: 'append', message: msg({ id: 'u1', role: 'user', text: 'hi' }) });
      await hostSend(page, { type: 'append', message: msg({ id: 'a1', role: 'assistant', state: 'streaming' }) });
      const answer = message(page, 'a1');
      assert.equal(await answer.getAttribute('data-model'), '');
      assert.equal(await answer.getAttribute('aria-busy'), 'true');
      assert.equal(await answer.locator('.busy-dots').count(), 1);
      await hostSend(page, { type: 'update', message: msg({ id: 'a1', role: 'assistant', state: 'streaming', model: 'gpt-5' }) });
      for (const part of ['Hello', ' there, ', 'this is ', '*streamed*', ' text.']) await hostSend(page, { type: 'delta', id: 'a1', text: part });
      await until(page, () => answer.locator('.msg-body').textContent(), (t) => t?.trim() === 'Hello there, this is streamed text.', 'streamed text');
      assert.equal(await answer.getAttribute('data-model'), 'gpt-5');
      assert.equal(await answer.locator('.msg-body em').textContent(), 'streamed');
      await hostSend(page, { type: 'update', message: msg({ id: 'a1', role: 'assistant', state: 'done', model: 'gpt-5', text: 'Hello there, this is *streamed* text.' }) });
      await hostSend(page, { type: 'busy', busy: false });
      assert.equal(await answer.getAttribute('aria-busy'), 'false');
      assert.equal(await answer.locator('.busy-dots').count(), 0);
    });

    it('keeps rendered blocks when an update only changes the state or grows the text', async () => {
      const text = 'First paragraph.\n\n```js\nconst a = 1;\n```\n\nSecond';
      await hostSend(page, { type: 'snapshot', state: state({ messages: [msg({ id: 'a1', role: 'assistant', state: 'streaming', text, model: 'gpt-5' })] }) });
      await page.evaluate(() => {
        document.querySelector('[data-id="a1"] .msg-body p').__marker = 'kept';
      });
      await hostSend(page, { type: 'update', message: msg({ id: 'a1', role: 'assistant', state: 'done', text: `${text} paragraph.`, model: 'claude-sonnet-4' }) });
      assert.equal(await page.evaluate(() => document.querySelector('[data-id="a1"] .msg-body p').__marker), 'kept');
      assert.equal(await message(page, 'a1').getAttribute('data-model'), 'claude-sonnet-4');
      assert.equal(await message(page, 'a1').locator('.msg-body p').last().textContent(), 'Second paragraph.');
      // A retry clears the text: the answer starts over.
      await hostSend(page, { type: 'update', message: msg({ id: 'a1', role: 'assistant', state: 'streaming', text: '' }) });
      await until(page, () => message(page, 'a1').locator('.msg-body').textContent(), (t) => t?.trim() === '', 'cleared answer');
    });

    it('shows the rate-limit notice while waiting and "stopped" for a cancelled answer', async () => {
      await hostSend(page, {
        type: 'snapshot',
        state: state({
          messages: [
            msg({ id: 'a1', role: 'assistant', state: 'waiting', notice: 'rate-limited, retrying in 3 s' }),
            msg({ id: 'a2', role: 'assistant', state: 'cancelled', text: 'Partial', model: 'gpt-5' }),
          ],
        }),
      });
      assert.equal(await message(page, 'a1').locator('.notice').textContent(), 'rate-limited, retrying in 3 s');
      assert.equal(await message(page, 'a1').getAttribute('aria-busy'), 'true');
      assert.equal(await message(page, 'a2').locator('.stopped').textContent(), 'stopped');
      await message(page, 'a2').getByRole('button', { name: 'Ask again' }).click();
      assert.deepEqual((await postedOf(page, 'retry'))[0], { type: 'retry', id: 'a2' });
    });

    it('shows a failover note that expands from the keyboard', async () => {
      const failovers = [
        { from: 'gpt-5', to: 'claude-sonnet-4', summary: 'gpt-5 answered 503 Service Unavailable' },
      ];
      await hostSend(page, { type: 'snapshot', state: state({ messages: [msg({ id: 'a1', role: 'assistant', text: 'Done.', model: 'claude-sonnet-4', failovers, task: 'code_review' })] }) });
      const note = message(page, 'a1').getByTestId('failover-note');
      assert.equal(await note.locator('summary').textContent(), 'Answered by claude-sonnet-4 after gpt-5 failed');
      assert.equal(await message(page, 'a1').locator('.msg-header .via').textContent(), 'via failover');
      assert.equal(await note.locator('li').isVisible(), false);
      await note.locator('summary').focus();
      await page.keyboard.press('Enter');
      await note.locator('li').waitFor({ state: 'visible' });
      assert.equal(await note.locator('li').textContent(), 'gpt-5 → claude-sonnet-4: gpt-5 answered 503 Service Unavailable');
      // Another failover arrives: the note stays open and lists both.
      failovers.push({ from: 'claude-sonnet-4', to: 'gemini-2.5-pro', summary: 'stalled' });
      await hostSend(page, { type: 'update', message: msg({ id: 'a1', role: 'assistant', text: 'Done.', model: 'gemini-2.5-pro', failovers }) });
      assert.equal(await note.locator('li').count(), 2);
      assert.equal(await note.getAttribute('open'), '');
      assert.equal(await note.locator('summary').textContent(), 'Answered by gemini-2.5-pro after gpt-5 and claude-sonnet-4 failed');
    });

    it('says when an answer was hedged and which model won, in words a screen reader reads too', async () => {
      await hostSend(page, {
        type: 'snapshot',
        state: state({ messages: [msg({ id: 'a1', role: 'assistant', text: 'Done.', model: 'claude-sonnet-4', hedge: { winner: 'claude-sonnet-4', loser: 'gpt-5', afterMs: 1250 } })] }),
      });
      const badge = message(page, 'a1').getByTestId('hedged');
      assert.equal(await badge.textContent(), 'hedged over gpt-5');
      assert.equal(await badge.getAttribute('aria-label'), 'Hedged: gpt-5 sent nothing for 1.3 s, so claude-sonnet-4 was asked too and answered first; gpt-5 was stopped.');
      assert.equal(await message(page, 'a1').locator('.msg-header .via').count(), 0, 'a hedge is not a failover');
      await hostSend(page, { type: 'update', message: msg({ id: 'a1', role: 'assistant', text: 'Done.', model: 'gpt-5' }) });
      assert.equal(await message(page, 'a1').getByTestId('hedged').count(), 0);
    });

    it('streams reasoning into a collapsed Thinking section above the answer, apart from its text', async () => {
      await hostSend(page, { type: 'snapshot', state: state({ messages: [msg({ id: 'a1', role: 'assistant', state: 'streaming' })] }) });
      const thinking = message(page, 'a1').getByTestId('thinking');
      assert.equal(await thinking.isVisible(), false, 'no section before any reasoning');
      await hostSend(page, { type: 'reasoning', id: 'a1', text: 'The user asks <b>how</b> ' });
      await hostSend(page, { type: 'reasoning', id: 'a1', text: 'many r letters.' });
      await thinking.waitFor({ state: 'visible' });
      assert.equal(await thinking.getAttribute('open'), null, 'collapsed');
      assert.equal(await thinking.locator('.thinking-text').isVisible(), false);
      await hostSend(page, { type: 'delta', id: 'a1', text: 'There are three.' });
      await thinking.locator('summary').focus();
      await page.keyboard.press('Enter');
      assert.equal(await thinking.locator('.thinking-text').textContent(), 'The user asks <b>how</b> many r letters.', 'plain text, never markup');
      await until(page, () => message(page, 'a1').locator('.msg-body').textContent(), (t) => t?.trim() === 'There are three.', 'the answer text');
      // A full update (the end of the answer, or a reload's snapshot) keeps the section and its text.
      await hostSend(page, { type: 'update', message: msg({ id: 'a1', role: 'assistant', text: 'There are three.', reasoning: 'The user asks <b>how</b> many r letters.', model: 'deepseek-v4' }) });
      assert.equal(await thinking.locator('.thinking-text').textContent(), 'The user asks <b>how</b> many r letters.');
      assert.equal(await thinking.getAttribute('open'), '', 'stays open once the user opened it');
    });

    it('shows each tool step as it runs, with its arguments and result on expanding', async () => {
      const running = { id: 't1', name: 'read_file', args: '{"path":"src/a.ts"}', state: 'running' as const };
      await hostSend(page, { type: 'snapshot', state: state({ messages: [msg({ id: 'a1', role: 'assistant', state: 'streaming', text: 'Reading src/a.ts.', tools: [running] })] }) });
      const step = message(page, 'a1').getByTestId('tool-step');
      await step.waitFor();
      assert.equal(await step.getAttribute('data-tool'), 'read_file');
      assert.equal(await step.getAttribute('data-state'), 'running');
      assert.match((await step.locator('summary').textContent()) ?? '', /read_file.*running…/);
      await step.locator('summary').click();
      const done = { ...running, state: 'done' as const, summary: 'read src/a.ts (3 lines)', detail: 'export const a = 1;' };
      const refused = { id: 't2', name: 'read_file', args: '{"path":".env"}', state: 'error' as const, summary: 'refused: .env is excluded from tools (**/.env*)' };
      await hostSend(page, { type: 'update', message: msg({ id: 'a1', role: 'assistant', state: 'streaming', text: 'Reading src/a.ts.', tools: [done, refused] }) });
      assert.equal(await step.count(), 2);
      assert.equal(await step.nth(0).getAttribute('open'), '', 'the expanded step stays expanded');
      assert.equal(await step.nth(0).locator('.tool-args').textContent(), '{"path":"src/a.ts"}');
      assert.equal(await step.nth(0).locator('.tool-detail').textContent(), 'export const a = 1;');
      assert.equal(await step.nth(1).getAttribute('data-state'), 'error');
      assert.match((await step.nth(1).locator('summary').textContent()) ?? '', /refused: \.env is excluded/);
    });

    it('offers Apply, Reject and Show Diff on a proposed edit, from the keyboard too', async () => {
      const waiting = { id: 't1', name: 'propose_edit', args: '{"path":"a.ts"}', state: 'waiting' as const, summary: 'waiting for you: apply or reject the edit to a.ts' };
      await hostSend(page, { type: 'snapshot', state: state({ messages: [msg({ id: 'a1', role: 'assistant', state: 'streaming', tools: [waiting] })] }) });
      const proposal = message(page, 'a1').getByTestId('proposal');
      await proposal.waitFor();
      assert.match((await proposal.textContent()) ?? '', /waiting for you: apply or reject the edit to a\.ts/);
      await proposal.getByRole('button', { name: 'Show the proposed edit as a diff' }).click();
      await proposal.getByRole('button', { name: 'Apply the proposed edit' }).focus();
      await page.keyboard.press('Enter');
      assert.deepEqual(await postedOf(page, 'proposal', 2), [
        { type: 'proposal', id: 'a1', step: 't1', decision: 'show' },
        { type: 'proposal', id: 'a1', step: 't1', decision: 'apply' },
      ]);
      // Decided: the buttons go, the step says what happened.
      await hostSend(page, { type: 'update', message: msg({ id: 'a1', role: 'assistant', state: 'streaming', tools: [{ ...waiting, state: 'done', summary: 'applied to a.ts' }] }) });
      assert.equal(await proposal.count(), 0);
      assert.match((await message(page, 'a1').getByTestId('tool-step').textContent()) ?? '', /applied to a\.ts/);
    });

    it('shows attached context as removable chips, and on the question they went with', async () => {
      const chips = [
        { id: 'c1', label: 'review.ts:2-4', title: 'src/review.ts, lines 2-4 · 120 characters' },
        { id: 'c2', label: 'notes.md', title: 'notes.md · 800 characters' },
      ];
      await hostSend(page, { type: 'snapshot', state: state({ chips }) });
      const chip = page.getByTestId('context-chip');
      await chip.nth(1).waitFor();
      assert.deepEqual(await chip.evaluateAll((els: any[]) => els.map((e) => [e.querySelector('.chip-label').textContent, e.title])), chips.map((c) => [c.label, c.title]));
      await page.getByRole('button', { name: 'Remove notes.md' }).focus();
      await page.keyboard.press('Enter');
      await page.getByTestId('attach').click();
      assert.deepEqual((await postedOf(page, 'removeChip'))[0], { type: 'removeChip', id: 'c2' });
      assert.deepEqual((await postedOf(page, 'attach'))[0], { type: 'attach' });
      // Sent: the chips leave the input and show on the user's turn.
      await hostSend(page, { type: 'chips', chips: [] });
      await hostSend(page, { type: 'append', message: msg({ id: 'u1', role: 'user', text: 'What does this do?', chips: ['review.ts:2-4'] }) });
      assert.equal(await chip.count(), 0);
      assert.equal(await page.getByTestId('chips').isVisible(), false);
      assert.equal(await message(page, 'u1').getByTestId('sent-chip').textContent(), 'review.ts:2-4');
      assert.match((await message(page, 'u1').textContent()) ?? '', /What does this do\?/);
    });

    it('shows an error with its fix and a retry', async () => {
      await hostSend(page, {
        type: 'snapshot',
        state: state({
          messages: [
            msg({ id: 'a1', role: 'assistant', state: 'error', error: { text: 'The gateway rejected the API key (401).', fix: 'setApiKey' } }),
            msg({ id: 'a2', role: 'assistant', state: 'error', error: { text: 'The base URL is not valid.', fix: 'openSettings' } }),
          ],
        }),
      });
      const error = message(page, 'a1').getByTestId('error');
      assert.equal(await error.locator('.error-text').textContent(), 'The gateway rejected the API key (401).');
      await error.getByRole('button', { name: 'Set API Key' }).click();
      await message(page, 'a2').getByTestId('error').getByRole('button', { name: 'Open Settings' }).click();
      await error.getByRole('button', { name: 'Ask again' }).click();
      const all = await until(page, () => posted(page), (m) => m.length >= 4, 'three clicks');
      assert.deepEqual(all.slice(1), [
        { type: 'fix', fix: 'setApiKey' },
        { type: 'fix', fix: 'openSettings' },
        { type: 'retry', id: 'a1' },
      ]);
    });

    it('shows the restricted-mode banner and the missing-key hint', async () => {
      await hostSend(page, { type: 'snapshot', state: state({ restricted: true, hasKey: false }) });
      assert.equal(await page.getByTestId('restricted').textContent(), 'Restricted Mode: workspace settings are ignored until you trust this folder.');
      assert.ok(await page.getByTestId('restricted').isVisible());
      await page.getByTestId('no-key').getByRole('button', { name: 'Set API Key' }).click();
      assert.deepEqual((await postedOf(page, 'fix'))[0], { type: 'fix', fix: 'setApiKey' });
      await hostSend(page, { type: 'snapshot', state: state() });
      assert.equal(await page.getByTestId('restricted').isVisible(), false);
      assert.equal(await page.getByTestId('no-key').isVisible(), false);
    });

    it('ignores malformed host messages', async () => {
      const warnings: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'warning') warnings.push(m.text());
      });
      await hostSend(page, { type: 'snapshot', state: { messages: 'nope' } } as Record<string, unknown>);
      await hostSend(page, { type: 'append', message: { id: 'x', role: 'robot', text: 1 } } as Record<string, unknown>);
      await hostSend(page, { type: 'evil', html: '<img src=x>' });
      await hostSend(page, { type: 'append', message: msg({ id: 'ok', role: 'assistant', text: 'still alive' }) });
      await message(page, 'ok').waitFor();
      assert.equal(await page.getByTestId('message').count(), 1);
      assert.equal(warnings.filter((w) => w.includes('malformed')).length, 3);
    });
  });

  describe('conversation history', () => {
    const past = [
      { id: 'c-old', title: 'Why does my useEffect run twice?', createdAt: Date.UTC(2026, 10, 1, 9), updatedAt: Date.UTC(2026, 10, 1, 10), count: 4 },
      { id: 'c-older', title: '请把这段代码翻译成英文', createdAt: Date.UTC(2026, 9, 1), updatedAt: Date.UTC(2026, 9, 2), count: 1 },
    ];

    it('lists the current conversation first, then past ones with date and size; Open, Rename and Delete ask the host', async () => {
      await hostSend(page, {
        type: 'snapshot',
        state: state({ messages: [msg({ id: 'u1', role: 'user', text: 'Average of a list' })], conversation: { id: 'c-now', title: 'Average of a list' }, history: past }),
      });
      const panel = page.getByTestId('history');
      assert.equal(await panel.isVisible(), false, 'closed until asked for');
      await page.getByTestId('history-toggle').click();
      await panel.waitFor({ state: 'visible' });
      assert.equal(await page.getByTestId('history-toggle').getAttribute('aria-expanded'), 'true');
      assert.equal(await message(page, 'u1').isVisible(), false, 'the list takes the messages\' place');
      assert.deepEqual(await page.getByTestId('history-title').allInnerTexts(), ['Average of a list', 'Why does my useEffect run twice?', '请把这段代码翻译成英文']);
      const rows = page.getByTestId('history-item');
      assert.match(await rows.nth(0).innerText(), /current/);
      assert.match(await rows.nth(1).innerText(), /4 messages/);
      assert.match(await rows.nth(2).innerText(), /1 message$/m);
      await page.getByRole('button', { name: 'Rename “Why does my useEffect run twice?”' }).click();
      await page.getByRole('button', { name: 'Delete “请把这段代码翻译成英文”' }).click();
      await rows.nth(1).locator('.history-open').click();
      const asked = await postedOf(page, 'conversation', 3);
      assert.deepEqual(asked, [
        { type: 'conversation', id: 'c-old', action: 'rename' },
        { type: 'conversation', id: 'c-older', action: 'delete' },
        { type: 'conversation', id: 'c-old', action: 'open' },
      ]);
      assert.equal(await panel.isVisible(), false, 'opening one goes back to the messages');
      assert.equal(await message(page, 'u1').isVisible(), true);
    });

    it('is reachable by keyboard: focus lands on the first entry, Escape goes back', async () => {
      await hostSend(page, { type: 'snapshot', state: state({ history: past }) });
      await hostSend(page, { type: 'showHistory' });
      await page.getByTestId('history').waitFor({ state: 'visible' });
      assert.equal(await page.evaluate(() => document.activeElement?.closest('[data-testid=history-item]')?.dataset.id), 'c-old');
      await page.keyboard.press('Enter');
      assert.deepEqual((await postedOf(page, 'conversation'))[0], { type: 'conversation', id: 'c-old', action: 'open' });
      await hostSend(page, { type: 'showHistory' });
      await page.getByTestId('history').waitFor({ state: 'visible' });
      await page.keyboard.press('Escape');
      await page.getByTestId('history').waitFor({ state: 'hidden' });
    });

    it('updates the list when the host renames or deletes, and says when there is nothing yet', async () => {
      await hostSend(page, { type: 'snapshot', state: state({ history: past }) });
      await page.getByTestId('history-toggle').click();
      await hostSend(page, { type: 'history', conversation: { id: 'c-now', title: 'Untitled conversation' }, history: [{ ...past[0]!, title: 'Effects, twice' }] });
      assert.deepEqual(await page.getByTestId('history-title').allInnerTexts(), ['Effects, twice'], 'an empty current conversation is not listed');
      await hostSend(page, { type: 'history', conversation: { id: 'c-now', title: 'Untitled conversation' }, history: [] });
      assert.match(await page.getByTestId('history-list').innerText(), /No past conversations yet/);
    });
  });

  describe('code blocks', () => {
    it('highlights fenced code and posts Copy / Insert with the code', async () => {
      const code = 'function add(a: number, b: number) {\n  return a + b; // sum\n}';
      await hostSend(page, { type: 'snapshot', state: state({ messages: [msg({ id: 'a1', role: 'assistant', text: `Here:\n\n\`\`\`typescript\n${code}\n\`\`\`\n`, model: 'gpt-5' })] }) });
      const block = message(page, 'a1').locator('.code-block');
      assert.ok((await block.locator('.hljs-keyword').count()) > 0, 'keywords are highlighted');
      assert.equal(await block.locator('.code-lang').textContent(), 'typescript');
      await block.getByRole('button', { name: 'Copy code' }).click();
      await block.getByRole('button', { name: 'Insert code at the cursor' }).focus();
      await page.keyboard.press('Enter');
      const all = await until(page, () => posted(page), (m) => m.length >= 3, 'copy and insert');
      assert.deepEqual(all.slice(1), [
        { type: 'copy', text: code },
        { type: 'insert', text: code },
      ]);
    });

    it('shows why Auto routing chose the task, with its confidence, and re-routes in one choice', async () => {
      await hostSend(page, {
        type: 'snapshot',
        state: state({
          messages: [
            msg({ id: 'u1', role: 'user', text: '请把这句话翻译成英文：明天开会' }),
            msg({ id: 'a1', role: 'assistant', text: 'We meet tomorrow.', model: 'deepseek-v4', task: 'translation', taskReason: '“翻译”', confidence: 0.94 }),
            msg({ id: 'a2', role: 'assistant', text: '…', state: 'streaming', task: 'general_qa', taskReason: 'unsure (31% data analysis)' }),
          ],
        }),
      });
      const answer = message(page, 'a1');
      assert.equal(await answer.getAttribute('data-task'), 'translation');
      assert.equal(await answer.locator('.msg-header .task').textContent(), 'Translation');
      assert.equal(await answer.getByTestId('route-reason').textContent(), '“翻译”, 94%');
      assert.equal(await message(page, 'a2').getByTestId('route-reason').textContent(), 'unsure (31% data analysis)');
      // No re-route while an answer is still streaming.
      assert.equal(await message(page, 'a2').getByTestId('reroute').count(), 0);
      const reroute = answer.getByTestId('reroute');
      assert.equal(await reroute.getAttribute('aria-label'), 'Ask the same question again as another task');
      const options = await reroute.locator('option').allTextContents();
      assert.ok(!options.includes('Translation'), 'the current task is not offered again');
      assert.equal(options.length, 8); // the prompt and the seven other tasks
      await reroute.selectOption('general_qa');
      assert.deepEqual((await postedOf(page, 'reroute'))[0], { type: 'reroute', id: 'a1', task: 'general_qa' });
      assert.equal(await reroute.inputValue(), '', 'the control resets to its prompt');
    });

    it('offers "Replace comment" on a replaceable answer', async () => {
      await hostSend(page, { type: 'snapshot', state: state({ messages: [msg({ id: 'a1', role: 'assistant', text: '// Adds two numbers', replaceable: true, task: 'translation' })] }) });
      await message(page, 'a1').getByRole('button', { name: 'Replace the comment with this translation' }).click();
      assert.deepEqual((await postedOf(page, 'replaceComment'))[0], { type: 'replaceComment', id: 'a1' });
    });
  });

  describe('untrusted model output', () => {
    let trap: http.Server;
    let trapHits: string[];
    let trapOrigin: string;

    before(async () => {
      trapHits = [];
      trap = http.createServer((req, res) => {
        trapHits.push(req.url ?? '');
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end();
      });
      await new Promise<void>((ok) => trap.listen(0, '127.0.0.1', ok));
      trapOrigin = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`;
    });
    after(async () => {
      trap.closeAllConnections();
      await new Promise<void>((ok) => trap.close(() => ok()));
    });

    const attack = (o: string) => `Look: <img src="${o}/img.png"> and ![chart](${o}/md.png)

<img src=x onerror="window.__pwned = 'onerror'">
<script>window.__pwned = 'script'</script>

Links: <a href="javascript:window.__pwned='js-html'">html js link</a> [md js link](javascript:window.__pwned='js-md') [data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)

<svg><image href="${o}/svg.png"/></svg><video src="${o}/v.mp4" autoplay></video><audio src="${o}/a.mp3" autoplay></audio>
<picture><source srcset="${o}/p.png"></picture><iframe src="${o}/frame"></iframe><object data="${o}/obj"></object><embed src="${o}/embed">
<link rel="stylesheet" href="${o}/style.css"><style>@import url(${o}/import.css); body { background: url(${o}/bg.png) }</style>
<div style="background-image: url(${o}/inline.png)">styled</div><table background="${o}/table.png"><tr><td>cell</td></tr></table>
<form action="${o}/form"><input name="q" value="${o}/input.png" type="image" src="${o}/input.png"><button formaction="${o}/x">go</button></form>
<meta http-equiv="refresh" content="0; url=${o}/meta"><base href="${o}/">
<div class="banner restricted code-block" data-testid="restricted" id="app">fake banner</div>
<a href="${o}/safe" onclick="window.__pwned='onclick'" data-action="insert">plain link</a>
`;

    async function assertInert(p: Page, requests: string[]) {
      const answer = message(p, 'a1');
      await until(p, () => answer.locator('.msg-body').textContent(), (t) => (t ?? '').includes('plain link'), 'the answer');
      // Give anything that could load a chance to try.
      await p.waitForTimeout(300);
      // First what matters most: nothing reached the attacker's server.
      assert.deepEqual(trapHits, [], 'the page made no request to the attacker');
      assert.deepEqual(requests.filter((u) => u.startsWith(trapOrigin)), []);
      const found = await p.evaluate(() => {
        const body = document.querySelector('[data-id="a1"] .msg-body');
        const all = Array.from(body.querySelectorAll('*')) as any[];
        return {
          tags: [...new Set(all.map((e) => e.tagName.toLowerCase()))].sort(),
          attrs: [...new Set(all.flatMap((e) => Array.from(e.attributes).map((a: any) => a.name)))].sort(),
          hrefs: Array.from(body.querySelectorAll('a[href]')).map((a: any) => a.getAttribute('href')),
          classes: [...new Set(all.flatMap((e) => Array.from(e.classList) as string[]))].sort(),
          pwned: window.__pwned,
        };
      });
      const forbidden = ['img', 'script', 'svg', 'image', 'video', 'audio', 'picture', 'source', 'iframe', 'object', 'embed', 'link', 'style', 'form', 'input', 'button', 'meta', 'base'];
      assert.deepEqual(found.tags.filter((t: string) => forbidden.includes(t)), [], `tags: ${found.tags}`);
      assert.deepEqual(found.attrs.filter((a: string) => a.startsWith('on') || a === 'style' || a.startsWith('data-') || a === 'src' || a === 'background' || a === 'id'), []);
      assert.deepEqual(found.hrefs, [`${trapOrigin}/safe`]);
      // Model output cannot dress up as the UI.
      assert.deepEqual(found.classes.filter((c: string) => !/^(md-|hljs|language-)/.test(c)), [], `classes: ${found.classes}`);
      assert.equal(await p.getByTestId('restricted').count(), 1);
      for (const name of ['html js link', 'md js link', 'data link']) await p.getByText(name, { exact: true }).click();
      await p.waitForTimeout(100);
      assert.equal(await p.evaluate(() => window.__pwned), undefined);
      assert.deepEqual((await posted(p)).filter((m) => m.type !== 'ready' && m.type !== 'draft'), []);
      assert.deepEqual(trapHits, []);
    }

    it('renders hostile markup inert and never contacts its servers (snapshot)', async () => {
      // This page's CSP allows the trap origin, so only the sanitiser stands in the way.
      const p = await openPage(h, { allowOrigin: trapOrigin });
      const requests: string[] = [];
      p.on('request', (r) => requests.push(r.url()));
      await hostSend(p, { type: 'snapshot', state: state({ messages: [msg({ id: 'a1', role: 'assistant', text: attack(trapOrigin), model: 'gpt-5' })] }) });
      await assertInert(p, requests);
      await p.close();
    });

    it('renders hostile markup inert while it streams in pieces', async () => {
      const p = await openPage(h, { allowOrigin: trapOrigin });
      const requests: string[] = [];
      p.on('request', (r) => requests.push(r.url()));
      await hostSend(p, { type: 'snapshot', state: state({ messages: [msg({ id: 'a1', role: 'assistant', text: '', state: 'streaming' })] }) });
      const text = attack(trapOrigin);
      for (let i = 0; i < text.length; i += 7) await hostSend(p, { type: 'delta', id: 'a1', text: text.slice(i, i + 7) });
      await assertInert(p, requests);
      await p.close();
    });

    it('opens a link only through the host, after a click, without navigating', async () => {
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await hostSend(page, { type: 'snapshot', state: state({ messages: [msg({ id: 'a1', role: 'assistant', text: 'See [the docs](https://example.com/docs?a=1) or <mailto:team@example.com>.' })] }) });
      const url = page.url();
      await page.getByRole('link', { name: 'the docs' }).click();
      await page.getByRole('link', { name: 'team@example.com' }).focus();
      await page.keyboard.press('Enter');
      await page.getByRole('link', { name: 'the docs' }).click({ button: 'middle' });
      const links = await postedOf(page, 'openLink', 2);
      assert.deepEqual(links, [
        { type: 'openLink', href: 'https://example.com/docs?a=1' },
        { type: 'openLink', href: 'mailto:team@example.com' },
      ]);
      assert.equal(page.url(), url);
      assert.deepEqual(requests.filter((u) => !u.startsWith(h.origin)), []);
    });
  });

  describe('input', () => {
    it('sends on Enter with the picked task and model; Shift+Enter adds a line', async () => {
      await hostSend(page, { type: 'snapshot', state: state({ task: 'code_review', model: 'claude-sonnet-4' }) });
      const input = page.getByTestId('chat-input');
      assert.equal(await page.getByRole('combobox', { name: 'Task' }).inputValue(), 'code_review');
      assert.equal(await page.getByRole('combobox', { name: 'Model' }).inputValue(), 'claude-sonnet-4');
      await input.focus();
      await page.keyboard.press('Enter'); // empty: nothing is sent
      await page.keyboard.type('line one');
      await page.keyboard.press('Shift+Enter');
      await page.keyboard.type('line two');
      assert.equal(await input.inputValue(), 'line one\nline two');
      assert.deepEqual((await posted(page)).filter((m) => m.type === 'send'), []);
      await page.keyboard.press('Enter');
      const [send] = await postedOf(page, 'send');
      assert.deepEqual(send, { type: 'send', text: 'line one\nline two', task: 'code_review', model: 'claude-sonnet-4' });
      assert.equal(await input.inputValue(), '');
      assert.deepEqual(await savedState(page), { draft: '' });
    });

    it('posts picker changes and sends with the new choice from the Send button', async () => {
      await hostSend(page, { type: 'snapshot', state: state() });
      await page.getByRole('combobox', { name: 'Task' }).selectOption('translation');
      await page.getByRole('combobox', { name: 'Model' }).selectOption('gpt-5-mini');
      const picks = await postedOf(page, 'pick', 2);
      assert.deepEqual(picks.at(-1), { type: 'pick', task: 'translation', model: 'gpt-5-mini' });
      const taskOptions = await page.getByRole('combobox', { name: 'Task' }).locator('option').allTextContents();
      assert.equal(taskOptions[0], 'Auto (routed)');
      assert.equal(taskOptions.length, 9);
      assert.deepEqual(await page.getByRole('combobox', { name: 'Model' }).locator('option').allTextContents(), ['Routed', 'gpt-5', 'claude-sonnet-4', 'gpt-5-mini', 'Browse all models…']);
      await page.getByTestId('chat-input').fill('Bonjour');
      await page.getByTestId('send').click();
      assert.deepEqual((await postedOf(page, 'send'))[0], { type: 'send', text: 'Bonjour', task: 'translation', model: 'gpt-5-mini' });
      await page.getByTestId('new-chat').click();
      await postedOf(page, 'newChat');
    });

    it('"Browse all models…" asks the host for the full list and keeps the chosen model shown', async () => {
      await hostSend(page, { type: 'snapshot', state: state() });
      const model = page.getByRole('combobox', { name: 'Model' });
      await model.selectOption('gpt-5');
      await postedOf(page, 'pick', 1);
      await model.selectOption({ label: 'Browse all models…' });
      await postedOf(page, 'pickModel', 1);
      assert.equal(await model.inputValue(), 'gpt-5', 'the select goes back to the model in use');
      // The host answers with a snapshot naming a model from the gateway's list, outside the routed ones.
      await hostSend(page, { type: 'snapshot', state: { ...state(), model: 'llama-4-maverick' } });
      assert.equal(await model.inputValue(), 'llama-4-maverick');
      await page.getByTestId('chat-input').fill('hi');
      await page.getByTestId('send').click();
      assert.equal((await postedOf(page, 'send'))[0]!.model, 'llama-4-maverick');
      assert.equal((await postedOf(page, 'pick', 1)).length, 1, 'browsing is not a pick');
    });

    it('offers Stop only while busy; Stop and Escape post stop', async () => {
      await hostSend(page, { type: 'snapshot', state: state() });
      const stop = page.getByTestId('stop');
      assert.equal(await stop.isVisible(), false);
      await page.getByTestId('chat-input').press('Escape');
      await hostSend(page, { type: 'busy', busy: true });
      assert.ok(await stop.isVisible());
      assert.ok(await stop.isEnabled());
      await stop.click();
      await page.getByTestId('chat-input').press('Escape');
      assert.equal((await postedOf(page, 'stop', 2)).length, 2);
      await hostSend(page, { type: 'busy', busy: false });
      assert.equal(await stop.isVisible(), false);
    });

    it('grows the input with its text', async () => {
      const input = page.getByTestId('chat-input');
      const before = (await input.boundingBox())!.height;
      await input.fill('one\ntwo\nthree\nfour\nfive');
      const after = (await input.boundingBox())!.height;
      assert.ok(after > before * 2, `height ${before} → ${after}`);
    });

    it('focuses the input when the host asks', async () => {
      await hostSend(page, { type: 'focusInput' });
      assert.equal(await page.evaluate(() => document.activeElement?.dataset?.testid), 'chat-input');
    });

    it('saves the draft at once, tells the host after a pause, and restores it after a reload', async () => {
      await hostSend(page, { type: 'snapshot', state: state() });
      await page.getByTestId('chat-input').pressSequentially('half a thought');
      assert.deepEqual(await savedState(page), { draft: 'half a thought' });
      await postedOf(page, 'draft');
      await page.waitForTimeout(400);
      const drafts = (await posted(page)).filter((m) => m.type === 'draft');
      assert.deepEqual(drafts, [{ type: 'draft', text: 'half a thought' }], 'one debounced post for the whole burst');
      await page.reload();
      await page.waitForFunction(() => window.__posted.some((m: { type: string }) => m.type === 'ready'));
      assert.equal(await page.getByTestId('chat-input').inputValue(), 'half a thought');
      // The host's snapshot (older) does not overwrite what this view saved.
      await hostSend(page, { type: 'snapshot', state: state({ draft: 'half a' }) });
      assert.equal(await page.getByTestId('chat-input').inputValue(), 'half a thought');
    });

    it('restores the draft from the snapshot after a restart', async () => {
      await hostSend(page, { type: 'snapshot', state: state({ draft: 'kept by the host' }) });
      assert.equal(await page.getByTestId('chat-input').inputValue(), 'kept by the host');
      assert.deepEqual(await savedState(page), { draft: 'kept by the host' });
      // Later snapshots (new chat, settings) leave what the user is typing alone.
      await page.getByTestId('chat-input').fill('typing');
      await hostSend(page, { type: 'snapshot', state: state({ draft: 'kept by the host' }) });
      assert.equal(await page.getByTestId('chat-input').inputValue(), 'typing');
    });

    it('restores the draft saved in the view state before any snapshot', async () => {
      const p = await openPage(h, { state: { draft: 'from view state' } });
      assert.equal(await p.getByTestId('chat-input').inputValue(), 'from view state');
      await p.close();
    });
  });

  describe('incremental rendering', () => {
    let rp: Page;
    beforeEach(async () => {
      rp = await openPage(h, { page: 'render' });
    });
    afterEach(async () => {
      await rp.close();
    });

    /** Streams `text` in random pieces (flushing at random points) and renders it in one go; returns both DOMs. */
    async function streamVsOnce(text: string, seed: number, reference = text) {
      const rnd = prng(seed);
      const chunks: string[] = [];
      const flushes: boolean[] = [];
      for (let i = 0; i < text.length; ) {
        const n = 1 + Math.floor(rnd() * (rnd() < 0.1 ? 200 : 12));
        chunks.push(text.slice(i, i + n));
        flushes.push(rnd() < 0.6);
        i += n;
      }
      return rp.evaluate(
        ({ chunks, flushes, reference }) => {
          const streamed = document.createElement('div');
          const once = document.createElement('div');
          document.body.append(streamed, once);
          const r = new window.SB.IncrementalRenderer(streamed, { schedule: () => () => {} });
          chunks.forEach((c: string, i: number) => {
            r.append(c);
            if (flushes[i]) r.flush();
          });
          r.finish();
          // Finished blocks are grouped in wrappers (for layout cost); the content must be the same.
          for (const g of Array.from(streamed.querySelectorAll('.md-group')) as any[]) g.replaceWith(...Array.from(g.childNodes));
          window.SB.renderOnce(once, reference);
          return { streamed: streamed.innerHTML, once: once.innerHTML, text: streamed.textContent, stats: r.stats, full: r.text };
        },
        { chunks, flushes, reference },
      );
    }

    for (const seed of [1, 7, 42, 1234, 99991]) {
      it(`streaming in random pieces gives the same DOM as rendering at once (seed ${seed})`, async () => {
        const text = longAnswer(4);
        const r = await streamVsOnce(text, seed);
        assert.equal(r.full, text);
        assert.equal(r.text?.length ? r.text.includes('export function route4') : false, true);
        assert.equal(r.streamed, r.once);
        assert.ok(r.stats.committedBlocks > 40, `blocks were committed along the way (${r.stats.committedBlocks})`);
      });
    }

    it('handles CRLF line endings split across chunks', async () => {
      const text = longAnswer(2);
      const r = await streamVsOnce(text.replace(/\n/g, '\r\n'), 5, text);
      assert.equal(r.streamed, r.once);
    });

    it('keeps a code fence open across chunks, even with markdown-looking lines inside', async () => {
      const text = 'Intro\n\n```md\n# not a heading\n\n- not a list\n\n```\n\nAfter the fence.\n';
      for (const seed of [3, 4, 5]) {
        const r = await streamVsOnce(text, seed);
        assert.equal(r.streamed, r.once);
      }
      const r = await streamVsOnce(text, 3);
      assert.ok(!/<h1|<li/.test(r.streamed), 'fence content stays code');
    });

    it('streams a long code block without re-lexing it, and highlights it once closed', async () => {
      const code = Array.from({ length: 400 }, (_, i) => `  const v${i} = f(${i}); // \`\`\` not a fence${i % 7 === 0 ? '\n  ``' : ''}`).join('\n');
      const text = `Here is the file:\n\n\`\`\`\`typescript\nexport function big() {\n${code}\n  \`\`\`\n}\n\`\`\`\`\n\nThat is all.\n`;
      const r = await rp.evaluate((text: string) => {
        const el = document.createElement('div');
        document.body.append(el);
        const r = new window.SB.IncrementalRenderer(el, { schedule: () => () => {} });
        const seen: string[] = [];
        for (let i = 0; i < text.length; i += 5) {
          r.append(text.slice(i, i + 5));
          r.flush();
          if (i === 6000) seen.push(el.querySelector('code').textContent, String(el.querySelectorAll('.hljs-keyword').length));
        }
        r.finish();
        const once = document.createElement('div');
        window.SB.renderOnce(once, text);
        for (const g of Array.from(el.querySelectorAll('.md-group')) as any[]) g.replaceWith(...Array.from(g.childNodes));
        return { stats: r.stats, seen, same: el.innerHTML === once.innerHTML, keywords: el.querySelectorAll('.hljs-keyword').length, after: el.querySelector('p:last-child')?.textContent };
      }, text);
      assert.ok(r.same, 'final DOM equals a one-shot render');
      assert.equal(r.after, 'That is all.');
      assert.ok(r.stats.fenceFrames > 0.9 * r.stats.frames - 60, `most frames only appended code (${r.stats.fenceFrames} of ${r.stats.frames})`);
      const start = text.indexOf('typescript\n') + 'typescript\n'.length;
      assert.equal(r.seen[0], text.slice(start, 6005).replace(/\n$/, ''), 'mid-stream, the block shows exactly the code so far');
      assert.ok(r.keywords > 400, 'highlighted once the fence closed');
    });

    it('renders each finished block once: work per chunk does not grow with the answer', async () => {
      const text = longAnswer(40); // ~20k tokens' worth of characters / 4
      const stats = await rp.evaluate((text: string) => {
        const el = document.createElement('div');
        document.body.append(el);
        const r = new window.SB.IncrementalRenderer(el, { schedule: () => () => {} });
        for (let i = 0; i < text.length; i += 4) {
          r.append(text.slice(i, i + 4));
          r.flush();
        }
        r.finish();
        return r.stats;
      }, text);
      const perFrame = stats.lexedChars / stats.frames;
      assert.ok(perFrame < 400, `mean characters re-lexed per chunk: ${perFrame.toFixed(0)} (answer ${text.length})`);
    });

    it('coalesces many deltas into one render per animation frame', async () => {
      const frames = await rp.evaluate(async () => {
        const el = document.createElement('div');
        document.body.append(el);
        const r = new window.SB.IncrementalRenderer(el);
        for (let i = 0; i < 50; i++) r.append('word ');
        await new Promise((ok) => window.requestAnimationFrame(() => window.requestAnimationFrame(ok)));
        return { frames: r.stats.frames, text: el.textContent.trim() };
      });
      assert.equal(frames.frames, 1);
      assert.equal(frames.text, 'word '.repeat(50).trim());
    });
  });
});
