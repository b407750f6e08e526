/**
 * The editor tools over the vscode API: the ToolHost the core tool loop calls. Every path is checked
 * here before anything is read: relative to a workspace folder, no `..`, no symlink out of it, nothing
 * matched by `files.exclude` or `switchboard.tools.exclude`; and whatever is read is secret-scanned.
 */
import { execFile } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { clip } from '../core/errors';
import { removeSecrets, trimSelection } from '../core/secrets';
import type { ToolHost, ToolResult } from '../core/tools/loop';
import { DEFAULT_TOOL_EXCLUDE, ExcludeMatcher, relativePath } from '../core/tools/paths';
import { applyEdits } from '../core/tools/edits';
import { READ_ONLY_TOOLS, TOOL_NAMES, type ToolArgs, type ToolName } from '../core/tools/schemas';
import type { Log } from './log';
import type { Decision, Proposal } from './proposals';

/** Where `propose_edit` shows its diff and waits for the user (src/host/proposals.ts). */
export interface EditProposer {
  propose(proposal: Proposal, signal: AbortSignal): Promise<Decision>;
}

/** Files larger than this are not read whole (a range still works up to MAX_READ_BYTES). */
const MAX_FILE_BYTES = 512 * 1024;
const MAX_READ_BYTES = 4 * 1024 * 1024;
const MAX_SEARCH_FILE_BYTES = 1024 * 1024;
const MAX_SEARCH_FILES = 5000;
const DEFAULT_RESULTS = 100;

export interface ToolSettings {
  enabled: boolean;
  exclude: string[];
  problems: string[];
}

/**
 * Read when a question is sent, not at activation. Tools guard the user's files, so a workspace may
 * only narrow them: any layer can turn them off, none can turn them on against the user; exclusions
 * add up (the user's value, or the default, plus the workspace's). Untrusted: off.
 */
export function readToolSettings(): ToolSettings {
  const trusted = vscode.workspace.isTrusted;
  const cfg = vscode.workspace.getConfiguration('switchboard', vscode.workspace.workspaceFolders?.[0]?.uri ?? null);
  const problems: string[] = [];
  const enabled = cfg.inspect<unknown>('tools.enabled');
  const layers = [enabled?.globalValue, ...(trusted ? [enabled?.workspaceValue, enabled?.workspaceFolderValue] : [])];
  if (layers.some((v) => v !== undefined && typeof v !== 'boolean')) problems.push('switchboard.tools.enabled: expected true or false');
  const exclude = cfg.inspect<unknown>('tools.exclude');
  const globs = (value: unknown): string[] | undefined => {
    if (value === undefined) return undefined;
    if (Array.isArray(value) && value.every((g) => typeof g === 'string')) return value as string[];
    problems.push('switchboard.tools.exclude: expected an array of glob patterns such as "**/.env*"');
    return undefined;
  };
  const user = globs(exclude?.globalValue) ?? [...DEFAULT_TOOL_EXCLUDE];
  const workspace = trusted ? [...(globs(exclude?.workspaceValue) ?? []), ...(globs(exclude?.workspaceFolderValue) ?? [])] : [];
  return { enabled: trusted && !layers.includes(false), exclude: [...new Set([...user, ...workspace])], problems };
}

/** `files.exclude` patterns that are switched on (`true`); conditional (`when`) entries are kept too, to be safe. */
export function filesExclude(folder: vscode.WorkspaceFolder): string[] {
  const value = vscode.workspace.getConfiguration('files', folder.uri).get<Record<string, unknown>>('exclude') ?? {};
  return Object.entries(value)
    .filter(([, on]) => on === true || (typeof on === 'object' && on !== null))
    .map(([glob]) => glob);
}

interface Resolved {
  uri: vscode.Uri;
  /** Relative to its folder, with `/`. */
  rel: string;
  folder: vscode.WorkspaceFolder;
}

type Refusal = { refused: string };

const refuse = (why: string): ToolResult => ({ content: `Error: ${why}`, summary: `refused: ${why}`, isError: true });
const lines = (n: number) => `${n} line${n === 1 ? '' : 's'}`;

/** Secrets in what a tool read are replaced before the model sees them; the summary says how many. */
function scrubbed(content: string, summary: string): ToolResult {
  const { text, removed } = removeSecrets(content);
  return { content: text, summary: removed ? `${summary}; ${removed} secret${removed === 1 ? '' : 's'} removed` : summary };
}

