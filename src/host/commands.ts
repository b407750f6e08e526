import * as vscode from 'vscode';
import { findCommentAt, firstCodeBlock, restoreCommentSyntax } from '../core/comments';
import { DEFAULT_CONFIG, type SettingSource } from '../core/routes';
import { TIERS } from '../core/routing/costMode';
import { findSecrets, trimSelection } from '../core/secrets';
import { TASK_TYPES, buildPrompt, fence, type ActionContext, type EditorAction } from '../core/tasks';
import type { Attachment, ChatSession } from './chatSession';
import type { ChatView } from './chatView';
import { Disposable } from './lifecycle';
import type { Log } from './log';
import type { ModelPicker } from './modelPicker';
import type { Secrets } from './secrets';
import type { UsageView } from './usageView';
import type { HealthView } from './healthView';
import type { RoutePlan } from '../core/router';
import type { TaskType } from '../core/tasks';
import type { LazyTools } from './lazyTools';
import type { Settings } from './settings';

const CONTEXT_LINES = 60;

/** Every command the extension contributes, and the editor actions behind them. */
export class Commands extends Disposable {
  private lastEditor: vscode.TextEditor | undefined = vscode.window.activeTextEditor;

  constructor(
    private readonly session: ChatSession,
    private readonly view: ChatView,
    private readonly secrets: Secrets,
    private readonly settings: Settings,
    private readonly log: Log,
    private readonly picker: ModelPicker,
    private readonly panels: { usage: UsageView; health: HealthView; walkthrough: () => Thenable<unknown> },
    private readonly tools: Pick<LazyTools, 'reviewChangedFiles' | 'translateComments'>,
    /** What the router would do now (health-aware), and forgetting what it learned. */
    private readonly routing: { plan(task: TaskType): RoutePlan | undefined; skipReason(model: string): string | undefined; resetHealth(): void },
  ) {
    super();
    this._register(
      vscode.window.onDidChangeActiveTextEditor((e) => {
        if (e) this.lastEditor = e;
      }),
    );
    const register = (id: string, fn: (...args: unknown[]) => unknown) =>
      this._register(
        vscode.commands.registerCommand(id, async (...args: unknown[]) => {
          try {
            await fn(...args);
          } catch (err) {
            this.log.error(`${id} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
            void vscode.window.showErrorMessage(`Switchboard: ${err instanceof Error ? err.message : String(err)}`);
          }
        }),
      );
    register('switchboard.setApiKey', () => this.secrets.prompt());
    register('switchboard.clearApiKey', () => this.secrets.clear());
    register('switchboard.generateCode', () => this.generate());
    register('switchboard.reviewSelection', () => this.onSelection('review'));
    register('switchboard.explainSelection', () => this.onSelection('explain'));
    register('switchboard.translateComment', () => this.translate());
    register('switchboard.openChat', () => this.view.show(true));
    register('switchboard.newChat', () => this.session.newChat());
    register('switchboard.showChatHistory', async () => {
      await this.view.show(true);
      this.session.showHistory();
    });
    register('switchboard.stop', () => this.session.stop());
    register('switchboard.showRoutingTable', () => this.showRoutingTable());
    register('switchboard.showLog', () => this.log.channel.show(true));
    register('switchboard.pickModel', () => this.pickModel());
    register('switchboard.showUsage', () => this.panels.usage.show());
    register('switchboard.showModelHealth', () => this.panels.health.show());
    register('switchboard.resetModelHealth', () => this.resetHealth());
    register('switchboard.addSelectionToChat', () => this.addSelectionToChat());
    register('switchboard.attachToChat', () => this.attachToChat());
    register('switchboard.reviewChangedFiles', () => this.tools.reviewChangedFiles());
    register('switchboard.translateComments', () => this.tools.translateComments());
    register('switchboard.manageLanguageModels', () => this.manageLanguageModels());
    register('switchboard.openWalkthrough', () => this.panels.walkthrough());
  }

  /** Reopens, renames or deletes a conversation of the chat's history. */
  async conversation(id: string, action: 'open' | 'rename' | 'delete'): Promise<void> {
    const title = this.session.titleOf(id);
    if (title === undefined) return;
    if (action === 'open') return this.session.openConversation(id);
    if (action === 'rename') {
      const next = await vscode.window.showInputBox({ title: 'Switchboard: Rename Conversation', value: title, prompt: 'The name the chat history shows', validateInput: (v) => (v.trim() ? undefined : 'A name cannot be empty') });
      if (next?.trim()) await this.session.renameConversation(id, next);
      return;
    }
    const choice = await vscode.window.showWarningMessage(`Delete the conversation “${title}”?`, { modal: true, detail: 'Its questions and answers are removed from this machine.' }, 'Delete');
    if (choice === 'Delete') await this.session.deleteConversation(id);
  }

  /** VS Code's "Manage Models" for the switchboard vendor (Copilot Chat's picker, the Language Models editor). */
  private async manageLanguageModels(): Promise<void> {
    type Item = vscode.QuickPickItem & { command: string; args?: unknown[] };
    const items: Item[] = [
      { label: '$(key) Set API Key', description: 'one gateway key for every Switchboard model', command: 'switchboard.setApiKey' },
      { label: '$(gear) Open Settings', description: 'base URL, routes, cost mode', command: 'workbench.action.openSettings', args: ['@ext:switchboard-dev.switchboard'] },
      { label: '$(list-tree) Show Routing Table', description: 'which model answers each task', command: 'switchboard.showRoutingTable' },
      { label: '$(graph) Show Usage', description: 'tokens and cost, chat and language model requests together', command: 'switchboard.showUsage' },
    ];
    const choice = await vscode.window.showQuickPick(items, { title: 'Switchboard: Manage Language Models', placeHolder: 'Switchboard · Auto and one model per task, through your gateway' });
    if (choice) await vscode.commands.executeCommand(choice.command, ...(choice.args ?? []));
  }

  /** The editor the user means: the active one, or the last one focused before the chat took focus. */
  private editor(): vscode.TextEditor | undefined {
    const active = vscode.window.activeTextEditor;
    if (active) return active;
    if (this.lastEditor && vscode.window.visibleTextEditors.includes(this.lastEditor)) return this.lastEditor;
    return undefined;
  }

  private baseContext(editor: vscode.TextEditor): ActionContext {
    return { languageId: editor.document.languageId, fileName: vscode.workspace.asRelativePath(editor.document.uri, false) };
  }

  private async generate(): Promise<void> {
    const editor = this.editor();
    if (!editor) {
      void vscode.window.showInformationMessage('Switchboard: open a file and place the cursor where the code should go.');
      return;
    }
    const instruction = await vscode.window.showInputBox({
      title: 'Switchboard: Generate Code',
      prompt: 'What should the code do? The code around the cursor is sent as context.',
      placeHolder: 'e.g. a function that parses ISO dates and returns null on bad input',
      ignoreFocusOut: true,
    });
    if (!instruction?.trim()) return;
    const doc = editor.document;
    const pos = editor.selection.active;
    const before = doc.getText(new vscode.Range(Math.max(0, pos.line - CONTEXT_LINES), 0, pos.line, pos.character));
    const after = doc.getText(new vscode.Range(pos.line, pos.character, Math.min(doc.lineCount - 1, pos.line + CONTEXT_LINES), Number.MAX_SAFE_INTEGER));
    const max = this.settings.snapshot.maxSelectionChars;
    const ctx: ActionContext = { ...this.baseContext(editor), instruction, before: before.slice(-max / 2), after: after.slice(0, max / 2) };
    if (!(await this.confirmNoSecrets(`${before}\n${after}`, 'The code around the cursor'))) return;
    await this.start('generate', ctx, `Generate: ${instruction}`);
  }

  private async onSelection(action: 'review' | 'explain'): Promise<void> {
    const editor = this.editor();
    const text = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : '';
    if (!editor || !text.trim()) {
      void vscode.window.showInformationMessage(`Switchboard: select the code to ${action} first.`);
      return;
    }
    const selection = await this.prepareSelection(text);
    if (selection === undefined) return;
    const lines = `${editor.selection.start.line + 1}-${editor.selection.end.line + 1}`;
    const ctx: ActionContext = { ...this.baseContext(editor), selection };
    const label = action === 'review' ? 'Review' : 'Explain';
    await this.start(action, ctx, `${label} ${ctx.fileName}:${lines}\n\n${fence(selection, ctx.languageId)}`);
  }

  private async translate(): Promise<void> {
    const editor = this.editor();
    if (!editor) {
      void vscode.window.showInformationMessage('Switchboard: open a file and select a comment to translate.');
      return;
    }
    const doc = editor.document;
    let range: vscode.Range | undefined = editor.selection.isEmpty ? undefined : editor.selection;
    if (!range) {
      const lines = Array.from({ length: doc.lineCount }, (_, i) => doc.lineAt(i).text);
      const found = findCommentAt(lines, editor.selection.active.line);
      if (found) range = new vscode.Range(found.start, 0, found.end, doc.lineAt(found.end).text.length);
    }
    if (!range) {
      void vscode.window.showInformationMessage('Switchboard: put the cursor in a comment, or select the comment to translate.');
      return;
    }
    const original = doc.getText(range);
    const selection = await this.prepareSelection(original);
    if (selection === undefined) return;
    const targetLanguage = this.settings.snapshot.config.translationLanguage;
    const ctx: ActionContext = { ...this.baseContext(editor), selection, targetLanguage };
    const uri = doc.uri;
    const version = doc.version;
    const target = range;
    await this.start('translate', ctx, `Translate into ${targetLanguage}: ${ctx.fileName}:${range.start.line + 1}\n\n${fence(selection, ctx.languageId)}`, async (answer) => {
      const document = await vscode.workspace.openTextDocument(uri);
      if (document.version !== version && document.getText(target) !== original) {
        void vscode.window.showWarningMessage('Switchboard: the comment changed since it was translated; copy the translation instead.');
        return;
      }
      const replacement = restoreCommentSyntax(original, firstCodeBlock(answer));
      const edit = new vscode.WorkspaceEdit();
      edit.replace(uri, target, replacement);
      await vscode.workspace.applyEdit(edit);
      await vscode.window.showTextDocument(document, { preserveFocus: false });
    });
  }

  /** Routes an editor action to its task and streams the answer into the chat. */
  private async start(action: Exclude<EditorAction, 'chat'>, ctx: ActionContext, display: string, replace?: (answer: string) => Promise<void>): Promise<void> {
    if (!(await this.secrets.require())) return;
    const task = this.settings.snapshot.config.actionTasks[action];
    await this.view.show();
    await this.session.ask({
      display,
      prompt: buildPrompt(action, ctx),
      task,
      taskReason: `from the ${action} action`,
      ...(replace ? { replace } : {}),
    });
  }

  /** The selection, or the whole file when nothing is selected, as a chip on the chat's next question. */
  private async addSelectionToChat(): Promise<void> {
    const editor = this.editor();
    if (!editor) {
      void vscode.window.showInformationMessage('Switchboard: open a file (and select code) to add it to the chat.');
      return;
    }
    await this.attachDocument(editor.document, editor.selection.isEmpty ? undefined : editor.selection);
  }

  /** The chat's "+ Context": the selection, the active file, or any workspace file. */
  async attachToChat(): Promise<void> {
    const editor = this.editor();
    type Item = vscode.QuickPickItem & { pick?: () => Promise<void> };
    const items: Item[] = [];
    if (editor) {
      const name = vscode.workspace.asRelativePath(editor.document.uri, false);
      const sel = editor.selection;
      if (!sel.isEmpty) {
        items.push({ label: '$(selection) Selection', description: `${name}:${sel.start.line + 1}-${sel.end.line + 1}`, pick: () => this.attachDocument(editor.document, sel) });
      }
      items.push({ label: '$(file) Active file', description: name, pick: () => this.attachDocument(editor.document) });
    }
    const files = await vscode.workspace.findFiles('**/*', undefined, 2000);
    if (files.length) items.push({ label: 'Workspace files', kind: vscode.QuickPickItemKind.Separator });
    for (const uri of files.sort((a, b) => a.path.localeCompare(b.path))) {
      items.push({ label: vscode.workspace.asRelativePath(uri, false), pick: async () => this.attachDocument(await vscode.workspace.openTextDocument(uri)) });
    }
    const choice = await vscode.window.showQuickPick(items, { title: 'Switchboard: Attach to the next question', placeHolder: 'The selection, the active file, or a workspace file', matchOnDescription: true });
    await choice?.pick?.();
  }

  private async attachDocument(doc: vscode.TextDocument, range?: vscode.Range): Promise<void> {
    const path = vscode.workspace.asRelativePath(doc.uri, false);
    const raw = range ? doc.getText(range) : doc.getText();
    if (!raw.trim()) {
      void vscode.window.showInformationMessage(`Switchboard: ${range ? 'the selection' : path} is empty; nothing was attached.`);
      return;
    }
    const text = await this.prepareSelection(raw, range ? 'The selection' : path);
    if (text === undefined) return;
    const lines = range ? `${range.start.line + 1}-${range.end.line + 1}` : undefined;
    const name = path.split('/').at(-1) ?? path;
    const attachment: Attachment = {
      label: lines ? `${name}:${lines}` : name,
      title: `${path}${lines ? `, lines ${lines}` : ''} · ${text.length.toLocaleString()} characters`,
      path,
      lines,
      languageId: doc.languageId,
      text,
    };
    this.session.attach(attachment);
    await this.view.show(true);
  }

  /** Secret scan and size limit; undefined when the user chose not to send. */
  private async prepareSelection(text: string, what = 'The selection'): Promise<string | undefined> {
    if (!(await this.confirmNoSecrets(text, what))) return undefined;
    const trimmed = trimSelection(text, this.settings.snapshot.maxSelectionChars);
    if (trimmed.trimmed) {
      void vscode.window.showInformationMessage(
        `Switchboard: the selection is long, so ${trimmed.removed.toLocaleString()} characters from its middle were left out (switchboard.maxSelectionChars).`,
      );
    }
    return trimmed.text;
  }

  async confirmNoSecrets(text: string, what: string): Promise<boolean> {
    const findings = findSecrets(text);
    if (!findings.length) return true;
    const list = findings
      .slice(0, 5)
      .map((f) => `${f.kind} on line ${f.line} (${f.preview})`)
      .join('; ');
    this.log.warn(`secret scan: ${findings.length} finding(s) before sending: ${list}`);
    const choice = await vscode.window.showWarningMessage(
      `${what} seems to contain a secret: ${list}. It would be sent to the gateway.`,
      { modal: true, detail: 'Remove it from the selection, or send it anyway if it is not real.' },
      'Send Anyway',
    );
    return choice === 'Send Anyway';
  }

  async copy(text: string): Promise<void> {
    await vscode.env.clipboard.writeText(text);
    vscode.window.setStatusBarMessage('$(check) Copied', 1500);
  }

  /** Inserts code at the cursor of the editor the user was last in (the chat has focus when they click). */
  async insert(text: string): Promise<void> {
    const editor = this.editor();
    if (!editor) {
      void vscode.window.showInformationMessage('Switchboard: open a file and place the cursor where the code should go.');
      return;
    }
    await editor.edit((b) => {
      for (const sel of editor.selections) b.replace(sel, text);
    });
    await vscode.window.showTextDocument(editor.document, editor.viewColumn);
  }

  async openLink(href: string): Promise<void> {
    let uri: vscode.Uri;
    try {
      uri = vscode.Uri.parse(href, true);
    } catch {
      return;
    }
    if (!['http', 'https', 'mailto'].includes(uri.scheme)) {
      this.log.warn(`refused to open a ${uri.scheme}: link from a model answer`);
      return;
    }
    await vscode.env.openExternal(uri);
  }

  /** The one-line model switch: the chosen model answers the chat's next questions first. */
  async pickModel(): Promise<void> {
    const state = this.session.state();
    const model = await this.picker.pick(state.model);
    if (model === undefined) return;
    this.session.pick(state.task, model);
    this.session.publish();
    this.log.info(`model picked: ${model === 'auto' ? 'routed' : model}`);
  }

  async fix(fix: 'setApiKey' | 'openSettings'): Promise<void> {
    if (fix === 'setApiKey') await this.secrets.prompt();
    else await vscode.commands.executeCommand('workbench.action.openSettings', '@ext:switchboard-dev.switchboard');
  }

  private resetHealth(): void {
    this.routing.resetHealth();
    this.log.info('model health reset by the user');
    void vscode.window.showInformationMessage('Switchboard: model health reset. Every model is asked in table order again, with the configured deadlines.');
  }

  /** The routing table's "right now" section: models health skips or moves, per task. */
  private healthNow(): string {
    const lines: string[] = [];
    const skipped = new Set<string>();
    for (const t of TASK_TYPES) {
      const plan = this.routing.plan(t);
      if (!plan) return '';
      for (const m of plan.moved ?? []) lines.push(`- ${t}: ${m}`);
      for (const c of plan.candidates) {
        const why = skipped.has(c.model) ? undefined : this.routing.skipReason(c.model);
        if (why) {
          skipped.add(c.model);
          lines.push(`- \`${c.model}\` is skipped: ${why}`);
        }
      }
    }
    return [
      '## Right now (model health)',
      '',
      lines.length ? lines.join('\n') : 'Every model is asked in table order.',
      '',
      '_Switchboard: Show Model Health_ has the details; _Reset Model Health_ forgets them._',
    ].join('\n');
  }

  private async showRoutingTable(): Promise<void> {
    const snap = this.settings.snapshot;
    const { config, sources } = snap;
    const src = (key: string): string => label(sources[key] ?? Object.entries(sources).find(([k]) => k.startsWith(`${key}.`))?.[1]);
    const rows = TASK_TYPES.map((t) => {
      const r = config.routes[t];
      const k = `switchboard.routes.${t}`;
      return `| ${t} | \`${r.primary}\` ${src(`${k}.primary`)} | ${r.fallbacks.map((m) => `\`${m}\``).join(', ')} ${src(`${k}.fallbacks`)} | ${r.maxTokens} ${src(`${k}.maxTokens`)} | ${r.temperature} ${src(`${k}.temperature`)} |`;
    });
    const actions = Object.entries(config.actionTasks).map(([a, t]) => `| ${a} | ${t} ${src(`switchboard.actionTasks.${a}`)} |`);
    const tiers = TIERS.map((t) => `${t}: ${config.tiers[t].map((m) => `\`${m}\``).join(', ')} ${src(`switchboard.tiers.${t}`)}`).join('  \n');
    const md = [
      '# Switchboard routing table',
      '',
      `Gateway: \`${snap.connection.baseURL}\` (user settings only)${snap.restricted ? '  \n**Restricted Mode:** workspace settings are ignored until you trust this folder.' : ''}`,
      '',
      '| task | primary | fallbacks | max tokens | temperature |',
      '| --- | --- | --- | --- | --- |',
      ...rows,
      '',
      `Global fallback chain: ${config.globalFallbacks.map((m) => `\`${m}\``).join(' → ')} ${src('switchboard.globalFallbacks')}`,
      '',
      '| editor action | task |',
      '| --- | --- |',
      ...actions,
      '',
      `Translation language: ${config.translationLanguage} ${src('switchboard.translation.targetLanguage')}`,
      '',
      `Timeouts: first token ${config.timeouts.firstTokenMs} ms ${src('switchboard.timeouts.firstTokenMs')}, idle ${config.timeouts.idleMs} ms ${src('switchboard.timeouts.idleMs')}, longest rate-limit wait ${config.timeouts.rateLimitMaxWaitMs} ms ${src('switchboard.timeouts.rateLimitMaxWaitMs')}`,
      '',
      `Hedging: ${config.hedging.enabled ? `on for chat and editor actions, after a model's usual first token (${config.hedging.afterMs} ms before it has history), at most ${config.hedging.maxExtraPercent}% extra requests` : 'off'} ${src('switchboard.hedging')}`,
      '',
      Object.keys(config.pools).length
        ? `Pools ${src('switchboard.pools')}: ${Object.entries(config.pools).map(([name, members]) => `\`pool:${name}\` = ${members.map((m) => `\`${m}\``).join(', ')}`).join('; ')} (each request goes to the least busy member first)`
        : 'Pools: none (`switchboard.pools` defines them; use one as `pool:name`)',
      '',
      `Cost mode: **${config.costMode}** ${src('switchboard.costMode')} (quality: the table as configured; balanced: simple work on the economy tier, moderate work off the premium tier; economy: all but complex work on the economy tier)`,
      '',
      tiers,
      '',
      this.healthNow(),
      '',
      snap.problems.length ? `## Problems (defaults used instead)\n\n${snap.problems.map((p) => `- \`${p.key}\`: ${p.message}`).join('\n')}` : '',
      '',
      `_Values marked “default” come from the built-in table (${Object.keys(DEFAULT_CONFIG.routes).length} task types); “from user” or “from workspace” show where an override was read._`,
    ].join('\n');
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: md });
    await vscode.window.showTextDocument(doc, { preview: true });
  }
}

function label(source: SettingSource | undefined): string {
  switch (source) {
    case undefined:
    case 'default':
      return '_(default)_';
    case 'user':
      return '**(from user)**';
    case 'workspace':
      return '**(from workspace)**';
    case 'workspaceFolder':
      return '**(from workspace folder)**';
  }
}
