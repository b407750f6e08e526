import { strict as assert } from 'node:assert';
import { findCommentAt, findComments, firstCodeBlock, restoreCommentSyntax } from '../../src/core/comments';
import { findSecrets, trimSelection } from '../../src/core/secrets';

describe('the comment at the cursor', () => {
  const code = ['function a() {', '  // 计算总和', '  // 并返回结果', '  return 1;', '  /* 块注释', '     第二行 */', '}', '# python style'];
  it('takes the whole run of line comments around the cursor', () => assert.deepEqual(findCommentAt(code, 2), { start: 1, end: 2 }));
  it('takes a block comment from its opening to its closing line', () => assert.deepEqual(findCommentAt(code, 5), { start: 4, end: 5 }));
  it('finds nothing on a code line', () => assert.equal(findCommentAt(code, 3), undefined));
  it('knows # comments', () => assert.deepEqual(findCommentAt(code, 7), { start: 7, end: 7 }));
});

describe('putting a translated comment back', () => {
  it('keeps the markers and indentation even when the model dropped them', () => {
    assert.equal(restoreCommentSyntax('  // 计算总和\n  // 并返回结果', 'Compute the sum\nand return the result'), '  // Compute the sum\n  // and return the result');
  });
  it('leaves a translation that kept its markers as it is (re-indented)', () => {
    assert.equal(restoreCommentSyntax('    # 你好', '# Hello'), '    # Hello');
  });
  it('closes a block comment the model left open', () => {
    assert.equal(restoreCommentSyntax('/* 块注释 */', 'Block comment'), '/* Block comment */');
  });
  it('takes the code block out of a Markdown answer', () => {
    assert.equal(firstCodeBlock('Here it is:\n```ts\n// Hello\n```\nDone.'), '// Hello');
    assert.equal(firstCodeBlock('// no fence'), '// no fence');
  });
});

describe('secret scan before sending', () => {
  it('finds an sk- key, an AWS key id, a private key block and .env assignments, with their lines', () => {
    const text = [
      'const client = new OpenAI({',
      "  apiKey: 'sk-proj-abcdefghijklmnopqrstuvwxyz123456',",
      '});',
      'aws = "AKIAIOSFODNN7EXAMPLE"',
      '-----BEGIN RSA PRIVATE KEY-----',
      'DATABASE_PASSWORD=hunter2hunter2',
    ].join('\n');
    const found = findSecrets(text);
    assert.deepEqual(
      found.map((f) => [f.kind, f.line]),
      [
        ['OpenAI-style API key', 2],
        ['AWS access key id', 4],
        ['private key block', 5],
        ['.env secret assignment', 6],
      ],
    );
    assert.ok(found.every((f) => !f.preview.includes('abcdefghijklmnop')), 'previews are masked');
  });
  it('does not flag ordinary code', () => {
    assert.deepEqual(findSecrets('const skip = items.filter(Boolean);\nconst token = getToken();\nPASSWORD_MIN_LENGTH=8'), []);
  });
});

describe('oversized selections', () => {
  it('are trimmed to the limit with a visible marker, keeping head and tail', () => {
    const text = 'a'.repeat(5000) + 'b'.repeat(5000);
    const t = trimSelection(text, 2000);
    assert.ok(t.trimmed);
    assert.ok(t.text.length <= 2000);
    assert.match(t.text, /^a+\n… \[selection trimmed by Switchboard\] …\nb+$/);
  });
  it('are left alone below the limit', () => assert.deepEqual(trimSelection('abc', 10), { text: 'abc', trimmed: false, removed: 0 }));
});

describe('the comments of a file (Translate Comments in File)', () => {
  it('finds runs of line comments and block comments, not code or trailing comments', () => {
    const lines = [
      '// 计算平均值',
      '// 空数组返回 0',
      'export function average(xs: number[]) { // trailing, left alone',
      '  /* 多行',
      '     注释 */',
      "  const s = '// not a comment';",
      '  /** 一行 */',
      '  return 0;',
      '}',
      '//',
      '// ---------',
    ];
    assert.deepEqual(findComments(lines, 'typescript'), [
      { start: 0, end: 1 },
      { start: 3, end: 4 },
      { start: 6, end: 6 },
    ]);
  });

  it('uses the language’s own syntax: # in Python with docstrings, -- in SQL, <!-- --> in HTML', () => {
    assert.deepEqual(findComments(['#!/usr/bin/env python', '# 读取文件', 'x = 1', '"""', '文档', '"""'], 'python'), [
      { start: 1, end: 1 },
      { start: 3, end: 5 },
    ]);
    assert.deepEqual(findComments(['-- 查询用户', 'SELECT 1;'], 'sql'), [{ start: 0, end: 0 }]);
    assert.deepEqual(findComments(['<!-- 页眉 -->', '<p>x</p>'], 'html'), [{ start: 0, end: 0 }]);
    assert.deepEqual(findComments(["'use strict';", '// 严格'], 'javascript'), [{ start: 1, end: 1 }], "a string is not a VB comment in JavaScript");
  });
});
