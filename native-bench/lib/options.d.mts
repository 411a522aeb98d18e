// Types of options.mjs, for the TypeScript tests that import it (the fields they read).
export declare const USAGE: string;
export declare function readOptions(argv: string[], benchDir: string): { out: string; save: boolean; help: boolean };
