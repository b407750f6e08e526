// Types for scripts/demoWorkspace.mjs, so TypeScript tests can import it.
export declare const EXAMPLE_TS: string;
