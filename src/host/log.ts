import * as vscode from 'vscode';
import { redact } from '../core/errors';
import type { AttemptRecord } from '../core/router';

/** The only writer to the `Switchboard` output channel; every line passes through redaction. */
export class Log implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;
  private secrets: string[] = [];

  constructor() {
    this.channel = vscode.window.createOutputChannel('Switchboard', { log: true });
  }

  /** Values (the key) that must never appear in a log line. */
  setSecrets(secrets: string[]): void {
    this.secrets = secrets.filter(Boolean);
  }

  info(message: string): void {
    this.channel.info(redact(message, this.secrets));
  }
  warn(message: string): void {
    this.channel.warn(redact(message, this.secrets));
  }
  error(message: string): void {
    this.channel.error(redact(message, this.secrets));
  }
  debug(message: string): void {
    this.channel.debug(redact(message, this.secrets));
  }

  /** One line per attempt: model, outcome, status, time to first token, failover reason. */
  attempts(requestId: string, attempts: AttemptRecord[]): void {
    for (const a of attempts) {
      const ttft = a.ttftMs !== undefined ? ` ttft=${Math.round(a.ttftMs)}ms` : '';
      const line = `[${requestId}] ${a.model} ${a.outcome}${a.status ? ` status=${a.status}` : ''}${ttft} took=${Math.round(a.durationMs)}ms — ${a.summary}`;
      if (a.outcome === 'failed') this.warn(line);
      else this.info(line);
    }
  }

  dispose(): void {
    this.channel.dispose();
  }
}
