// Types for scripts/codeserver.mjs, so TypeScript tests and runners can import it.
import type { Browser, LaunchOptions } from 'playwright-core';

export interface CodeServer {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  pid: number;
  /** Everything code-server printed so far (the last 0.5-1 MB). */
  logs(): string;
  /** Ends the process group it started; bounded. */
  stop(): Promise<void>;
}

export interface StartOptions {
  folder: string;
  userDataDir: string;
  extensionsDir: string;
  /** 0 (default): a free port on 127.0.0.1. */
  port?: number;
  /** Merged over the defaults in User/settings.json. */
  userSettings?: Record<string, unknown>;
  /** Added to process.env for code-server and its extension host; null removes a variable. */
  env?: Record<string, string | null | undefined>;
  /** false (default) turns workspace trust off; true keeps it, for Restricted Mode tests. */
  trust?: boolean;
  /** More code-server flags (a VsCodeTarget's payloadArgs). */
  extraArgs?: string[];
  /** Default: ensureCodeServer(). */
  codeServerBin?: string;
  /** How long to wait for code-server to answer; default 30 s. */
  timeoutMs?: number;
}

export declare const CHROMIUM_ARGS: string[];
export declare function freePort(): Promise<number>;
export declare function installVsix(codeServerBin: string, extensionsDir: string, vsixPath: string): Promise<void>;
export declare function startCodeServer(options: StartOptions): Promise<CodeServer>;
export declare function workbenchUrl(server: CodeServer | string, folder: string, payload?: [string, string][]): string;
export declare function remoteUri(server: CodeServer | string, absPath: string): string;
export declare function launchChromium(options?: LaunchOptions): Promise<Browser>;
