/** What every host test file needs: the extension's test API, user settings, and a bounded wait. */
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { startSimulator, type Simulator } from '../../sim/server';
import type { TestApi } from '../../src/extension';

export const EXT_ID = 'switchboard-dev.switchboard';
export const KEY = 'sk-host-test-0123456789abcdefghij';

export async function api(): Promise<TestApi> {
  const ext = vscode.extensions.getExtension<{ test?: TestApi }>(EXT_ID);
  assert.ok(ext, `${EXT_ID} is installed`);
  const exports = await ext.activate();
  assert.ok(exports.test, 'the extension runs in test mode');
  return exports.test;
}

export async function setUser(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('switchboard').update(key, value, vscode.ConfigurationTarget.Global);
}

export async function until<T>(what: string, fn: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Settings the host tests change; each suite puts them back. */
const TOUCHED = ['baseUrl', 'routes', 'globalFallbacks', 'timeouts.firstTokenMs', 'costMode', 'dailyBudget', 'tools.enabled'];

/**
 * Hooks for a suite: a simulator, the extension pointed at it with the test key (before), a fresh
 * simulator for each test, and the settings put back (after). Read `sim` and `t` inside tests.
 */
export function withSimulator(): { readonly sim: Simulator; readonly t: TestApi } {
  const env = {} as { sim: Simulator; t: TestApi };
  before(async () => {
    env.sim = await startSimulator({ apiKey: KEY });
    env.t = await api();
    await setUser('baseUrl', env.sim.url);
    await until('the base URL to apply', () => env.t.settings.snapshot.connection.baseURL === env.sim.url);
    await env.t.storeKey(KEY);
    await until('the router', () => env.t.router());
  });
  beforeEach(() => env.sim.reset());
  after(async () => {
    for (const k of TOUCHED) await setUser(k, undefined);
    await env.sim?.close();
  });
  return env;
}
