// Writing a report as <timestamp>.json|md|svg and latest.json|md|svg; shared by native-bench
// and bench/run.mjs. `markdown(svgName)` renders the Markdown that shows the chart of that name.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The git-ignored folder (.gitignore) inside a suite's results folder where unsaved runs go. */
export const LOCAL_RESULTS = 'local';

/**
 * Where a run's results go: `--out DIR` when given; the suite's tracked results folder with
 * `--save`; otherwise its git-ignored local/ folder, so a run leaves the checkout clean.
 */
export function resultsDir(savedDir, { out, save }) {
  if (out) return resolve(out);
  return save ? savedDir : join(savedDir, LOCAL_RESULTS);
}

/** Returns the timestamp stem of the files written. */
export function writeReportFiles(outDir, report, markdown, svg) {
  mkdirSync(outDir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const json = `${JSON.stringify(report, null, 2)}\n`;
  for (const name of [stamp, 'latest']) {
    writeFileSync(join(outDir, `${name}.json`), json);
    writeFileSync(join(outDir, `${name}.md`), markdown(`${name}.svg`));
    writeFileSync(join(outDir, `${name}.svg`), svg);
  }
  return stamp;
}