function tokenFor(signal: AbortSignal): vscode.CancellationTokenSource {
  const source = new vscode.CancellationTokenSource();
  if (signal.aborted) source.cancel();
  else signal.addEventListener('abort', () => source.cancel(), { once: true });
  return source;
}

function isBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 8192);
  for (let i = 0; i < n; i++) if (bytes[i] === 0) return true;
  return false;
}

export class EditorTools implements ToolHost {
  private matchers = new Map<string, ExcludeMatcher>();
  private settings: ToolSettings = { enabled: false, exclude: [], problems: [] };
  private warned = '';

  constructor(
    private readonly log: Log,
    private readonly maxSelectionChars: () => number,
    private readonly proposer?: EditProposer,
  ) {}

  available(): readonly ToolName[] {
    this.settings = readToolSettings();
    const problems = this.settings.problems.join('; ');
    if (problems && problems !== this.warned) this.log.warn(`settings: ${problems} (the default is used instead)`);
    this.warned = problems;
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (!this.settings.enabled || folders.length === 0) return [];
    this.matchers = new Map(folders.map((f) => [f.uri.toString(), new ExcludeMatcher([...this.settings.exclude, ...filesExclude(f)])]));
    return this.proposer ? TOOL_NAMES : READ_ONLY_TOOLS;
  }

  async run(name: ToolName, args: Record<string, unknown>, signal: AbortSignal): Promise<ToolResult> {
    // Trust can be withdrawn, or tools turned off, while a loop runs: check again before every call.
    if (!vscode.workspace.isTrusted || !this.settings.enabled) return refuse('tools are off (untrusted workspace or switchboard.tools.enabled)');
    switch (name) {
      case 'get_selection':
        return this.selection();
      case 'read_file':
        return this.readFile(args as ToolArgs<'read_file'>);
      case 'list_files':
        return this.listFiles(args as ToolArgs<'list_files'>, signal);
      case 'search_text':
        return this.searchText(args as ToolArgs<'search_text'>, signal);
      case 'get_diagnostics':
        return this.diagnostics(args as ToolArgs<'get_diagnostics'>);
      case 'git_diff':
        return this.gitDiff(args as ToolArgs<'git_diff'>, signal);
      case 'propose_edit':
        return this.proposeEdit(args as ToolArgs<'propose_edit'>, signal);
      default:
        return refuse(`${name} is not available here`);
    }
  }

  private matcher(folder: vscode.WorkspaceFolder): ExcludeMatcher {
    return this.matchers.get(folder.uri.toString()) ?? new ExcludeMatcher(this.settings.exclude);
  }

