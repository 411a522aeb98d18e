// Types of slope.mjs, for the TypeScript tests that import it.
export interface Fit {
  slope: number;
  intercept: number;
}

export interface SoakSample {
  /** Seconds since the load began. */
  t: number;
  rssMiB: number;
  /** Anonymous RSS, where sampled: fitted but not bounded. */
  rssAnonMiB?: number;
  fds: number;
}

export interface SoakVerdict {
  samplesAfterWarmup: number;
  rss: { slopePerMin: number; interceptMiB: number; boundPerMin: number } | null;
  rssAnon: { slopePerMin: number; interceptMiB: number } | null;
  fd: { slopePerMin: number; intercept: number; boundPerMin: number } | null;
  pass: boolean;
  reasons: string[];
}

export declare function linearFit(points: readonly (readonly [number, number])[]): Fit | null;

export declare function soakVerdict(
  samples: readonly SoakSample[],
  options: { warmupSeconds: number; rssBound: number; fdBound: number; problems?: string[] },
): SoakVerdict;
