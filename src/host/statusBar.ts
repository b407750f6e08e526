import * as vscode from 'vscode';
import { formatCount, formatTotal, type UsageTotals } from '../core/usage/ledger';
import { Disposable } from './lifecycle';

/**
 * The model that answered last, today's cost, and a busy indicator while an answer streams; the
 * tooltip has the session's and today's totals; a click opens the chat.
 */
export class StatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem('switchboard.status', vscode.StatusBarAlignment.Right, 100));
  private lastModel: string | undefined;
  private today: UsageTotals | undefined;
  private session: UsageTotals | undefined;

  constructor() {
    super();
    this.item.name = 'Switchboard';
    this.item.command = 'switchboard.openChat';
    this.render(false);
    this.item.show();
  }

  update(busy: boolean, model?: string): void {
    if (model) this.lastModel = model;
    this.render(busy);
    void vscode.commands.executeCommand('setContext', 'switchboard.busy', busy);
  }

  /** Today's and this session's totals, after each answer. */
  usage(today: UsageTotals, session: UsageTotals): void {
    this.today = today;
    this.session = session;
    this.render(false);
  }

  private render(busy: boolean): void {
    const model = this.lastModel ?? 'ready';
    const today = this.today && this.today.requests > 0 ? ` · ${formatTotal(this.today)} today` : '';
    this.item.text = busy ? `$(loading~spin) Switchboard` : `$(comment-discussion) ${model}${today}`;
    const lines = [
      busy ? 'Switchboard is answering…' : this.lastModel ? `Last answer from ${this.lastModel}.` : 'Switchboard',
      ...(this.session && this.session.requests > 0 ? [`This session: ${describe(this.session)}`] : []),
      ...(this.today && this.today.requests > 0 ? [`Today: ${describe(this.today)}`] : []),
      'Click to open the chat.',
    ];
    this.item.tooltip = lines.join('\n');
    this.item.accessibilityInformation = { label: busy ? 'Switchboard is answering' : `Switchboard, last model ${model}${today}` };
  }
}

function describe(t: UsageTotals): string {
  const tokens = t.promptTokens + t.completionTokens;
  const notes = [t.estimated ? 'some tokens estimated' : '', t.unpriced ? 'some models have no price' : ''].filter(Boolean);
  return `${formatTotal(t)} · ${t.requests} answer${t.requests === 1 ? '' : 's'} · ${formatCount(tokens)} tokens${notes.length ? ` (${notes.join('; ')})` : ''}`;
}
