/**
 * node:crypto as the CLI bundle sees it (scripts/bundle-cli.mjs): only
 * `void pack` and a spec embedded by it need a hash, so node:crypto is
 * loaded on the first createHash, not by every `void run` (the plan
 * cache's authenticator is computed by the addon).
 */
import type { Hash } from "node:crypto";
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

export type { Hash };

export function createHash(algorithm: string): Hash {
  return (load("node:crypto") as typeof import("node:crypto")).createHash(algorithm);
}
