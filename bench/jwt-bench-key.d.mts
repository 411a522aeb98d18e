// Types of jwt-bench-key.mjs, for the TypeScript tests that import it.
export declare const BENCH_JWT_KEY_FILE: string;
export declare const BENCH_JWT: string;
export declare const BENCH_AUTH_HEADERS: Record<string, string>;
