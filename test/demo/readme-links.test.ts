// README is what users get (also in the npm package): its links must lead to files they have.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(`${ROOT}README.md`, 'utf8');

/** GitHub's heading anchors: lowercase, punctuation but '-' dropped, spaces to '-'. */
function anchors(markdown: string): Set<string> {
  return new Set(markdown.split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) =>
    l.replace(/^#+ /, '').toLowerCase().replace(/[^\p{L}\p{N} -]/gu, '').replace(/ /g, '-')));
}

t.test('every relative link in README.md leads to a file of the checkout, and to a heading there', async (t) => {
  const links = [...README.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
  t.ok(links.includes('docs/config.md'), 'the config reference is linked');
  for (const link of links) {
    const [file, anchor] = link.split('#') as [string, string | undefined];
    const target = file === '' ? `${ROOT}README.md` : `${ROOT}${file}`;
    t.ok(existsSync(target), `${link}: ${file || 'README.md'} exists`);
    if (anchor !== undefined && existsSync(target)) t.ok(anchors(readFileSync(target, 'utf8')).has(anchor), `${link}: #${anchor} is a heading`);
  }
});

t.test('README does not send users to files they do not have', async (t) => {
  t.notMatch(README, /SPEC/, 'the product contract is the team\'s, not in the package');
});
