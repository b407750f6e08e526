/**
 * Batch work: Review Changed Files (findings in the Problems panel) and Translate Comments in File
 * (one diff, applied as one edit). Every request goes through the router (routing, failover, rate-limit
 * waits) under `switchboard.batch.concurrency`, inside a progress notification whose Cancel stops
 * every request at once.
 */
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import { parseReview, reviewPrompt, type Finding, type ReviewFile } from '../core/batch/review';
import { runBatch, type BatchResult } from '../core/batch/run';
import { findComments, firstCodeBlock, restoreCommentSyntax } from '../core/comments';
import { clip } from '../core/errors';
import type { SwitchboardConfig } from '../core/routes';
import type { Router } from '../core/router';
import { buildPrompt, fence, promptText, systemPrompt, type ChatMessage, type TaskType } from '../core/tasks';
import { ExcludeMatcher } from '../core/tools/paths';
import { AnswerCost, type AnswerUsage, type Pricing } from '../core/usage/ledger';
import { Disposable } from './lifecycle';
import type { Log } from './log';
import type { Decision, Proposal } from './proposals';
import { filesExclude, git, linkChecker, readToolSettings } from './tools';
import { removeSecrets } from '../core/secrets';

const MAX_FILE_BYTES = 512 * 1024;
const SOURCE = 'Switchboard';

export interface BatchDeps {
  router: () => Router | undefined;
  ensureKey: () => Promise<boolean>;
  config: () => SwitchboardConfig;
  maxSelectionChars: () => number;
  log: Log;
  meter: Pricing & { record(answer: AnswerUsage): void };
  /** An answer the Problems panel cannot take (not in the asked-for shape), kept in the chat instead. */
  addToChat(entry: { display: string; text: string; model: string; task: TaskType; notice: string }): void;
  /** A finding's quick fix: the finding and its code, asked about in the chat. */
  discuss(entry: { display: string; instruction: string; task: TaskType }): Promise<void>;
  /** The secret scan, with its modal; false when the user chose not to send. */
  confirmSend(text: string, what: string): Promise<boolean>;
  propose(proposal: Proposal, signal: AbortSignal, options: { notify: string }): Promise<Decision>;
}

/** `switchboard.batch.concurrency`, read when a batch starts. */
export function batchConcurrency(log: Log): number {
  const value = vscode.workspace.getConfiguration('switchboard').get<unknown>('batch.concurrency');
  if (value === undefined) return 4;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 32) return value;
  log.warn('setting switchboard.batch.concurrency: expected a whole number from 1 to 32 (4 is used instead)');
  return 4;
}

interface Answer {
  text: string;
  model: string;
}

class BatchError extends Error {}

export class BatchWork extends Disposable {
  readonly diagnostics = this._register(vscode.languages.createDiagnosticCollection('switchboard'));
  private seq = 0;

  constructor(private readonly deps: BatchDeps) {
    super();
    this._register(
      vscode.languages.registerCodeActionsProvider({ scheme: 'file' }, { provideCodeActions: (doc, _range, context) => this.quickFixes(doc, context) }, {
        providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
      }),
    );
    this._register(vscode.commands.registerCommand('switchboard.discussFinding', (uri: vscode.Uri, range: vscode.Range, message: string) => this.discussFinding(uri, range, message)));
  }

  // ─── Review Changed Files ──────────────────────────────────────────────────────────────────────

