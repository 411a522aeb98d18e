import type { HeaderList } from '../../pipeline/exchange.js';
import type { PluginHeaders } from '../../plugin/types.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Visible ASCII, space, tab and obs-text: no CR, LF or NUL that could split a header.
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * A plugin's view of a header list: a copy (the plugin may keep it past the hook; the gateway's
 * list is replaced, never changed in place) with lowercase names. `changed` tells the stage
 * whether to take the list back. A Buffer value (obs-text from an upstream) reads as latin1.
 */
export class HeaderView implements PluginHeaders {
  readonly list: string[];
  changed = false;

  constructor(source: HeaderList) {
    const list = new Array<string>(source.length);
    for (let i = 0; i < source.length; i++) {
      const v = source[i]!;
      list[i] = typeof v === 'string' ? v : v.toString('latin1');
    }
    this.list = list;
  }

  get(name: string): string | undefined {
    const n = name.toLowerCase();
    const l = this.list;
    for (let i = 0; i < l.length; i += 2) if (l[i] === n) return l[i + 1];
    return undefined;
  }

  getAll(name: string): string[] {
    const n = name.toLowerCase();
    const out: string[] = [];
    const l = this.list;
    for (let i = 0; i < l.length; i += 2) if (l[i] === n) out.push(l[i + 1]!);
    return out;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  set(name: string, value: string): void {
    const n = checked(name, value);
    this.remove(n);
    this.list.push(n, String(value));
  }

  append(name: string, value: string): void {
    this.list.push(checked(name, value), String(value));
    this.changed = true;
  }

  delete(name: string): void {
    this.remove(name.toLowerCase());
  }

  entries(): [string, string][] {
    const out: [string, string][] = [];
    const l = this.list;
    for (let i = 0; i < l.length; i += 2) out.push([l[i]!, l[i + 1]!]);
    return out;
  }

  private remove(n: string): void {
    const l = this.list;
    let w = 0;
    for (let i = 0; i < l.length; i += 2) {
      if (l[i] === n) continue;
      l[w++] = l[i]!;
      l[w++] = l[i + 1]!;
    }
    if (w !== l.length) l.length = w;
    this.changed = true;
  }
}

function checked(name: string, value: string): string {
  if (typeof name !== 'string' || !TOKEN.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
  if (!VALUE.test(String(value))) throw new TypeError(`invalid value for header ${name}: control characters such as CR or LF are not allowed`);
  return name.toLowerCase();
}
