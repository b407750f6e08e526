/**
 * Runs inside a real extension host (code-server, or VS Code via @vscode/test-electron) with the full
 * `vscode` API. The simulator runs in this same process: it is plain node:http.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Simulator } from '../../sim/server';
import type { TestApi } from '../../src/extension';
import { EXT_ID, KEY, setUser, until, withSimulator } from './setup';

describe('Switchboard in a real extension host', function () {
  this.timeout(30_000);
  const env = withSimulator();
  let sim: Simulator;
  let t: TestApi;
  before(() => ({ sim, t } = env));

  it('registers every command the manifest contributes', async () => {
    const ext = vscode.extensions.getExtension(EXT_ID)!;
    const contributed: string[] = ext.packageJSON.contributes.commands.map((c: { command: string }) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.filter((c) => !registered.has(c)), []);
  });

  it('reviews the selection: the answer streams from the routed model through the simulator', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content: 'const a = 1;\nconst b = a + 1;\n' });
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(0, 0, 1, 16);
    await vscode.commands.executeCommand('switchboard.reviewSelection');
    const answer = await until('an answer', () => t.session.state().messages.filter((m) => m.role === 'assistant' && m.state === 'done').at(-1));
    assert.equal(answer.model, 'gpt-5');
    assert.match(answer.text, /\[gpt-5\]/);
    const sent = sim.requests.at(-1)!;
    assert.equal(sent.body.model, 'gpt-5');
    assert.match(sent.body.messages.at(-1).content, /const b = a \+ 1;/);
    assert.equal(sent.body.temperature, 0.1);
  });

  it('fails over silently when the primary answers 500 and notes it on the reply', async () => {
    sim.setScript('gpt-5', { fault: { type: 'status', status: 500, body: { error: { message: 'boom' } } } });
    await t.session.send('Please review my function for bugs', 'auto', 'auto');
    const answer = t.session.state().messages.at(-1)!;
    assert.equal(answer.state, 'done');
    assert.equal(answer.model, 'claude-sonnet-4');
    assert.deepEqual(answer.failovers.map((f) => [f.from, f.to]), [['gpt-5', 'claude-sonnet-4']]);
    assert.equal(answer.task, 'code_review', 'Auto routing classified the message as a review');
    assert.match(answer.taskReason ?? '', /“\w+”/, 'the words that decided are shown');
    assert.ok((answer.confidence ?? 0) > 0.5);
  });

  it('prices every answer from its usage and counts it in today\'s totals', async () => {
    const before = t.usage().requests;
    await t.session.send('What is the capital of Peru?', 'auto', 'auto');
    const answer = t.session.state().messages.at(-1)!;
    assert.equal(answer.model, 'gpt-5-mini');
    assert.ok(answer.usage && answer.usage.promptTokens > 0 && answer.usage.completionTokens > 0);
    const expected = (answer.usage.promptTokens * 0.25 + answer.usage.completionTokens * 2) / 1e6; // gpt-5-mini, $ per million
    assert.ok(Math.abs((answer.cost ?? -1) - expected) < 1e-12, `cost ${answer.cost} for ${JSON.stringify(answer.usage)}`);
    assert.equal(answer.estimated, undefined, 'the simulator sends usage: nothing is estimated');
    assert.equal(t.usage().requests, before + 1);
  });

  it('estimates tokens with the tokenizer when the gateway sends no usage, and says so', async () => {
    sim.setScript('gpt-5-mini', { omitUsage: true });
    await t.session.send('What is the capital of Chile?', 'general_qa', 'auto');
    const answer = t.session.state().messages.at(-1)!;
    assert.equal(answer.estimated, true);
    assert.ok(answer.usage!.completionTokens > 5, 'the answer text was counted');
    assert.ok((answer.cost ?? 0) > 0);
  });

  it('economy cost mode starts a simple review on the cheapest economy model and says why', async () => {
    await setUser('costMode', 'economy');
    await until('the cost mode', () => t.settings.snapshot.config.costMode === 'economy');
    await t.session.send('Please review my function for bugs', 'auto', 'auto');
    const answer = t.session.state().messages.at(-1)!;
    assert.equal(answer.model, 'qwen3-235b', 'the cheapest economy model by the price data');
    assert.match(answer.routeNote ?? '', /^economy: .+ → qwen3-235b$/);
    await setUser('costMode', undefined);
    await until('quality again', () => t.settings.snapshot.config.costMode === 'quality');
    await t.session.send('Please review my function for bugs', 'auto', 'auto');
    assert.equal(t.session.state().messages.at(-1)!.model, 'gpt-5');
  });

  it('applies a settings.json route override without a reload', async () => {
    await setUser('routes', { general_qa: { primary: 'glm-5' } });
    await until('the override', () => t.settings.snapshot.config.routes.general_qa.primary === 'glm-5');
    await t.session.send('What is the capital of Peru?', 'auto', 'auto');
    assert.equal(t.session.state().messages.at(-1)!.model, 'glm-5');
    await setUser('routes', undefined);
  });

  it('names the bad key of an invalid setting and keeps the rest working', async () => {
    await setUser('routes', { code_review: { primary: 42, maxTokens: 1234 } });
    const problem = await until('a problem', () => t.settings.snapshot.problems.find((p) => p.key === 'switchboard.routes.code_review.primary'));
    assert.match(problem.message, /expected a model name/);
    assert.equal(t.settings.snapshot.config.routes.code_review.primary, 'gpt-5');
    assert.equal(t.settings.snapshot.config.routes.code_review.maxTokens, 1234);
    await setUser('routes', undefined);
  });

  it('refuses a plain-http base URL that is not loopback', async () => {
    await setUser('baseUrl', 'http://gateway.example.com/v1');
    const problem = await until('a problem', () => t.settings.snapshot.problems.find((p) => p.key === 'switchboard.baseUrl'));
    assert.match(problem.message, /loopback/);
    assert.notEqual(t.settings.snapshot.connection.baseURL, 'http://gateway.example.com/v1');
    await setUser('baseUrl', sim.url);
    await until('the base URL to apply', () => t.settings.snapshot.connection.baseURL === sim.url);
  });

  it('stops a streaming answer and keeps its partial text', async () => {
    sim.setScript('gpt-5-mini', { tokensPerSecond: 20, words: 200 });
    const done = t.session.send('Tell me about Lima', 'general_qa', 'auto');
    await until('some text', () => (t.session.state().messages.at(-1)!.text.length > 0 ? true : undefined));
    await vscode.commands.executeCommand('switchboard.stop');
    await done;
    const answer = t.session.state().messages.at(-1)!;
    assert.equal(answer.state, 'cancelled');
    assert.ok(answer.text.length > 0);
  });

  it('New chat keeps the conversation in the history, and reopening it brings it back', async () => {
    await t.session.newChat();
    await t.session.send('What is the capital of Peru?', 'general_qa', 'auto');
    const first = t.session.state().conversation!.id;
    await t.session.newChat();
    const listed = t.session.state().history.find((c) => c.id === first);
    assert.ok(listed, 'the old conversation is in the history');
    assert.equal(listed.title, 'What is the capital of Peru?');
    assert.equal(listed.count, 2);
    assert.equal(t.session.state().messages.length, 0, 'the new chat is empty');
    assert.notEqual(t.session.state().conversation!.id, first);
    await t.session.openConversation(first);
    assert.deepEqual(t.session.state().messages.map((m) => [m.role, m.state]), [['user', 'done'], ['assistant', 'done']]);
    assert.equal(t.session.state().conversation!.id, first);
    assert.ok(!t.session.state().history.some((c) => c.id === first), 'the reopened one is current, not listed twice');
  });

  it('keeps the key out of every setting', () => {
    const all = JSON.stringify(vscode.workspace.getConfiguration('switchboard'));
    assert.ok(!all.includes(KEY));
  });

  it('shows the routing table with where each value came from', async () => {
    await setUser('routes', { code_review: { primary: 'claude-opus-4' } });
    await until('the override', () => t.settings.snapshot.config.routes.code_review.primary === 'claude-opus-4');
    await vscode.commands.executeCommand('switchboard.showRoutingTable');
    const doc = await until('the table', () => vscode.window.activeTextEditor?.document);
    const text = doc.getText();
    assert.match(text, /\| code_review \| `claude-opus-4` \*\*\(from user\)\*\*/);
    assert.match(text, /\| code_generation \| `claude-opus-4` _\(default\)_/);
    await setUser('routes', undefined);
  });

  it('reads switchboard.dailyBudget from user settings and names a bad value', async () => {
    await setUser('dailyBudget', 0.5);
    await until('the budget', () => t.settings.snapshot.dailyBudget === 0.5);
    await setUser('dailyBudget', -1);
    const problem = await until('a problem', () => t.settings.snapshot.problems.find((p) => p.key === 'switchboard.dailyBudget'));
    assert.match(problem.message, /expected a daily budget in US dollars/);
    assert.equal(t.settings.snapshot.dailyBudget, undefined, 'a bad budget is no budget, and the chat keeps working');
    await setUser('dailyBudget', undefined);
  });

  it('Show Usage opens one usage panel, however often it runs', async () => {
    const usageTabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((tab) => tab.input instanceof vscode.TabInputWebview && tab.label === 'Switchboard Usage');
    await vscode.commands.executeCommand('switchboard.showUsage');
    await until('the usage panel', () => (usageTabs().length ? true : undefined));
    await vscode.commands.executeCommand('switchboard.showUsage');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(usageTabs().length, 1);
    await vscode.window.tabGroups.close(usageTabs());
  });

  it('keeps model health across other settings changes, and forgets it when the key changes', async () => {
    const health = t.router()!.health;
    for (let i = 0; i < 3; i++) health.begin('gpt-5').success({ ttftMs: 400 });
    await setUser('costMode', 'balanced');
    await until('the cost mode', () => t.settings.snapshot.config.costMode === 'balanced');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(health.rows().find((r) => r.model === 'gpt-5')?.answered, 3, 'a settings change keeps what was learned');
    await setUser('costMode', undefined);
    await t.storeKey(`${KEY}-other`);
    await until('health to be reset by the new key', () => health.rows().length === 0 || undefined);
    await t.storeKey(KEY);
    await until('the router with the test key again', () => t.router());
  });

  describe('editor tools in chat', () => {
    const SECRET = 'supersecretvalue1234567';
    const KEY_IN_FILE = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123';
    let root: string;
    const lastAnswer = () => t.session.state().messages.at(-1)!;
    const bodies = () => JSON.stringify(sim.requests.map((r) => r.body));

    before(() => {
      root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
      mkdirSync(join(root, 'src'), { recursive: true });
      writeFileSync(join(root, 'src', 'a.ts'), 'export const answer = 42;\nexport function twice(n: number) {\n  return n * 2;\n}\n');
      writeFileSync(join(root, '.env'), `SECRET_TOKEN=${SECRET}\n`);
      writeFileSync(join(root, 'notes.txt'), `the key is ${KEY_IN_FILE} do not share\n`);
      writeFileSync(join(root, '..', 'outside.txt'), 'outside the workspace\n');
      symlinkSync(join(root, '..', 'outside.txt'), join(root, 'link.txt'));
      symlinkSync(join(root, '.env'), join(root, 'harmless.txt'));
      const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args], { cwd: root });
      git('init', '-q');
      git('add', 'src/a.ts', '.env');
      git('commit', '-q', '-m', 'init');
      writeFileSync(join(root, 'src', 'a.ts'), 'export const answer = 43;\nexport function twice(n: number) {\n  return n * 2;\n}\n');
      writeFileSync(join(root, '.env'), `SECRET_TOKEN=${SECRET}-changed\n`);
    });

    it('answers a question from a workspace file the model reads, the tool step shown', async () => {
      sim.setScript('gpt-5-mini', { agent: true });
      await t.session.send('What does src/a.ts export?', 'general_qa', 'auto');
      const answer = lastAnswer();
      assert.equal(answer.state, 'done', JSON.stringify(answer));
      assert.deepEqual(answer.tools?.map((s) => [s.name, s.state, s.summary]), [['read_file', 'done', 'read src/a.ts (5 lines)']]);
      assert.match(answer.text, /^Reading src\/a\.ts\.\n\n\[gpt-5-mini\] From the tools:/);
      assert.match(answer.text, /`read_file` returned 5 lines, starting: `export const answer = 43;`/, 'the answer comes from the file');
      const [first, second] = sim.requests.filter((r) => r.path.endsWith('/chat/completions'));
      assert.deepEqual(first!.body.tools.map((x: { function: { name: string } }) => x.function.name), ['get_selection', 'read_file', 'list_files', 'search_text', 'get_diagnostics', 'git_diff', 'propose_edit']);
      assert.equal(second!.body.messages.at(-1).role, 'tool');
      assert.match(second!.body.messages.at(-1).content, /export function twice/);
    });

    it('refuses paths outside the workspace, symlinks out of it and excluded files, and removes secrets from what it reads', async () => {
      const read = (path: string) => ({ name: 'read_file', arguments: { path } });
      sim.setScript('gpt-5-mini', [
        {
          text: '',
          toolCalls: [
            read('../outside.txt'),
            read(join(root, '..', 'outside.txt')),
            read('.env'),
            read('link.txt'),
            read('harmless.txt'),
            read('notes.txt'),
            { name: 'list_files', arguments: { glob: '**/*' } },
            { name: 'search_text', arguments: { query: 'SECRET_TOKEN' } },
            { name: 'git_diff', arguments: {} },
          ],
        },
        { text: 'Done looking.' },
      ]);
      await t.session.send('Look around the workspace', 'general_qa', 'auto');
      const answer = lastAnswer();
      assert.equal(answer.state, 'done', JSON.stringify(answer));
      const steps = answer.tools!;
      assert.equal(steps.length, 9);
      const summary = (i: number) => `${steps[i]!.state}: ${steps[i]!.summary}`;
      assert.match(summary(0), /^error: refused: outside the workspace/);
      assert.match(summary(1), /^error: refused: outside the workspace/);
      assert.match(summary(2), /^error: refused: \.env is excluded from tools \(\*\*\/\.env\*\)/);
      assert.match(summary(3), /^error: refused: link\.txt leads outside the workspace/);
      assert.match(summary(4), /^error: refused: harmless\.txt leads to an excluded file/);
      assert.match(summary(5), /^done: read notes\.txt \(2 lines\); 1 secret removed/);
      assert.match(summary(6), /^done: \d+ files match/);
      assert.equal(summary(7), 'done: no matches for SECRET_TOKEN', 'the .env file is not searched');
      assert.doesNotMatch(steps[6]!.detail ?? '', /\.env|\.git\//, 'excluded files are not even listed');
      assert.match(steps[6]!.detail ?? '', /src\/a\.ts/);
      assert.match(summary(8), /^done: 1 changed file$/, 'the diff leaves out the .env change');
      assert.match(steps[8]!.detail ?? '', /-export const answer = 42;\n\+export const answer = 43;/);
      // Nothing secret ever reached the gateway.
      assert.ok(!bodies().includes(SECRET), 'the .env value was never sent');
      assert.ok(!bodies().includes(KEY_IN_FILE), 'the key in notes.txt was never sent');
      assert.ok(!bodies().includes('outside the workspace\\n'), 'the file outside was never read');
    });

    it('Review Changed Files puts each file\'s findings in the Problems panel at their lines, never reads excluded files, and offers a quick fix', async () => {
      const findings = { findings: [{ line: 2, endLine: 3, severity: 'error', message: 'twice() doubles; the name says so, but check negative input.' }] };
      sim.setScript('gpt-5', { text: JSON.stringify(findings) });
      await vscode.commands.executeCommand('switchboard.reviewChangedFiles');
      const reviewed = sim.requests.filter((r) => r.path.endsWith('/chat/completions'));
      const asked = reviewed.map((r) => /Review the changed file `([^`]+)`/.exec(r.body.messages.at(-1).content)?.[1]).sort();
      // src/a.ts is modified, notes.txt untracked; .env (changed) and the symlinks' targets are excluded or untracked links.
      assert.ok(asked.includes('src/a.ts') && asked.includes('notes.txt'), asked.join(', '));
      assert.ok(!asked.includes('.env'), '.env is never reviewed');
      assert.ok(!bodies().includes(SECRET), 'not even through harmless.txt, the link to .env');
      assert.ok(!bodies().includes(KEY_IN_FILE), 'the key in notes.txt was taken out before sending');
      const a = vscode.Uri.file(join(root, 'src', 'a.ts'));
      const diags = vscode.languages.getDiagnostics(a).filter((d) => d.source === 'Switchboard');
      assert.equal(diags.length, 1);
      assert.equal(diags[0]!.range.start.line, 1);
      assert.equal(diags[0]!.range.end.line, 2);
      assert.equal(diags[0]!.severity, vscode.DiagnosticSeverity.Error);
      assert.equal(diags[0]!.code, 'gpt-5');
      const sent = reviewed.find((r) => r.body.messages.at(-1).content.includes('`src/a.ts`'))!.body.messages.at(-1).content as string;
      assert.match(sent, /```diff\n[\s\S]*-export const answer = 42;\n\+export const answer = 43;/, 'the diff went with the file');
      assert.match(sent, /1\| export const answer = 43;/, 'and the file, numbered');
      // The quick fix asks about the finding in the chat.
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', a, diags[0]!.range);
      const fix = actions.find((x) => x.title.startsWith('Discuss in Switchboard Chat'));
      assert.ok(fix?.command, actions.map((x) => x.title).join(', '));
      sim.setScript('gpt-5', {});
      await vscode.commands.executeCommand(fix.command.command, ...(fix.command.arguments ?? []));
      const question = t.session.state().messages.filter((m) => m.role === 'user').at(-1)!;
      assert.match(question.text, /^About src\/a\.ts:2-3: twice\(\) doubles/);
      assert.equal(lastAnswer().state, 'done');
    });

    it('Review Changed Files keeps an answer that is not in the asked-for shape as a chat message', async () => {
      sim.setScript('gpt-5', { text: 'Looks fine to me, no JSON today.' });
      await vscode.commands.executeCommand('switchboard.reviewChangedFiles');
      const answer = t.session.state().messages.filter((m) => m.role === 'assistant' && m.text === 'Looks fine to me, no JSON today.').at(-1);
      assert.ok(answer, 'the answer is in the chat');
      assert.match(answer.notice ?? '', /Not in the Problems panel: the answer holds no JSON object/);
      assert.equal(vscode.languages.getDiagnostics(vscode.Uri.file(join(root, 'src', 'a.ts'))).filter((d) => d.source === 'Switchboard').length, 0, 'old findings for the file are cleared');
    });

    it('sends no tools when switchboard.tools.enabled is false', async () => {
      await setUser('tools.enabled', false);
      try {
        sim.setScript('gpt-5-mini', { agent: true });
        await t.session.send('What does src/a.ts export?', 'general_qa', 'auto');
        assert.equal(lastAnswer().tools, undefined);
        assert.equal(sim.requests.at(-1)!.body.tools, undefined);
      } finally {
        await setUser('tools.enabled', undefined);
      }
    });
  });
});
