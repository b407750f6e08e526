import * as vscode from 'vscode';
import { MAX_DAYS, type UsageLedger } from '../core/usage/ledger';
import { Disposable } from './lifecycle';
import { usageHtml } from './usageHtml';

export const USAGE_VIEW_TYPE = 'switchboard.usage';

/**
 * `Switchboard: Show Usage`: one editor panel (script-free webview) with today's and this session's
 * totals, a chart of cost per day and a table per model. It re-renders after every answer, and comes
 * back after a reload (VS Code restores it through the serializer).
 */
export class UsageView extends Disposable {
  private panel: vscode.WebviewPanel | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly ledger: UsageLedger,
    private readonly budget: () => number | undefined,
  ) {
    super();
    this._register(
      vscode.window.registerWebviewPanelSerializer(USAGE_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel) => this.adopt(panel),
      }),
    );
  }

  show(): void {
    if (this.panel) {
      this.panel.reveal();
      this.render();
      return;
    }
    this.adopt(vscode.window.createWebviewPanel(USAGE_VIEW_TYPE, 'Switchboard Usage', vscode.ViewColumn.Active, this.options()));
  }

  /** After an answer is counted, or a setting (the budget) changed. */
  refresh(): void {
    this.render();
  }

  private options(): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return { enableScripts: false, enableForms: false, enableCommandUris: false, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'media')] };
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel?.dispose();
    this.panel = panel;
    panel.webview.options = this.options();
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.svg');
    panel.onDidDispose(() => {
      if (this.panel === panel) this.panel = undefined;
    });
    this.render();
  }

  private render(): void {
    const panel = this.panel;
    if (!panel) return;
    const style = panel.webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'usage.css'));
    const budget = this.budget();
    panel.webview.html = usageHtml(
      {
        models: this.ledger.byModel(),
        days: this.ledger.byDay(),
        today: this.ledger.today(),
        session: this.ledger.sessionTotals(),
        ...(budget !== undefined ? { budget } : {}),
        keptDays: MAX_DAYS,
        now: new Date(),
      },
      { cspSource: panel.webview.cspSource, styleUri: style.toString() },
    );
  }

  override dispose(): void {
    this.panel?.dispose();
    super.dispose();
  }
}
