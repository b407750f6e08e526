import type * as vscode from 'vscode';
import { MAX_DAYS, type UsageLedger } from '../core/usage/ledger';
import { EditorPanel } from './editorPanel';
import { usageHtml } from './usageHtml';

export const USAGE_VIEW_TYPE = 'switchboard.usage';

/**
 * `Switchboard: Show Usage`: one editor panel with today's and this session's totals, a chart of cost
 * per day and a table per model. It re-renders after every answer.
 */
export class UsageView extends EditorPanel {
  constructor(
    extensionUri: vscode.Uri,
    private readonly ledger: UsageLedger,
    private readonly budget: () => number | undefined,
  ) {
    super(extensionUri, USAGE_VIEW_TYPE, 'Switchboard Usage');
  }

  protected html(page: { cspSource: string; styleUri: string }): string {
    const budget = this.budget();
    return usageHtml(
      {
        models: this.ledger.byModel(),
        days: this.ledger.byDay(),
        today: this.ledger.today(),
        session: this.ledger.sessionTotals(),
        ...(budget !== undefined ? { budget } : {}),
        keptDays: MAX_DAYS,
        now: new Date(),
      },
      page,
    );
  }
}
