/**
 * node:crypto as the CLI bundle sees it (scripts/bundle-cli.mjs): only
 * `void pack`, a spec embedded by it and the plan cache's authenticator
 * need a hash, so node:crypto is loaded on the first use, not by every
 * `void run` at start-up.
 */
import type { Hash } from "node:crypto";
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

export type { Hash };

export function createHash(algorithm: string): Hash {
  return (load("node:crypto") as typeof import("node:crypto")).createHash(algorithm);
}

export function createHmac(algorithm: string, key: Buffer): import("node:crypto").Hmac {
  return (load("node:crypto") as typeof import("node:crypto")).createHmac(algorithm, key);
}

export function timingSafeEqual(a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView): boolean {
  return (load("node:crypto") as typeof import("node:crypto")).timingSafeEqual(a, b);
}
