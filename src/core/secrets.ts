/** Finding secrets in text before it leaves the machine, and trimming oversized selections. */

export interface SecretFinding {
  kind: string;
  /** 1-based line of the first occurrence. */
  line: number;
  /** The match with its middle masked, safe to show. */
  preview: string;
}

const PATTERNS: Array<{ kind: string; pattern: RegExp }> = [
  { kind: 'private key block', pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/g },
  { kind: 'OpenAI-style API key', pattern: /\bsk-(?:proj-|ant-|or-v1-)?[A-Za-z0-9_-]{20,}/g },
  { kind: 'AWS access key id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { kind: 'GitHub token', pattern: /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{40,}/g },
  { kind: 'Slack token', pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/g },
  { kind: 'Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  // .env style: NAME_WITH_SECRET_WORD=value (quoted or not), value long enough to be real.
  {
    kind: '.env secret assignment',
    pattern: /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*(?:SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)[A-Za-z0-9_]*\s*[=:]\s*["']?[^\s"'#]{8,}/gim,
  },
];

function mask(s: string): string {
  const t = s.trim();
  return t.length <= 10 ? `${t.slice(0, 2)}…` : `${t.slice(0, 6)}…${t.slice(-2)}`;
}

/** Finds likely secrets (API keys, private keys, `.env` assignments) in text about to be sent. */
export function findSecrets(text: string): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const { kind, pattern } of PATTERNS) {
    for (const m of text.matchAll(pattern)) {
      const line = text.slice(0, m.index).split('\n').length;
      findings.push({ kind, line, preview: mask(m[0]) });
    }
  }
  return findings.sort((a, b) => a.line - b.line);
}

/**
 * Text with every likely secret replaced by a marker that names its kind: for text the user did not
 * choose to send (a tool's result), where there is no one to ask first.
 */
export function removeSecrets(text: string): { text: string; removed: number } {
  let removed = 0;
  let out = text;
  for (const { kind, pattern } of PATTERNS) {
    out = out.replace(pattern, () => {
      removed++;
      return `[${kind} removed by Switchboard]`;
    });
  }
  return { text: out, removed };
}

export interface Trimmed {
  text: string;
  trimmed: boolean;
  /** Characters removed. */
  removed: number;
}

/**
 * Keeps a selection within `maxChars` (the head and the tail, which carry most meaning in code),
 * marking the cut so the model knows text is missing; never sends a prompt that will be refused as too long.
 */
export function trimSelection(text: string, maxChars: number): Trimmed {
  if (text.length <= maxChars) return { text, trimmed: false, removed: 0 };
  const marker = '\n… [selection trimmed by Switchboard] …\n';
  const keep = Math.max(0, maxChars - marker.length);
  const head = Math.ceil(keep * 0.7);
  const tail = keep - head;
  return { text: text.slice(0, head) + marker + (tail > 0 ? text.slice(-tail) : ''), trimmed: true, removed: text.length - keep };
}
