import type * as vscode from 'vscode';
import type { Health } from '../core/resilience/health';
import { firstTokenDeadline } from '../core/resilience/policies';
import { EditorPanel } from './editorPanel';
import { RESET_COMMAND, healthHtml } from './healthHtml';

export const HEALTH_VIEW_TYPE = 'switchboard.health';

/**
 * `Switchboard: Show Model Health`: a table per model of what the router learned (state, latency,
 * speed, deadline, errors, hedges), re-rendered when health changes and every few seconds while a
 * countdown (cooldown, open circuit) is on screen.
 */
export class HealthView extends EditorPanel {
  /** Runs only while the panel is visible and shows a countdown. */
  private ticker: ReturnType<typeof setInterval> | undefined;

  constructor(
    extensionUri: vscode.Uri,
    private readonly health: Health,
    private readonly context: () => { gateway: string; firstTokenMs: number },
  ) {
    super(extensionUri, HEALTH_VIEW_TYPE, 'Switchboard Model Health', [RESET_COMMAND]);
    this._register(health.onChange(() => this.refresh()));
    this._register({ dispose: () => this.stopTicker() });
  }

  private stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  protected html(page: { cspSource: string; styleUri: string }): string {
    const rows = this.health.rows();
    if (rows.some((r) => r.untilMs !== undefined)) {
      this.ticker ??= setInterval(() => (this.visible ? this.refresh() : this.stopTicker()), 5_000);
    } else this.stopTicker();
    const { gateway, firstTokenMs } = this.context();
    return healthHtml({ rows, gateway, deadline: (m) => firstTokenDeadline(this.health.history(m), firstTokenMs), now: Date.now() }, page);
  }
}
