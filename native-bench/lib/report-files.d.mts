// Types of report-files.mjs, for the TypeScript tests that import it.
export declare const LOCAL_RESULTS: string;
export declare function resultsDir(savedDir: string, options: { out?: string | undefined; save: boolean }): string;
export declare function writeReportFiles(outDir: string, report: { startedAt: string }, markdown: (svgName: string) => string, svg: string): string;
