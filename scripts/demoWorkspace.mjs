// The file `npm start` puts in the demo workspace: a Chinese comment to translate and a loop to review.
// scripts/start.mjs writes it; test/unit/demo.test.ts checks the demo's answers about it.
export const EXAMPLE_TS = [
  '// 计算一组数字的平均值，空数组返回 0',
  'export function average(xs: number[]): number {',
  '  let total = 0;',
  '  for (let i = 0; i <= xs.length; i++) total += xs[i];',
  '  return total / xs.length;',
  '}',
  '',
].join('\n');
