// Types for scripts/provision.mjs, so TypeScript tests and runners can import it.
export declare const CODE_SERVER_VERSION: string;
export declare const codeServerDir: string;
export declare function run(
  cmd: string,
  args: string[],
  options?: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string; quiet?: boolean },
): Promise<string>;
/** '/usr/bin/chromium', installed with apt-get when running as root; otherwise throws the command to run. */
export declare function ensureChromium(): Promise<string>;
/** The code-server bin in .vscode-test/code-server, installed there first if missing. */
export declare function ensureCodeServer(): Promise<string>;
