/**
 * Edits a model proposes (the `propose_edit` tool): shown in VS Code's diff editor, applied only when
 * the user clicks Apply (in the chat or on the diff's title bar), as one undoable edit. Nothing is
 * written before that click; Reject, Stop or closing the window leave the file as it was.
 */
import * as vscode from 'vscode';
import { Disposable } from './lifecycle';
import type { Log } from './log';

export const PROPOSAL_SCHEME = 'switchboard-proposal';

export interface Proposal {
  uri: vscode.Uri;
  /** How the chat and the diff's title name the file. */
  name: string;
  /** The text the edit was computed from; undefined for a new file. */
  original: string | undefined;
  proposed: string;
  explanation?: string;
}

export type Decision = { outcome: 'applied' } | { outcome: 'rejected'; why: 'user' | 'stopped' } | { outcome: 'failed'; why: string };

interface Pending {
  proposal: Proposal;
  decide: (d: Decision) => void;
  /** The right side of the diff (and, for a new file, the empty left side). */
  right: vscode.Uri;
  left: vscode.Uri;
}

/** What the chat needs: to hear of a proposal waiting for the user, and to pass on the user's choice. */
export interface ProposalDecisions {
  readonly onDidPropose: vscode.Event<{ id: string; name: string }>;
  decide(id: string, apply: boolean): Promise<void>;
  show(id: string): Promise<void>;
}

export class Proposals extends Disposable implements vscode.TextDocumentContentProvider, ProposalDecisions {
  private readonly pending = new Map<string, Pending>();
  private readonly proposed = this._register(new vscode.EventEmitter<{ id: string; name: string }>());
  readonly onDidPropose = this.proposed.event;
  private seq = 0;

  constructor(private readonly log: Log) {
    super();
    this._register(vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, this));
    // From the diff editor's title bar: the proposal is the one whose diff is active.
    this._register(vscode.commands.registerCommand('switchboard.applyProposal', (uri?: vscode.Uri) => this.fromEditor(uri, true)));
    this._register(vscode.commands.registerCommand('switchboard.rejectProposal', (uri?: vscode.Uri) => this.fromEditor(uri, false)));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const p = this.pending.get(new URLSearchParams(uri.query).get('id') ?? '');
    if (!p) return '';
    return uri.toString() === p.left.toString() ? (p.proposal.original ?? '') : p.proposal.proposed;
  }

  /**
   * Shows the diff and waits for the user's decision (or the signal: Stop rejects it). With `notify`,
   * a notification asks too (for work that has no chat step to click), and closing the diff rejects.
   */
  async propose(proposal: Proposal, signal: AbortSignal, options: { notify?: string } = {}): Promise<Decision> {
    const id = `p${++this.seq}`;
    const base = (side: string) => vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: proposal.uri.path, query: new URLSearchParams({ id, side }).toString() });
    let decide!: (d: Decision) => void;
    const decided = new Promise<Decision>((resolve) => (decide = resolve));
    const right = base('proposed');
    const left = proposal.original === undefined ? base('original') : proposal.uri;
    this.pending.set(id, { proposal, decide, right, left });
    const onAbort = () => decide({ outcome: 'rejected', why: 'stopped' });
    signal.addEventListener('abort', onAbort, { once: true });
    void vscode.commands.executeCommand('setContext', 'switchboard.proposalPending', true);
    const closed = options.notify
      ? vscode.window.tabGroups.onDidChangeTabs((e) => {
          if (e.closed.some((t) => isDiffOf(t, right))) decide({ outcome: 'rejected', why: 'user' });
        })
      : undefined;
    try {
      this.proposed.fire({ id, name: proposal.name });
      await this.show(id);
      if (options.notify) {
        void vscode.window.showInformationMessage(options.notify, 'Apply', 'Reject').then((choice) => {
          if (choice) void this.decide(id, choice === 'Apply');
        });
      }
      const decision = signal.aborted ? ({ outcome: 'rejected', why: 'stopped' } as const) : await decided;
      this.log.info(`proposed edit to ${proposal.name}: ${decision.outcome}${'why' in decision ? ` (${decision.why})` : ''}`);
      return decision;
    } finally {
      closed?.dispose();
      signal.removeEventListener('abort', onAbort);
      this.pending.delete(id);
      void vscode.commands.executeCommand('setContext', 'switchboard.proposalPending', this.pending.size > 0);
      await this.closeDiff(right);
    }
  }

  async show(id: string): Promise<void> {
    const p = this.pending.get(id);
    if (!p) return;
    const title = `${p.proposal.name} ↔ proposed edit${p.proposal.original === undefined ? ' (new file)' : ''}`;
    await vscode.commands.executeCommand('vscode.diff', p.left, p.right, title, { preview: false, preserveFocus: false });
  }

  async decide(id: string, apply: boolean): Promise<void> {
    const p = this.pending.get(id);
    if (!p) return;
    if (!apply) return p.decide({ outcome: 'rejected', why: 'user' });
    p.decide(await this.apply(p.proposal));
  }

  /** One WorkspaceEdit (so one Undo), saved; refused if the file changed since the edit was proposed. */
  private async apply(proposal: Proposal): Promise<Decision> {
    const edit = new vscode.WorkspaceEdit();
    let doc: vscode.TextDocument | undefined;
    if (proposal.original === undefined) {
      edit.createFile(proposal.uri, { ignoreIfExists: false, contents: new TextEncoder().encode(proposal.proposed) });
    } else {
      doc = await vscode.workspace.openTextDocument(proposal.uri);
      if (doc.getText() !== proposal.original) return { outcome: 'failed', why: `${proposal.name} changed after the edit was proposed; nothing was applied` };
      edit.replace(proposal.uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), proposal.proposed);
    }
    if (!(await vscode.workspace.applyEdit(edit))) return { outcome: 'failed', why: `VS Code could not apply the edit to ${proposal.name}` };
    await (doc ?? (await vscode.workspace.openTextDocument(proposal.uri))).save();
    return { outcome: 'applied' };
  }

  private async fromEditor(uri: vscode.Uri | undefined, apply: boolean): Promise<void> {
    const target = uri ?? vscode.window.activeTextEditor?.document.uri;
    const id = target?.scheme === PROPOSAL_SCHEME ? new URLSearchParams(target.query).get('id') : [...this.pending.keys()].at(-1);
    if (id) await this.decide(id, apply);
  }

  private async closeDiff(right: vscode.Uri): Promise<void> {
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => isDiffOf(t, right));
    if (tabs.length) await vscode.window.tabGroups.close(tabs).then(undefined, () => undefined);
  }
}

/** Whether a tab is the diff of the proposal whose right side is `right`. */
function isDiffOf(tab: vscode.Tab, right: vscode.Uri): boolean {
  return tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.toString() === right.toString();
}