  /** The workspace file a model-supplied path names, or why it may not be touched. */
  private async resolve(input: string): Promise<Resolved | Refusal> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    let text = input.trim();
    // An absolute path inside a workspace folder is taken as that folder's relative path; any other is refused below.
    for (const f of folders) {
      if (f.uri.scheme !== 'file' || !path.isAbsolute(text)) continue;
      const r = path.relative(f.uri.fsPath, text);
      if (r && !r.startsWith('..') && !path.isAbsolute(r)) {
        text = r;
        break;
      }
    }
    const checked = relativePath(text);
    if (!checked.ok) return { refused: checked.why };
    let folder = folders[0];
    let rel = checked.path;
    if (folders.length > 1) {
      const [head, ...rest] = rel.split('/');
      const named = folders.find((f) => f.name === head);
      if (named) {
        folder = named;
        rel = rest.join('/');
      }
    }
    if (!folder) return { refused: 'no workspace folder is open' };
    const excludedBy = rel ? this.matcher(folder).match(rel) : undefined;
    if (excludedBy) return { refused: `${rel} is excluded from tools (${excludedBy})` };
    const uri = rel ? vscode.Uri.joinPath(folder.uri, rel) : folder.uri;
    const link = await linkChecker(folder, this.matcher(folder))(uri, rel);
    return link ? { refused: link } : { uri, rel, folder };
  }

  private display(r: Resolved): string {
    return (vscode.workspace.workspaceFolders?.length ?? 0) > 1 ? `${r.folder.name}/${r.rel}` : r.rel;
  }

  private async selection(): Promise<ToolResult> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return { content: 'No editor is active.', summary: 'no active editor' };
    const doc = editor.document;
    const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
    const rel = folder ? path.posix.normalize(vscode.workspace.asRelativePath(doc.uri, false)) : undefined;
    if (!folder || !rel) return refuse('the active editor is not a workspace file');
    const hit = this.matcher(folder).match(rel);
    if (hit) return refuse(`${rel} is excluded from tools (${hit})`);
    const sel = editor.selection;
    if (sel.isEmpty) return { content: `Nothing is selected in ${rel} (the cursor is on line ${sel.active.line + 1}).`, summary: `nothing selected in ${rel}` };
    const trimmed = trimSelection(doc.getText(sel), this.maxSelectionChars());
    const range = `lines ${sel.start.line + 1}–${sel.end.line + 1}`;
    return scrubbed(`File: ${rel} (${range}, ${doc.languageId})\n\n${trimmed.text}`, `selection in ${rel}, ${range}${trimmed.trimmed ? ' (trimmed)' : ''}`);
  }

  private async readFile(args: ToolArgs<'read_file'>): Promise<ToolResult> {
    const r = await this.resolve(args.path);
    if ('refused' in r) return refuse(r.refused);
    const name = this.display(r);
    let stat: vscode.FileStat;
    try {
      stat = await vscode.workspace.fs.stat(r.uri);
    } catch {
      return refuse(`${name} does not exist`);
    }
    if (stat.type & vscode.FileType.Directory) return refuse(`${name} is a folder; use list_files`);
    const ranged = args.startLine !== undefined || args.endLine !== undefined;
    if (stat.size > (ranged ? MAX_READ_BYTES : MAX_FILE_BYTES)) {
      return refuse(`${name} is too large to read${ranged ? '' : ' whole'} (${Math.round(stat.size / 1024)} KB)${ranged ? '' : '; ask for a range of lines'}`);
    }
    // An open document's text is what the user sees, unsaved edits included.
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === r.uri.toString());
    let text: string;
    if (open) text = open.getText();
    else {
      const bytes = await vscode.workspace.fs.readFile(r.uri);
      if (isBinary(bytes)) return refuse(`${name} is a binary file`);
      text = new TextDecoder('utf-8').decode(bytes);
    }
    const all = text.split(/\r?\n/);
    if (!ranged) return scrubbed(text, `read ${name} (${lines(all.length)})`);
    const start = Math.max(1, args.startLine ?? 1);
    const end = Math.min(all.length, args.endLine ?? all.length);
    if (start > end) return refuse(`${name} has ${lines(all.length)}; lines ${start}–${end} are not in it`);
    return scrubbed(`(lines ${start}–${end} of ${all.length})\n${all.slice(start - 1, end).join('\n')}`, `read ${name}, lines ${start}–${end} of ${all.length}`);
  }

  /** Workspace files matching a glob, excluded ones left out; relative paths, sorted. */
  private async find(glob: string, max: number, signal: AbortSignal): Promise<Resolved[] | Refusal> {
    const checked = relativePath(glob);
    if (!checked.ok) return { refused: checked.why };
    const out: Resolved[] = [];
    const source = tokenFor(signal);
    try {
      for (const folder of vscode.workspace.workspaceFolders ?? []) {
        const uris = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, checked.path || '**/*'), undefined, max + 200, source.token);
        const matcher = this.matcher(folder);
        const linkRefusal = linkChecker(folder, matcher);
        for (const uri of uris) {
          const rel = path.posix.normalize(path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join('/'));
          if (rel.startsWith('..') || matcher.match(rel) || (await linkRefusal(uri, rel))) continue;
          out.push({ uri, rel, folder });
        }
      }
    } finally {
      source.dispose();
    }
    return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  }

  private async listFiles(args: ToolArgs<'list_files'>, signal: AbortSignal): Promise<ToolResult> {
    const max = args.maxResults ?? DEFAULT_RESULTS;
    const found = await this.find(args.glob, max, signal);
    if ('refused' in found) return refuse(found.refused);
    if (found.length === 0) return { content: `No files match ${args.glob}.`, summary: `no files match ${args.glob}` };
    const shown = found.slice(0, max).map((r) => this.display(r));
    const more = found.length > max ? `\n(${found.length - max} more not shown)` : '';
    return { content: shown.join('\n') + more, summary: `${found.length > max ? `${max}+` : found.length} files match ${args.glob}` };
  }

  private async searchText(args: ToolArgs<'search_text'>, signal: AbortSignal): Promise<ToolResult> {
    let pattern: RegExp;
    try {
      pattern = args.isRegex ? new RegExp(args.query, 'i') : new RegExp(args.query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
    } catch (err) {
      return refuse(`not a valid regular expression: ${err instanceof Error ? err.message : String(err)}`);
    }
    const max = args.maxResults ?? DEFAULT_RESULTS;
    const found = await this.find(args.glob || '**/*', MAX_SEARCH_FILES, signal);
    if ('refused' in found) return refuse(found.refused);
    const hits: string[] = [];
    const filesHit = new Set<string>();
    for (const r of found) {
      if (signal.aborted || hits.length >= max) break;
      const stat = await vscode.workspace.fs.stat(r.uri).then(undefined, () => undefined);
      if (!stat || stat.size > MAX_SEARCH_FILE_BYTES) continue;
      const bytes = await vscode.workspace.fs.readFile(r.uri).then(undefined, () => undefined);
      if (!bytes || isBinary(bytes)) continue;
      const textLines = new TextDecoder('utf-8').decode(bytes).split(/\r?\n/);
      for (let i = 0; i < textLines.length && hits.length < max; i++) {
        if (!pattern.test(textLines[i]!)) continue;
        hits.push(`${this.display(r)}:${i + 1}: ${clip(textLines[i]!, 200)}`);
        filesHit.add(r.rel);
      }
    }
    if (hits.length === 0) return { content: `No matches for ${args.query}.`, summary: `no matches for ${clip(args.query, 60)}` };
    return scrubbed(hits.join('\n'), `${hits.length >= max ? `${max}+` : hits.length} matches in ${filesHit.size} files`);
  }

  private async diagnostics(args: ToolArgs<'get_diagnostics'>): Promise<ToolResult> {
    let entries: Array<[vscode.Uri, readonly vscode.Diagnostic[]]>;
    if (args.path) {
      const r = await this.resolve(args.path);
      if ('refused' in r) return refuse(r.refused);
      entries = [[r.uri, vscode.languages.getDiagnostics(r.uri)]];
    } else entries = vscode.languages.getDiagnostics();
    const severity = ['error', 'warning', 'info', 'hint'];
    const out: string[] = [];
    for (const [uri, list] of entries) {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      if (!folder || list.length === 0) continue;
      const rel = vscode.workspace.asRelativePath(uri, (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
      if (this.matcher(folder).match(path.posix.normalize(vscode.workspace.asRelativePath(uri, false)))) continue;
      for (const d of list) {
        out.push(`${rel}:${d.range.start.line + 1}:${d.range.start.character + 1} ${severity[d.severity] ?? 'info'}: ${clip(d.message, 300)}${d.source ? ` [${d.source}]` : ''}`);
      }
    }
    if (out.length === 0) return { content: args.path ? `No problems reported for ${args.path}.` : 'No problems reported in the workspace.', summary: 'no problems' };
    return { content: out.slice(0, 300).join('\n'), summary: `${out.length} problem${out.length === 1 ? '' : 's'}` };
  }

  /** Computes the edited text, then leaves the decision to the user (the diff editor, Apply or Reject). */
  private async proposeEdit(args: ToolArgs<'propose_edit'>, signal: AbortSignal): Promise<ToolResult> {
    if (!this.proposer) return refuse('editing is not available here');
    if ((args.edits === undefined) === (args.content === undefined)) return refuse('give either edits (to change a file) or content (to create one), not both or neither');
    const r = await this.resolve(args.path);
    if ('refused' in r) return refuse(r.refused);
    const name = this.display(r);
    const stat = await vscode.workspace.fs.stat(r.uri).then(undefined, () => undefined);
    if (stat && stat.type & vscode.FileType.Directory) return refuse(`${name} is a folder`);
    if (!stat && args.edits) return refuse(`${name} does not exist; to create it, give its content`);
    if (stat && args.content !== undefined) return refuse(`${name} already exists; change it with edits`);
    let original: string | undefined;
    if (stat) {
      if (stat.size > MAX_READ_BYTES) return refuse(`${name} is too large to edit here`);
      const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === r.uri.toString());
      if (open) original = open.getText();
      else {
        const bytes = await vscode.workspace.fs.readFile(r.uri);
        if (isBinary(bytes)) return refuse(`${name} is a binary file`);
        original = new TextDecoder('utf-8').decode(bytes);
      }
    }
    let proposed: string;
    if (original === undefined) proposed = args.content ?? '';
    else {
      const edited = applyEdits(original, args.edits ?? []);
      if (!edited.ok) return refuse(edited.why);
      proposed = edited.text;
    }
    if (proposed === original) return { content: `The edit would not change ${name}.`, summary: 'no change', isError: true };
    const decision = await this.proposer.propose({ uri: r.uri, name, original, proposed, explanation: args.explanation }, signal);
    switch (decision.outcome) {
      case 'applied':
        return { content: `The user applied the edit; ${name} is saved with it.`, summary: `applied to ${name}` };
      case 'rejected':
        return decision.why === 'stopped'
          ? { content: 'The user stopped the answer before deciding; nothing was changed.', summary: 'stopped; nothing changed', isError: true }
          : { content: `The user rejected the edit to ${name}; it was not applied. Do not apply it another way.`, summary: 'rejected by you', isError: true };
      default:
        return { content: `Error: ${decision.why}`, summary: `not applied: ${decision.why}`, isError: true };
    }
  }

  private async gitDiff(args: ToolArgs<'git_diff'>, signal: AbortSignal): Promise<ToolResult> {
    let folder = vscode.workspace.workspaceFolders?.[0];
    const spec: string[] = [];
    if (args.path) {
      const r = await this.resolve(args.path);
      if ('refused' in r) return refuse(r.refused);
      folder = r.folder;
      spec.push(r.rel || '.');
    }
    if (!folder || folder.uri.scheme !== 'file') return refuse('the git diff needs a local workspace folder');
    // Excluded files stay out of the diff too (git's own pathspec magic).
    const excludes = [...this.settings.exclude, ...filesExclude(folder)].map((g) => `:(exclude,glob)${g}`);
    const result = await git(folder.uri.fsPath, ['diff', 'HEAD', '--no-color', '--no-ext-diff', '--', ...(spec.length ? spec : ['.']), ...excludes], signal);
    if ('error' in result) return refuse(result.error);
    if (!result.stdout.trim()) return { content: 'No uncommitted changes.', summary: 'no changes' };
    const files = (result.stdout.match(/^diff --git /gm) ?? []).length;
    return scrubbed(result.stdout, `${files} changed file${files === 1 ? '' : 's'}`);
  }
}

/**
 * A symbolic link may point anywhere: the check that a file's real path is still inside the folder, and
 * not excluded. The folder's own real path is read once per checker, not once per file.
 */
export function linkChecker(folder: vscode.WorkspaceFolder, matcher: ExcludeMatcher): (uri: vscode.Uri, rel: string) => Promise<string | undefined> {
  let root: Promise<string> | undefined;
  return async (uri, rel) => {
    if (uri.scheme !== 'file') return undefined;
    root ??= realpath(folder.uri.fsPath).catch(() => folder.uri.fsPath);
    const real = await realpath(uri.fsPath).catch(() => undefined);
    if (real === undefined) return undefined;
    const inside = path.relative(await root, real);
    if (inside.startsWith('..') || path.isAbsolute(inside)) return `${rel} leads outside the workspace (a symbolic link)`;
    const linkedTo = inside.split(path.sep).join('/');
    const hit = linkedTo ? matcher.match(linkedTo) : undefined;
    return hit ? `${rel} leads to an excluded file (${hit})` : undefined;
  };
}

/** Runs git in a folder; the error says plainly what is wrong (no repository, no commit, no git). */
export function git(cwd: string, args: string[], signal: AbortSignal): Promise<{ stdout: string } | { error: string }> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, signal, timeout: 15_000, maxBuffer: 8 * 1024 * 1024, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } }, (err, stdout, stderr) => {
      if (!err) return resolve({ stdout });
      const text = `${stderr || err.message}`;
      if (/not a git repository/i.test(text)) return resolve({ error: 'the workspace is not a git repository' });
      if (/unknown revision|bad revision 'HEAD'|ambiguous argument 'HEAD'/i.test(text)) return resolve({ error: 'the repository has no commit yet' });
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return resolve({ error: 'git is not installed' });
      resolve({ error: `git failed: ${clip(text, 300)}` });
    });
  });
}
