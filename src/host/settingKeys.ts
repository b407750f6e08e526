// Plain data (no `vscode` import) so unit tests can compare it with package.json.
/** Every setting the extension reads; a unit test checks it against package.json. */
export const SETTING_KEYS = [
  'baseUrl',
  'extraHeaders',
  'routes',
  'globalFallbacks',
  'actionTasks',
  'translation.targetLanguage',
  'timeouts.firstTokenMs',
  'timeouts.idleMs',
  'timeouts.rateLimitMaxWaitMs',
  'maxSelectionChars',
  'costMode',
  'tiers',
  'prices',
  'hedging',
  'pools',
  'dailyBudget',
  'tools.enabled',
  'tools.exclude',
  'batch.concurrency',
] as const;
