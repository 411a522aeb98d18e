// One command's arguments, checked against its spec (commands.ts). node:util's parseArgs does the
// splitting (`--x=v`, `-cFILE`, `--`); its strict mode throws TypeErrors worded for developers
// ("argument is ambiguous"), so the tokens are checked here instead, each mistake a UsageError
// whose one-line message says what to type.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closestKey } from '../config/did-you-mean.js';
import { optionLabel, type CommandSpec, type OptionSpec } from './commands.js';

/** A mistake in how the command was typed: one line, printed with the usage, exit 2. */
export class UsageError extends Error {
  readonly code = 'TG_USAGE';
}

export interface ParsedCommand {
  /** Given options by long name: the value, or true for a flag. */
  readonly values: ReadonlyMap<string, string | true>;
  readonly positionals: readonly string[];
  /** -h or --help was given: nothing else is checked. */
  readonly help: boolean;
}

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

export function parseCommand(spec: CommandSpec, args: readonly string[]): ParsedCommand {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const o of spec.options) {
    const type = o.value === undefined ? 'boolean' : 'string';
    options[o.name] = o.short === undefined ? { type } : { type, short: o.short };
  }
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) return { values: new Map(), positionals: [], help: true };

  const values = new Map<string, string | true>();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const option = spec.options.find((o) => o.name === token.name);
    if (option === undefined) throw new UsageError(unknownOption(token.rawName, spec.options));
    if (values.has(option.name)) throw new UsageError(`${token.rawName} is given twice`);
    values.set(option.name, optionValue(option, token, spec.options));
  }
  for (const option of spec.options) {
    if (option.required === true && !values.has(option.name)) {
      const hint = positionals.length === 1 && option.value === 'FILE' ? ` (did you mean ${optionLabel(option)} ${positionals[0]}?)` : '';
      throw new UsageError(`${optionLabel(option)} ${option.value} is required${hint}`);
    }
  }
  const allowed = spec.positional === undefined ? 0 : 1;
  if (positionals.length > allowed) throw new UsageError(unexpectedArgument(positionals[allowed]!, spec, values));
  return { values, positionals, help: false };
}

function optionValue(option: OptionSpec, token: Extract<Token, { kind: 'option' }>, all: readonly OptionSpec[]): string | true {
  if (option.value === undefined) {
    if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value, got ${JSON.stringify(token.value)}`);
    return true;
  }
  // `-c --workers 2`: parseArgs hands `--workers` to -c as its value. A value that is another
  // option of this command means the value was left out; `--workers -1` is a (bad) value.
  const value = token.value;
  if (value === undefined || (token.inlineValue !== true && looksLikeOption(value, all))) {
    throw new UsageError(`${token.rawName} needs a value (${option.value})`);
  }
  return value;
}

function looksLikeOption(value: string, all: readonly OptionSpec[]): boolean {
  if (value.startsWith('--')) return true;
  return value === '-h' || all.some((o) => o.short !== undefined && value === `-${o.short}`);
}

/** `unknown option --wokers (did you mean --workers?)`; `-w` suggests the one long option starting with w. */
function unknownOption(raw: string, options: readonly OptionSpec[]): string {
  const names = options.map((o) => o.name);
  let suggestion: string | null;
  if (/^-[^-]$/.test(raw)) {
    const starting = names.filter((n) => n.startsWith(raw[1]!));
    suggestion = starting.length === 1 ? starting[0]! : null;
  } else {
    suggestion = closestKey(raw.replace(/^-+/, ''), names);
  }
  return `unknown option ${raw}${suggestion === null ? '' : ` (did you mean --${suggestion}?)`}`;
}

/**
 * `tollgate validate config.yaml`: the file was meant for -c. A number given to start was meant
 * for --workers. Otherwise the argument is just named.
 */
function unexpectedArgument(arg: string, spec: CommandSpec, given: ReadonlyMap<string, string | true>): string {
  const workers = spec.options.find((o) => o.name === 'workers');
  const file = spec.options.find((o) => o.value === 'FILE');
  let hint = '';
  if (workers !== undefined && !given.has('workers') && /^(\d+|auto)$/.test(arg)) hint = `did you mean --workers ${arg}?`;
  else if (file !== undefined && !given.has(file.name) && !arg.startsWith('-')) hint = `did you mean ${optionLabel(file)} ${arg}?`;
  else if (spec.positional !== undefined) hint = `tollgate ${spec.name} takes one ${spec.positional.name}`;
  return `unexpected argument ${JSON.stringify(arg)}${hint === '' ? '' : ` (${hint})`}`;
}
