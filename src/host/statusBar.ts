import * as vscode from 'vscode';
import { Disposable } from './lifecycle';

/** The model that answered last, and a busy indicator while an answer streams; a click opens the chat. */
export class StatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem('switchboard.status', vscode.StatusBarAlignment.Right, 100));
  private lastModel: string | undefined;

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

  private render(busy: boolean): void {
    const model = this.lastModel ?? 'ready';
    this.item.text = busy ? `$(loading~spin) Switchboard` : `$(comment-discussion) ${model}`;
    this.item.tooltip = busy
      ? 'Switchboard is answering… (click to open the chat)'
      : this.lastModel
        ? `Switchboard: last answer from ${this.lastModel}. Click to open the chat.`
        : 'Switchboard: open the chat';
    this.item.accessibilityInformation = { label: busy ? 'Switchboard is answering' : `Switchboard, last model ${model}` };
  }
}
