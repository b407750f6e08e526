import { strict as assert } from 'node:assert';
import { removeSecrets } from '../../src/core/secrets';
import { applyEdits } from '../../src/core/tools/edits';
import { DEFAULT_TOOL_EXCLUDE, ExcludeMatcher, relativePath } from '../../src/core/tools/paths';

describe('where tools may look', () => {
  it('takes clean relative paths and normalises ./ and backslashes', () => {
    assert.deepEqual(relativePath('src/a.ts'), { ok: true, path: 'src/a.ts' });
    assert.deepEqual(relativePath('./src//b.ts'), { ok: true, path: 'src/b.ts' });
    assert.deepEqual(relativePath('src\\win\\c.ts'), { ok: true, path: 'src/win/c.ts' });
    assert.deepEqual(relativePath('.'), { ok: true, path: '' });
  });

  it('refuses any way out of the workspace', () => {
    for (const p of ['../secret.txt', 'src/../../x', '..', '/etc/passwd', 'C:/Windows/win.ini', 'C:\\Users\\me\\.ssh\\id_rsa', 'file:///etc/passwd', 'a\0b', '  ']) {
      const r = relativePath(p);
      assert.equal(r.ok, false, p);
    }
    assert.match((relativePath('../x') as { why: string }).why, /outside the workspace/);
  });

  it('keeps environment files, keys and credentials out by default', () => {
    const m = new ExcludeMatcher(DEFAULT_TOOL_EXCLUDE);
    for (const p of ['.env', '.env.local', 'app/.env.production', 'certs/server.pem', 'deploy/id_rsa', 'home/.ssh/config', '.aws/credentials', 'config/secrets.yml', '.git/config', '.npmrc']) {
      assert.ok(m.match(p), `${p} should be excluded`);
    }
    for (const p of ['src/env.ts', 'README.md', 'src/keyboard.ts', 'docs/environment.md', 'src/.eslintrc.json']) {
      assert.equal(m.match(p), undefined, `${p} should be readable`);
    }
    assert.equal(m.match('.env'), '**/.env*', 'names the pattern that matched');
  });

  it('excludes what is inside an excluded folder (files.exclude style **/node_modules)', () => {
    const m = new ExcludeMatcher(['**/node_modules', 'build']);
    assert.equal(m.match('node_modules/x/index.js'), '**/node_modules');
    assert.equal(m.match('pkg/node_modules/y.js'), '**/node_modules');
    assert.equal(m.match('build/out.js'), 'build');
    assert.equal(m.match('src/build.ts'), undefined);
  });
});

describe('secrets in tool results', () => {
  it('replaces each secret with a marker naming its kind, and counts them', () => {
    const text = 'const key = "sk-proj-abcdefghijklmnopqrstuvwxyz123456";\nAWS=AKIAABCDEFGHIJKLMNOP\nok line';
    const r = removeSecrets(text);
    assert.equal(r.removed, 2);
    assert.doesNotMatch(r.text, /abcdefghijklmnop|AKIAABCDEFGHIJKLMNOP/);
    assert.match(r.text, /\[OpenAI-style API key removed by Switchboard\]/);
    assert.match(r.text, /ok line$/);
  });

  it('leaves text without secrets untouched', () => {
    assert.deepEqual(removeSecrets('export const a = 1;\n'), { text: 'export const a = 1;\n', removed: 0 });
  });
});

describe('proposed edits (find and replace)', () => {
  it('applies each edit in order', () => {
    assert.deepEqual(applyEdits('a\nb\nc\n', [{ find: 'b', replace: 'B' }, { find: 'c\n', replace: 'c\nd\n' }]), { ok: true, text: 'a\nB\nc\nd\n' });
  });

  it('refuses text that is missing or ambiguous, and changes nothing', () => {
    assert.match((applyEdits('x = 1', [{ find: 'y', replace: 'z' }]) as { why: string }).why, /not in the file/);
    assert.match((applyEdits('a a', [{ find: 'a', replace: 'b' }]) as { why: string }).why, /more than once/);
    assert.match((applyEdits('a b', [{ find: 'a', replace: 'A' }, { find: 'q', replace: 'Q' }]) as { why: string }).why, /^edit 2: /);
  });

  it('keeps a CRLF file CRLF when the edit is written with \\n', () => {
    assert.deepEqual(applyEdits('one\r\ntwo\r\n', [{ find: 'one\ntwo', replace: 'one\nand\ntwo' }]), { ok: true, text: 'one\r\nand\r\ntwo\r\n' });
  });
});
