/** Where tools may look: paths relative to the workspace, never above it, never into excluded files. */
import picomatch from 'picomatch';

/**
 * `switchboard.tools.exclude`'s default: environment files, keys and certificates, credential stores,
 * and git's own folder. A workspace may add to it, never remove from it.
 */
export const DEFAULT_TOOL_EXCLUDE: readonly string[] = [
  '**/.env*',
  '**/*.pem',
  '**/*.key',
  '**/*.p12',
  '**/*.pfx',
  '**/*.jks',
  '**/*.keystore',
  '**/id_rsa*',
  '**/id_dsa*',
  '**/id_ecdsa*',
  '**/id_ed25519*',
  '**/.ssh/**',
  '**/.aws/**',
  '**/.gnupg/**',
  '**/.npmrc',
  '**/.pypirc',
  '**/.netrc',
  '**/.git-credentials',
  '**/credentials*',
  '**/*secret*',
  '**/.git/**',
];

/**
 * A model-supplied path as a clean workspace-relative one (`src/a.ts`), or why it is refused. Absolute
 * paths are the host's to translate first (only those inside a workspace folder become relative).
 */
export function relativePath(input: string): { ok: true; path: string } | { ok: false; why: string } {
  const raw = input.trim().replace(/\\/g, '/');
  if (!raw || raw.includes('\0')) return { ok: false, why: 'empty or invalid path' };
  if (raw.startsWith('/') || /^[A-Za-z]:\//.test(raw) || /^[a-z][a-z0-9+.-]*:/i.test(raw)) {
    return { ok: false, why: 'outside the workspace (give a path relative to the workspace folder)' };
  }
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  // Any `..` is refused, even one that would come back inside: there is no reason for a tool to need it.
  if (parts.includes('..')) return { ok: false, why: 'outside the workspace (a path may not contain ..)' };
  if (parts.length === 0) return { ok: true, path: '' };
  return { ok: true, path: parts.join('/') };
}

/** Globs matched against a relative path and each folder above it (so `**\/node_modules` hides what is inside). */
export class ExcludeMatcher {
  private readonly matchers: Array<{ glob: string; test: (p: string) => boolean }>;

  constructor(globs: readonly string[]) {
    this.matchers = [...new Set(globs)].filter((g) => g.trim()).map((glob) => ({ glob, test: picomatch(glob, { dot: true }) }));
  }

  /** The glob that excludes this path, or undefined. */
  match(path: string): string | undefined {
    const parts = path.split('/');
    for (let i = parts.length; i >= 1; i--) {
      const p = parts.slice(0, i).join('/');
      const hit = this.matchers.find((m) => m.test(p));
      if (hit) return hit.glob;
    }
    return undefined;
  }
}
