// The soak's verdict: least-squares slopes of RSS and open file descriptors over the samples
// taken after the warm-up, each compared with its bound. Pure functions, tested on their own.

/** Least-squares fit of y = intercept + slope * x; null with fewer than two distinct x. */
export function linearFit(points) {
  const n = points.length;
  if (n < 2) return null;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/**
 * Slopes per minute of `rssMiB` and `fds` over the samples at or after `warmupSeconds` (sample
 * times `t` are seconds since the load began), and the verdict against the bounds (per minute).
 * `rssAnonMiB`, where sampled, is fitted too but not bounded. `problems` are other reasons the
 * run fails (a crashed worker, unexpected answers).
 */
export function soakVerdict(samples, { warmupSeconds, rssBound, fdBound, problems = [] }) {
  const measured = samples.filter((s) => s.t >= warmupSeconds);
  const fitOf = (field) => linearFit(measured.map((s) => [s.t / 60, s[field]]));
  const rss = fitOf('rssMiB');
  const fd = fitOf('fds');
  // Shown beside the RSS slope, not bounded: it tells a leak from file pages coming and going.
  const anon = measured.every((s) => Number.isFinite(s.rssAnonMiB)) ? fitOf('rssAnonMiB') : null;
  const reasons = [...problems];
  if (rss === null || fd === null) reasons.push(`too few samples after the warm-up (${measured.length}) to fit a slope`);
  if (rss !== null && rss.slope > rssBound) reasons.push(`RSS grows ${rss.slope.toFixed(3)} MiB/min after the warm-up, above the bound of ${rssBound} MiB/min`);
  if (fd !== null && fd.slope > fdBound) reasons.push(`open file descriptors grow ${fd.slope.toFixed(3)}/min after the warm-up, above the bound of ${fdBound}/min`);
  return {
    samplesAfterWarmup: measured.length,
    rss: rss === null ? null : { slopePerMin: rss.slope, interceptMiB: rss.intercept, boundPerMin: rssBound },
    rssAnon: anon === null ? null : { slopePerMin: anon.slope, interceptMiB: anon.intercept },
    fd: fd === null ? null : { slopePerMin: fd.slope, intercept: fd.intercept, boundPerMin: fdBound },
    pass: reasons.length === 0,
    reasons,
  };
}
