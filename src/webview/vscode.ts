/** The slice of the webview API that VS Code injects, typed for our protocol. */
import type { WebviewMessage } from '../protocol';

/** What survives a reload of the view (VS Code keeps it while the view exists, and the host has its own copy). */
export interface PersistedState {
  draft: string;
}

export interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: PersistedState): void;
}

declare global {
  function acquireVsCodeApi(): VsCodeApi;
}

export function readPersistedState(raw: unknown): PersistedState | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const draft = (raw as { draft?: unknown }).draft;
  return typeof draft === 'string' ? { draft } : undefined;
}
