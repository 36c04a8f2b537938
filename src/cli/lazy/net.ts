/**
 * node:net as the CLI bundle sees it (scripts/bundle-cli.mjs aliases
 * node:net to this file): the only thing the CLI uses is isIP, and loading
 * node:net costs a few milliseconds of every `void run`, so it is loaded on
 * the first call. A bundled module importing anything else from node:net
 * fails the bundle build ("No matching export"), not a run.
 */
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

export function isIP(input: string): number {
  return (load("node:net") as typeof import("node:net")).isIP(input);
}
