/** Markdown answers of the kind models write, for the renderer's tests and benchmark. */

/** One section: every block type the renderer must get right when it arrives in pieces. */
export function section(n: number): string {
  return `## Step ${n}: wire the router

The router picks a **model** for each _task_, streams \`delta\` events and fails over when a model errors.
A second line of the same paragraph, with a [link](https://example.com/docs/${n}) and ~~old~~ text.

- first bullet with \`code\`
- second bullet
  - nested bullet
- third bullet

1. ordered one

2. ordered two, loose

3. ordered three

\`\`\`typescript
export function route${n}(task: TaskType): string {
  // A comment with *markdown* that must stay code
  const table = { code_generation: 'claude-opus-4', general_qa: 'gpt-5-mini' };

  return table[task] ?? 'gpt-5';
}
\`\`\`

> A quote that spans
> two lines, and a lazy
continuation line.

| model | tier |
| --- | :-: |
| gpt-5 | premium |
| deepseek-v4 | economy |

Heading by underline ${n}
-------------------------

~~~python
def retry(n):
    """Docstring with \`\`\` inside."""
    return n + 1
~~~

    indented code
    second line

- [x] done item
- [ ] open item

***

`;
}

/** A long answer of `sections` sections. */
export function longAnswer(sections: number): string {
  return Array.from({ length: sections }, (_, i) => section(i + 1)).join('');
}

export { prng } from '../../sim/prng';