  async reviewChangedFiles(): Promise<void> {
    const router = await this.ready();
    if (!router) return;
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    if (folders.length === 0) {
      void vscode.window.showInformationMessage('Switchboard: open a folder under git to review its changed files.');
      return;
    }
    const files: Array<{ folder: vscode.WorkspaceFolder; rel: string; untracked: boolean }> = [];
    for (const folder of folders) {
      const changed = await changedFiles(folder.uri.fsPath);
      if ('error' in changed) {
        void vscode.window.showWarningMessage(`Switchboard: cannot list the changed files of ${folder.name}: ${changed.error}.`);
        continue;
      }
      // What the tools may not read, a review may not send: excluded files, and links out of the folder or to them.
      const exclude = new ExcludeMatcher([...readToolSettings().exclude, ...filesExclude(folder)]);
      const linkRefusal = linkChecker(folder, exclude);
      for (const c of changed.files) {
        if (exclude.match(c.rel)) continue;
        const refused = await linkRefusal(vscode.Uri.joinPath(folder.uri, c.rel), c.rel);
        if (refused) this.deps.log.info(`review changed files: skipped ${refused}`);
        else files.push({ folder, ...c });
      }
    }
    if (files.length === 0) {
      void vscode.window.showInformationMessage('Switchboard: no changed files to review.');
      return;
    }
    const task = this.deps.config().actionTasks.review;
    this.deps.log.info(`review changed files: ${files.length} files`);
    let findings = 0;
    let secrets = 0;
    const outcome = await this.inProgress(
      'Switchboard: reviewing changed files',
      files,
      async (f, signal) => {
        const file = await this.readReviewFile(f.folder, f.rel, f.untracked, signal);
        // Nobody is asked file by file: secrets are taken out before anything is sent.
        const text = removeSecrets(file.text);
        const diff = file.diff ? removeSecrets(file.diff) : undefined;
        secrets += text.removed + (diff?.removed ?? 0);
        Object.assign(file, { text: text.text, diff: diff?.text });
        const answer = await this.ask(router, task, [{ role: 'system', content: systemPrompt(task) }, ...reviewPrompt(file, this.deps.maxSelectionChars())], signal);
        const lineCount = file.text.split('\n').length;
        const parsed = parseReview(answer.text, lineCount);
        const uri = vscode.Uri.joinPath(f.folder.uri, f.rel);
        if (!parsed.ok) {
          this.deps.log.warn(`review of ${f.rel}: ${parsed.why}; the answer goes to the chat`);
          this.deps.addToChat({ display: `Review Changed Files: ${f.rel}`, text: answer.text, model: answer.model, task, notice: `Not in the Problems panel: ${parsed.why}.` });
          this.diagnostics.delete(uri);
          return { findings: 0, toChat: true };
        }
        this.diagnostics.set(uri, parsed.findings.map((x) => toDiagnostic(x, answer.model)));
        findings += parsed.findings.length;
        return { findings: parsed.findings.length, toChat: false };
      },
      (done, total) => `${done} of ${total} files · ${findings} finding${findings === 1 ? '' : 's'}`,
    );
    const reviewed = outcome.filter((r) => r.ok);
    const cancelled = outcome.some((r) => !r.ok && r.cancelled);
    const failed = outcome.filter((r): r is Extract<typeof r, { ok: false }> => !r.ok && !r.cancelled);
    for (const r of failed) this.deps.log.warn(`review of ${r.item.rel} failed: ${errorText(r.error)}`);
    const toChat = reviewed.filter((r) => r.ok && r.value.toChat).length;
    const parts = [
      cancelled ? `Stopped after ${reviewed.length} of ${files.length} files` : `Reviewed ${reviewed.length} of ${files.length} files`,
      `${findings} finding${findings === 1 ? '' : 's'} in the Problems panel`,
      ...(secrets ? [`${secrets} secret${secrets === 1 ? ' was' : 's were'} removed before sending`] : []),
      ...(toChat ? [`${toChat} answer${toChat === 1 ? ' was' : 's were'} not in the expected shape and ${toChat === 1 ? 'is' : 'are'} in the chat`] : []),
      ...(failed.length ? [`${failed.length} failed (${failed.map((r) => r.item.rel).slice(0, 3).join(', ')}${failed.length > 3 ? '…' : ''}: ${clip(errorText(failed[0]!.error), 120)})`] : []),
    ];
    const show = failed.length ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(`Switchboard: ${parts.join('; ')}.`, 'Show Problems').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.actions.view.problems');
    });
  }

  private async readReviewFile(folder: vscode.WorkspaceFolder, rel: string, untracked: boolean, signal: AbortSignal): Promise<ReviewFile> {
    const uri = vscode.Uri.joinPath(folder.uri, rel);
    const stat = await vscode.workspace.fs.stat(uri);
    if (stat.size > MAX_FILE_BYTES) throw new BatchError(`${rel} is too large to review (${Math.round(stat.size / 1024)} KB)`);
    // One read gives the text (unsaved edits included, when the file is open) and the language.
    const doc = await vscode.workspace.openTextDocument(uri).then(undefined, () => undefined);
    const text = doc?.getText();
    if (text === undefined || text.includes('\0')) throw new BatchError(`${rel} is a binary file or cannot be read as text`);
    const diff = untracked ? undefined : await git(folder.uri.fsPath, ['diff', 'HEAD', '--no-color', '--no-ext-diff', '--', rel], signal);
    return { path: rel, languageId: doc!.languageId, text, diff: diff && 'stdout' in diff && diff.stdout.trim() ? diff.stdout : undefined };
  }

  private quickFixes(doc: vscode.TextDocument, context: vscode.CodeActionContext): vscode.CodeAction[] {
    return context.diagnostics
      .filter((d) => d.source === SOURCE)
      .map((d) => {
        const action = new vscode.CodeAction(`Discuss in Switchboard Chat: ${clip(d.message, 60)}`, vscode.CodeActionKind.QuickFix);
        action.diagnostics = [d];
        action.command = { command: 'switchboard.discussFinding', title: 'Discuss in Switchboard Chat', arguments: [doc.uri, d.range, d.message] };
        return action;
      });
  }

  private async discussFinding(uri: vscode.Uri, range: vscode.Range, message: string): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(uri);
    const path = vscode.workspace.asRelativePath(uri, false);
    const lines = `${range.start.line + 1}-${range.end.line + 1}`;
    const from = Math.max(0, range.start.line - 3);
    const to = Math.min(doc.lineCount - 1, range.end.line + 3);
    const code = doc.getText(new vscode.Range(from, 0, to, doc.lineAt(to).text.length));
    await this.deps.discuss({
      display: `About ${path}:${lines}: ${message}`,
      instruction: `A review of \`${path}\` found this at lines ${lines}: “${message}”\n\nThe code (lines ${from + 1}-${to + 1}):\n${fence(code, doc.languageId)}\n\nExplain the problem and show the fix.`,
      task: this.deps.config().actionTasks.review,
    });
  }

  // ─── Translate Comments in File ────────────────────────────────────────────────────────────────

  async translateComments(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('Switchboard: open the file whose comments should be translated.');
      return;
    }
    const doc = editor.document;
    const name = vscode.workspace.asRelativePath(doc.uri, false);
    const lines = Array.from({ length: doc.lineCount }, (_, i) => doc.lineAt(i).text);
    const ranges = findComments(lines, doc.languageId).map((r) => new vscode.Range(r.start, 0, r.end, lines[r.end]!.length));
    if (ranges.length === 0) {
      void vscode.window.showInformationMessage(`Switchboard: no comments found in ${name}.`);
      return;
    }
    const originals = ranges.map((r) => doc.getText(r));
    if (!(await this.deps.confirmSend(originals.join('\n'), `The comments of ${name}`))) return;
    const router = await this.ready();
    if (!router) return;
    const before = doc.getText();
    const version = doc.version;
    const config = this.deps.config();
    const target = config.translationLanguage;
    const task = config.actionTasks.translate;
    this.deps.log.info(`translate comments: ${ranges.length} in ${name} into ${target}`);
    const results = await this.inProgress(
      `Switchboard: translating the comments of ${name}`,
      originals,
      async (original, signal) => {
        const messages = buildPrompt('translate', { selection: original, languageId: doc.languageId, fileName: name, targetLanguage: target });
        const answer = await this.ask(router, task, messages, signal);
        return restoreCommentSyntax(original, firstCodeBlock(answer.text));
      },
      (done, total) => `${done} of ${total} comments`,
    );
    if (results.some((r) => !r.ok && r.cancelled)) {
      void vscode.window.showInformationMessage('Switchboard: translation stopped; nothing was changed.');
      return;
    }
    const failed = results.filter((r): r is Extract<typeof r, { ok: false }> => !r.ok);
    const changed = results.filter((r) => r.ok && r.value !== r.item).length;
    if (failed.length === results.length) {
      void vscode.window.showErrorMessage(`Switchboard: no comment could be translated: ${clip(errorText(failed[0]!.error), 300)}`);
      return;
    }
    if (changed === 0) {
      void vscode.window.showInformationMessage(`Switchboard: the comments of ${name} are already in ${target}.`);
      return;
    }
    if (doc.version !== version) {
      void vscode.window.showWarningMessage(`Switchboard: ${name} changed while its comments were translated; run the command again.`);
      return;
    }
    // Every translated comment replaced in one text, bottom up so earlier offsets stay valid.
    let proposed = before;
    for (let i = ranges.length - 1; i >= 0; i--) {
      const r = results[i]!;
      if (!r.ok) continue;
      proposed = proposed.slice(0, doc.offsetAt(ranges[i]!.start)) + r.value + proposed.slice(doc.offsetAt(ranges[i]!.end));
    }
    const kept = failed.length ? ` (${failed.length} could not be translated and stay as they are)` : '';
    const decision = await this.deps.propose({ uri: doc.uri, name, original: before, proposed }, new AbortController().signal, {
      notify: `Switchboard: ${changed} comment${changed === 1 ? '' : 's'} of ${name} translated into ${target}${kept}. Apply the changes shown in the diff?`,
    });
    if (decision.outcome === 'failed') void vscode.window.showWarningMessage(`Switchboard: ${decision.why}.`);
  }

  // ─── shared ────────────────────────────────────────────────────────────────────────────────────

  /** Runs the batch under `switchboard.batch.concurrency` in a progress notification whose Cancel stops it all. */
  private inProgress<T, R>(title: string, items: readonly T[], work: (item: T, signal: AbortSignal) => Promise<R>, message: (done: number, total: number) => string): Thenable<BatchResult<T, R>[]> {
    const concurrency = batchConcurrency(this.deps.log);
    this.deps.log.info(`${title}: ${items.length} at most ${concurrency} at a time`);
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const controller = linked(token);
      progress.report({ message: message(0, items.length) });
      try {
        return await runBatch(items, work, { concurrency, signal: controller.signal, onProgress: (done, total) => progress.report({ increment: 100 / total, message: message(done, total) }) });
      } finally {
        controller.dispose();
      }
    });
  }

  private async ready(): Promise<Router | undefined> {
    if (!(await this.deps.ensureKey())) return undefined;
    const router = this.deps.router();
    if (!router) void vscode.window.showErrorMessage('Switchboard is not configured: check switchboard.baseUrl in your user settings.');
    return router;
  }

  /** One routed request (with failover), its usage counted like a chat answer's; throws with the router's sentence. */
  private async ask(router: Router, task: TaskType, messages: ChatMessage[], signal: AbortSignal): Promise<Answer> {
    const id = `b${(++this.seq).toString(36)}`;
    const tally = new AnswerCost(this.deps.meter);
    for await (const e of router.run({ task, messages }, signal)) {
      if (e.type === 'usage') {
        tally.add(e.model, e.usage);
      } else if (e.type === 'done') {
        this.deps.log.attempts(id, e.attempts);
        if (e.cancelled) throw new BatchError('cancelled');
        const { usage, cost, estimated } = tally.settle(e.model, e.usage, promptText(messages), e.text);
        this.deps.meter.record({ model: e.model, usage, cost, estimated, failovers: e.attempts.filter((a) => a.outcome === 'failed').length });
        return { text: e.text, model: e.model };
      } else if (e.type === 'error') {
        this.deps.log.attempts(id, e.attempts);
        throw new BatchError(e.userText);
      }
    }
    throw new BatchError('the router ended without an answer');
  }
}

