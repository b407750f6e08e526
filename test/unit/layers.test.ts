import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const importsOf = (file: string) => Array.from(readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*)['"]([^'"]+)['"]/g), (m) => m[1]!);

describe('layers', () => {
  it('src/core never imports vscode or a higher layer', () => {
    const offenders = files('src/core').flatMap((f) => importsOf(f).filter((i) => i === 'vscode' || /\.\.\/(host|webview)/.test(i)).map((i) => `${f}: ${i}`));
    assert.deepEqual(offenders, []);
  });

  it('only core/gateway.ts imports the openai SDK', () => {
    const users = files('src').filter((f) => importsOf(f).some((i) => i === 'openai' || i.startsWith('openai/')));
    assert.deepEqual(users, [join('src', 'core', 'gateway.ts')]);
  });
});
