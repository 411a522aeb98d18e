// Types of proxy.mjs, for the TypeScript tests that import it.
export interface BenchRequest {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

export interface Scenario {
  name: string;
  title: string;
  request: BenchRequest;
  direct?: BenchRequest;
}

export declare const scenarios: Scenario[];