function toDiagnostic(f: Finding, model: string): vscode.Diagnostic {
  const severity = f.severity === 'error' ? vscode.DiagnosticSeverity.Error : f.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Information;
  const d = new vscode.Diagnostic(new vscode.Range(f.line - 1, 0, f.endLine - 1, Number.MAX_SAFE_INTEGER), f.message, severity);
  d.source = SOURCE;
  d.code = model;
  return d;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function linked(token: vscode.CancellationToken): AbortController & vscode.Disposable {
  const controller = new AbortController() as AbortController & vscode.Disposable;
  const sub = token.onCancellationRequested(() => controller.abort());
  controller.dispose = () => sub.dispose();
  if (token.isCancellationRequested) controller.abort();
  return controller;
}

/** Changed (added, modified, renamed) and untracked files of a git working tree, relative to its root folder. */
async function changedFiles(cwd: string): Promise<{ files: Array<{ rel: string; untracked: boolean }> } | { error: string }> {
  const never = new AbortController().signal;
  const tracked = await git(cwd, ['diff', 'HEAD', '--name-only', '-z', '--diff-filter=ACMRT', '--relative'], never);
  const untracked = await git(cwd, ['ls-files', '--others', '--exclude-standard', '-z'], never);
  if ('error' in untracked) return untracked;
  // A repository without a commit yet: everything in it is new.
  const noHead = 'error' in tracked && /no commit yet/.test(tracked.error);
  if ('error' in tracked && !noHead) return tracked;
  const staged = noHead ? await git(cwd, ['ls-files', '--cached', '-z'], never) : tracked;
  if ('error' in staged) return staged;
  const split = (s: string) => s.split('\0').filter(Boolean);
  const seen = new Set<string>();
  const files: Array<{ rel: string; untracked: boolean }> = [];
  for (const rel of split(staged.stdout)) if (!seen.has(rel)) seen.add(rel) && files.push({ rel, untracked: noHead });
  for (const rel of split(untracked.stdout)) if (!seen.has(rel)) seen.add(rel) && files.push({ rel, untracked: true });
  return { files };
}
