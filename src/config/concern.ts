import type { AppConfig } from './app-config.js';

/** `  NAME="value": message` (the value hidden for a secret): one line of the refusal. */
export type Refuse = (name: string, message: string) => string;

/** One concern of the configuration: its class of variables (see variable.ts) and its rules across variables. */
export interface Concern<T extends object> {
  /** The heading of its section in docs/configuration.md. */
  title: string;
  schema: new () => T;
  /** Rules between variables, checked once every variable is valid and has its value: one line per problem. */
  check?: (values: T, config: AppConfig, refuse: Refuse) => string[];
}

/** `name` may not be above `cap` (the value of the variable `capName`). */
export function atMost(refuse: Refuse, name: string, value: number, capName: string, cap: number): string[] {
  return value > cap ? [refuse(name, `must be at most ${capName} (${cap})`)] : [];
}
