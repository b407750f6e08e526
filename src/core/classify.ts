/** Free chat text → task type, with the reason the user is shown. Keyword rules: instant and predictable. */
import type { TaskType } from './tasks';

export interface TaskGuess {
  task: TaskType;
  /** Why, in a few words: `mentions "translate"`, or `no strong signal`. */
  reason: string;
}

// Ordered: the first rule that matches wins, so more specific tasks come first.
const RULES: Array<{ task: TaskType; pattern: RegExp }> = [
  { task: 'translation', pattern: /\b(translate|translation|in (english|french|german|spanish|chinese|japanese|korean|russian|portuguese|italian))\b|翻译/i },
  { task: 'code_review', pattern: /\b(review|code smell|find (the )?bugs?|what('s| is) wrong with|audit|refactor suggestions?)\b/i },
  { task: 'math_reasoning', pattern: /\b(prove|proof|integral|derivative|equation|theorem|probability|solve for|calculate|compute the)\b|[∫∑√≤≥]|\d\s*[\^*/]\s*\d/i },
  { task: 'data_analysis', pattern: /\b(csv|dataset|data ?frame|pandas|sql query|statistics|regression|correlat\w*|chart|plot|analy[sz]e (the|this) data)\b/i },
  { task: 'summarization', pattern: /\b(summari[sz]e|summary|tl;?dr|key points|condense)\b/i },
  { task: 'creative_writing', pattern: /\b(poem|story|haiku|lyrics|slogan|creative|fiction|blog post|tagline)\b/i },
  {
    task: 'code_generation',
    pattern: /\b(write|implement|generate|create|build|scaffold)\b.*\b(function|class|method|script|code|component|test|endpoint|regex|program|module)\b|```/i,
  },
];

/** Guesses the task type of a chat message. */
export function classifyText(text: string): TaskGuess {
  for (const { task, pattern } of RULES) {
    const m = pattern.exec(text);
    if (m) return { task, reason: `mentions “${m[0].trim().slice(0, 30)}”` };
  }
  return { task: 'general_qa', reason: 'no strong signal; general question' };
}
