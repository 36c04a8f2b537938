/**
 * node:dns/promises as the CLI bundle sees it (scripts/bundle-cli.mjs):
 * loaded on the first name lookup of the RPC broker, not at start-up.
 */
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from "node:dns";
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

export function lookup(hostname: string, options: LookupAllOptions): Promise<LookupAddress[]>;
export function lookup(hostname: string, options: LookupOneOptions): Promise<LookupAddress>;
export function lookup(hostname: string, options: LookupOneOptions | LookupAllOptions): Promise<LookupAddress | LookupAddress[]> {
  const dns = load("node:dns/promises") as typeof import("node:dns/promises");
  return dns.lookup(hostname, options as LookupAllOptions);
}
