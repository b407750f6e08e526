import * as vscode from 'vscode';
import { classify, isGatewayError } from '../core/errors';
import { Disposable } from './lifecycle';
import type { Log } from './log';

const KEY = 'switchboard.gatewayKey';

/** The only owner of SecretStorage: the gateway key lives there and nowhere else. */
export class Secrets extends Disposable {
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.changed.event;
  private cached: string | undefined;
  private loaded = false;

  constructor(
    private readonly storage: vscode.SecretStorage,
    private readonly log: Log,
    /** Checks a key with one cheap call (GET /models); resolves with an error sentence, or undefined when accepted. */
    private readonly validate: (key: string) => Promise<string | undefined>,
  ) {
    super();
    this._register(
      storage.onDidChange(async (e) => {
        if (e.key !== KEY) return;
        this.loaded = false;
        await this.get();
        this.changed.fire();
      }),
    );
  }

  async get(): Promise<string | undefined> {
    if (!this.loaded) {
      this.cached = (await this.storage.get(KEY)) || undefined;
      this.loaded = true;
      this.log.setSecrets(this.cached ? [this.cached] : []);
    }
    return this.cached;
  }

  /** The key, asking for it first when none is stored; undefined when the user cancels. */
  async require(): Promise<string | undefined> {
    return (await this.get()) ?? (await this.prompt('Switchboard needs a gateway API key before it can send anything.'));
  }

  /** Asks for a key (password box), validates it against the gateway and stores it. */
  async prompt(reason?: string): Promise<string | undefined> {
    const key = await vscode.window.showInputBox({
      title: 'Switchboard: Set API Key',
      prompt: reason ?? 'The OpenAI-compatible gateway key. It is kept in VS Code’s secret storage, never in settings.',
      password: true,
      ignoreFocusOut: true,
      placeHolder: 'sk-…',
      validateInput: (v) => (v.trim() ? (/\s/.test(v.trim()) ? 'A key has no spaces.' : undefined) : 'Enter a key, or press Escape to cancel.'),
    });
    if (!key?.trim()) return undefined;
    const value = key.trim();
    const problem = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Switchboard: checking the key with the gateway…' },
      () => this.validate(value),
    );
    if (problem) {
      const choice = await vscode.window.showErrorMessage(problem, 'Try Again', 'Save Anyway');
      if (choice === 'Try Again') return this.prompt(reason);
      if (choice !== 'Save Anyway') return undefined;
    }
    await this.store(value);
    if (!problem) void vscode.window.showInformationMessage('Switchboard: key saved and accepted by the gateway.');
    return value;
  }

  async store(value: string): Promise<void> {
    await this.storage.store(KEY, value);
    this.cached = value;
    this.loaded = true;
    this.log.setSecrets([value]);
    this.log.info('API key stored in secret storage');
    this.changed.fire();
  }

  async clear(): Promise<void> {
    await this.storage.delete(KEY);
    this.cached = undefined;
    this.loaded = true;
    this.log.info('API key cleared');
    this.changed.fire();
    void vscode.window.showInformationMessage('Switchboard: API key cleared.');
  }
}

/** Turns a failed key check into the sentence the user reads; network trouble is not the key's fault. */
export function keyCheckMessage(err: unknown): string {
  if (isGatewayError(err)) {
    const c = classify(err.failure);
    if (c.reason === 'auth' || c.reason === 'forbidden') return `The gateway refused this key (${err.failure.status}).`;
    return `Could not check the key: ${c.summary}. ${err.failure.message}`.trim();
  }
  return `Could not check the key: ${err instanceof Error ? err.message : String(err)}`;
}
