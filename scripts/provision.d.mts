// Types for scripts/provision.mjs, so TypeScript tests and runners can import it.
export interface VsCodeTarget {
  codeServer: string;
  vscode: string;
  /** The Node it runs on, from npm; undefined: this machine's Node. */
  node: string | undefined;
  /** code-server flags a workbench needs to honour a `payload` (extension development and tests). */
  payloadArgs: string[];
}
export declare const VSCODES: { minimum: VsCodeTarget; newest: VsCodeTarget };
export type VsCodeName = keyof typeof VSCODES;
/** SWITCHBOARD_VSCODE=minimum|newest (default minimum), or the one named. */
export declare function vscodeTarget(name?: string): VsCodeTarget & { name: VsCodeName };
export declare const CODE_SERVER_VERSION: string;
export declare function run(
  cmd: string,
  args: string[],
  options?: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string; quiet?: boolean },
): Promise<string>;
/** '/usr/bin/chromium', installed with apt-get when running as root; otherwise throws the command to run. */
export declare function ensureChromium(): Promise<string>;
/** A Node of this version from npm, in .vscode-test/node-<version>/; returns that folder. */
export declare function ensureNode(version: string): Promise<string>;
/** The command that starts code-server for the target (default: SWITCHBOARD_VSCODE), installed first if missing. */
export declare function ensureCodeServer(target?: VsCodeName | (VsCodeTarget & { name: string })): Promise<string>;
