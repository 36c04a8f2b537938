/**
 * A lazy stand-in for node:net in the "lean" CLI bundle (bench/cli-lean.ts):
 * what a lazy import of node:net would buy. It loads the real module on
 * first use only; a `void run` that validates no IP address never does.
 */
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

export function isIP(input: string): number {
  return (load("node:net") as typeof import("node:net")).isIP(input);
}
