import * as vscode from 'vscode';
import { resolveSettings, type RawSettings, type ResolvedSettings, type SettingSource, type SettingsProblem } from '../core/routes';
import { parseBudget } from '../core/usage/budget';
import { Disposable } from './lifecycle';
export { SETTING_KEYS } from './settingKeys';
import type { Log } from './log';

export const DEFAULT_BASE_URL = 'https://global.xidao.online/v1';

export interface Connection {
  baseURL: string;
  headers: Record<string, string>;
}

export interface Snapshot extends ResolvedSettings {
  connection: Connection;
  maxSelectionChars: number;
  /** `switchboard.dailyBudget` in US dollars (user settings only); undefined: no budget. */
  dailyBudget: number | undefined;
  /** Workspace values exist but are ignored because the workspace is not trusted. */
  restricted: boolean;
}

/** localhost, 127.x.x.x or ::1: an address that never leaves the machine. */
export function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Checks the gateway URL: https anywhere, plain http only to loopback. Returns a problem or undefined. */
export function checkBaseUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.trim()) return 'expected a URL such as https://global.xidao.online/v1';
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return `expected a URL such as https://global.xidao.online/v1, got ${JSON.stringify(value)}`;
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') {
    if (isLoopback(url)) return undefined;
    return 'plain http is only allowed to loopback (localhost, 127.0.0.1, ::1); use https';
  }
  return `expected an https URL, got ${url.protocol}`;
}

const LAYERED = ['routes', 'globalFallbacks', 'actionTasks', 'translation.targetLanguage', 'timeouts.firstTokenMs', 'timeouts.idleMs', 'timeouts.rateLimitMaxWaitMs', 'costMode', 'tiers', 'prices', 'hedging', 'pools'] as const;

/** A settings layer as an object; anything else (a layer without switchboard values) as an empty one. */
function objectOr(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function getPath(source: Record<string, unknown>, path: string): unknown {
  let node: unknown = source;
  for (const p of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[p];
  }
  return node;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown) {
  const parts = path.split('.');
  let node = target;
  for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
  node[parts.at(-1)!] = value;
}

/** One reader for every setting: typed values, where each came from, and readable problems. */
export class Settings extends Disposable {
  private readonly changed = this._register(new vscode.EventEmitter<Snapshot>());
  readonly onDidChange = this.changed.event;
  private current: Snapshot;
  private lastWarned = '';

  constructor(private readonly log: Log) {
    super();
    this.current = this.read();
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('switchboard')) return;
        this.current = this.read();
        this.warn();
        this.changed.fire(this.current);
      }),
    );
    this._register(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.current = this.read();
        this.warn();
        this.changed.fire(this.current);
      }),
    );
  }

  get snapshot(): Snapshot {
    return this.current;
  }

  /** Shows the current problems once (again only when they change). */
  warn(): void {
    const problems = this.current.problems;
    const text = problems.map((p) => `${p.key}: ${p.message}`).join('\n');
    if (text === this.lastWarned) return;
    this.lastWarned = text;
    if (!problems.length) return;
    for (const p of problems) this.log.warn(`setting ${p.key}: ${p.message} (the default is used instead)`);
    const first = problems[0]!;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more, see the Switchboard log)` : '';
    void vscode.window
      .showWarningMessage(`Switchboard: ${first.key}: ${first.message}. The default is used for that value${more}.`, 'Open Settings')
      .then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.action.openSettingsJson');
      });
  }

  private read(): Snapshot {
    // Resource-scoped settings are read for the first workspace folder (folder-level values included);
    // with no folder open, `null` asks for user and workspace values only.
    const scope = vscode.workspace.workspaceFolders?.[0]?.uri ?? null;
    // One inspect of the whole section instead of one per setting: each inspect costs the extension host
    // about a millisecond, and activation reads every setting. VS Code keeps settings as a tree
    // (`switchboard.timeouts.idleMs` is timeouts → idleMs), so a dotted key is a path into each layer.
    const all = vscode.workspace.getConfiguration(undefined, scope).inspect<Record<string, unknown>>('switchboard');
    const user = objectOr(all?.globalValue);
    const trusted = vscode.workspace.isTrusted;
    const layers: Array<{ source: SettingSource; values: RawSettings }> = [
      { source: 'user', values: {} },
      { source: 'workspace', values: {} },
      { source: 'workspaceFolder', values: {} },
    ];
    // Restricted Mode: the panel says so, and workspace-level values are not read at all.
    const restricted = !trusted;
    const multiRoot = vscode.workspace.workspaceFile !== undefined;
    const workspace = trusted ? objectOr(all?.workspaceValue) : {};
    // In a single-folder window the folder's settings are the workspace settings (inspect reports them twice).
    const folder = trusted && multiRoot ? objectOr(all?.workspaceFolderValue) : {};
    [user, workspace, folder].forEach((source, i) => {
      for (const key of LAYERED) {
        const value = getPath(source, key);
        if (value !== undefined) setPath(layers[i]!.values as Record<string, unknown>, key, value);
      }
    });
    const resolved = resolveSettings(layers);
    const problems: SettingsProblem[] = [...resolved.problems];

    // Where the key goes is decided by user settings only, whatever a workspace says.
    const userBase = user.baseUrl;
    let baseURL = DEFAULT_BASE_URL;
    if (userBase !== undefined) {
      const problem = checkBaseUrl(userBase);
      if (problem) problems.push({ key: 'switchboard.baseUrl', message: problem });
      else baseURL = (userBase as string).trim().replace(/\/+$/, '');
    }
    const headers: Record<string, string> = {};
    const headerValue = user.extraHeaders;
    if (headerValue !== undefined) {
      if (typeof headerValue !== 'object' || headerValue === null || Array.isArray(headerValue)) {
        problems.push({ key: 'switchboard.extraHeaders', message: 'expected an object of header names to string values' });
      } else {
        for (const [name, value] of Object.entries(headerValue)) {
          if (typeof value !== 'string' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
            problems.push({ key: `switchboard.extraHeaders.${name}`, message: 'expected a header name with a string value' });
          } else if (/^authorization$/i.test(name)) {
            problems.push({ key: `switchboard.extraHeaders.${name}`, message: 'the key belongs in Switchboard: Set API Key, not in settings' });
          } else headers[name] = value;
        }
      }
    }
    // Any level may set it (a workspace only when trusted), the most specific winning, as VS Code's get() does.
    const maxSel = [folder, workspace, user].map((l) => l.maxSelectionChars).find((v) => v !== undefined);
    let maxSelectionChars = 48_000;
    if (typeof maxSel === 'number' && Number.isInteger(maxSel) && maxSel >= 1000) maxSelectionChars = maxSel;
    else if (maxSel !== undefined) problems.push({ key: 'switchboard.maxSelectionChars', message: 'expected a whole number of at least 1000' });

    // Like the base URL, the budget guards the user's money: a workspace cannot raise or remove it.
    const budget = parseBudget(user.dailyBudget);
    if (budget.problem) problems.push({ key: 'switchboard.dailyBudget', message: budget.problem });

    return { ...resolved, problems, connection: { baseURL, headers }, maxSelectionChars, dailyBudget: budget.budget, restricted };
  }
}
