/**
 * A lazy stand-in for node:dns/promises in the "lean" CLI bundle
 * (bench/cli-lean.ts): loaded on the first RPC name lookup only.
 */
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from "node:dns";
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

export function lookup(hostname: string, options: LookupOneOptions | LookupAllOptions): Promise<LookupAddress | LookupAddress[]> {
  const dns = load("node:dns/promises") as typeof import("node:dns/promises");
  return dns.lookup(hostname, options as LookupAllOptions);
}
