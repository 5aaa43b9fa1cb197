import { Expose, Transform } from 'class-transformer';
import { IsOptional } from 'class-validator';

/**
 * One environment variable, declared once on the property of its concern's class (see app-config.ts)
 * that holds its value: its name, how its text is read, its default and what it is for. The rules are
 * class-validator's decorators on the same property; docs/configuration.md's table is written from these
 * declarations (`npm run docs:config`).
 */
export interface VariableOptions {
  /** What it does: the docs' "Meaning" column. */
  description: string;
  /** How its text becomes a value before the rules check it; unset: the text as it is. */
  read?: (text: string) => unknown;
  /** The value when unset: a constant, or derived from the values read before it (its concern's and earlier concerns'). */
  default?: string | number | boolean | null | readonly number[] | Derived;
  /** The docs' "Default" column when the default is derived or absent: written as is. */
  shown?: string;
  /** The constant default in other words, after it in the docs: `50 MiB`. */
  aside?: string;
  /** Never printed, not even when refused. */
  secret?: boolean;
  /** Read and checked, but no row of its own in the docs (another row explains it). */
  unlisted?: true;
  /** The rules apply even when it is unset (a `ValidateIf` then says when it is required). */
  optional?: false;
}

/** A default computed from the values read before it: `(concern, config) => value`. */
export class Derived {
  constructor(readonly derive: (concern: never, config: never) => unknown) {}
}

/** The default of a variable that depends on others: `default: derived((own: XConfig) => …)`. */
export const derived = (derive: (concern: never, config: never) => unknown) => new Derived(derive);

export interface VariableDeclaration extends VariableOptions {
  name: string;
  property: string;
}

const declarations = new Map<Function, VariableDeclaration[]>();

/** Declares the variable `name` as the source of this property. Every variable is optional unless a rule says otherwise. */
export function Variable(name: string, options: VariableOptions): PropertyDecorator {
  return (target, property) => {
    if (typeof property !== 'string') throw new Error(`${name}: a variable needs a named property`);
    const read = options.read;
    Expose({ name })(target, property);
    if (read) Transform(({ value }) => (typeof value === 'string' ? read(value) : value))(target, property);
    if (options.optional !== false) IsOptional()(target, property);
    const list = declarations.get(target.constructor) ?? [];
    list.push({ ...options, name, property });
    declarations.set(target.constructor, list);
  };
}

/** The variables of a concern's class, in declaration order. */
export function variablesOf(schema: Function): VariableDeclaration[] {
  return declarations.get(schema) ?? [];
}

/** The longest delay a Node timer takes (2³¹−1 ms, ~24.8 days): a longer one would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** A number's text; empty means unset. Not a number is NaN, for the rules to refuse. */
export const asNumber = (text: string) => (text === '' ? undefined : Number(text));

/** `true`/`1` or `false`/`0`; empty means unset; anything else stays text for the rules to refuse. */
export const asBoolean = (text: string) =>
  text === ''
    ? undefined
    : text === 'true' || text === '1'
      ? true
      : text === 'false' || text === '0'
        ? false
        : text;

/** Comma-separated integers; empty means unset. */
export const asIntList = (text: string) =>
  text === '' ? undefined : text.split(',').map((part) => Number(part.trim()));

/** A URL without its trailing slashes. */
export const withoutTrailingSlash = (text: string) => text.replace(/\/+$/, '');
