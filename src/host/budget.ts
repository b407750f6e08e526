import * as vscode from 'vscode';
import { checkBudget, crossedWarning, requestCeiling } from '../core/usage/budget';
import { promptText, type ChatMessage } from '../core/tasks';
import type { PriceBook } from '../core/usage/prices';
import type { Log } from './log';

export interface BudgetRequest {
  model: string;
  messages: ChatMessage[];
  maxTokens: number;
}

/**
 * `switchboard.dailyBudget` in the editor: a modal before a request that could go over (nothing is
 * sent unless the user says so), and a warning once today's spend passes 80%.
 */
export class BudgetGuard {
  constructor(
    private readonly budget: () => number | undefined,
    private readonly spentToday: () => number,
    private readonly prices: PriceBook,
    private readonly countTokens: (text: string) => number,
    private readonly log: Log,
  ) {}

  /** True when the request may be sent: no budget, within it, or the user chose to send. */
  async allow(request: BudgetRequest): Promise<boolean> {
    const budget = this.budget();
    if (budget === undefined) return true;
    const promptTokens = this.countTokens(promptText(request.messages));
    const ceiling = requestCeiling(promptTokens, request.maxTokens, this.prices.pricing(request.model));
    const verdict = checkBudget(budget, this.spentToday(), ceiling, request.model);
    if (!verdict.ask) return true;
    const choice = await vscode.window.showWarningMessage(verdict.message, { modal: true, detail: verdict.detail }, 'Send Anyway');
    const send = choice === 'Send Anyway';
    this.log.info(`daily budget: ${verdict.message} → ${send ? 'sent' : 'not sent'}`);
    return send;
  }

  /** After an answer is counted: the 80% warning, once, when this answer crossed it. */
  answered(before: number, after: number): void {
    const warning = crossedWarning(this.budget(), before, after);
    if (!warning) return;
    this.log.warn(`daily budget: ${warning}`);
    void vscode.window.showWarningMessage(`Switchboard: ${warning}`, 'Show Usage', 'Open Settings').then((choice) => {
      if (choice === 'Show Usage') void vscode.commands.executeCommand('switchboard.showUsage');
      else if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'switchboard.dailyBudget');
    });
  }
}
