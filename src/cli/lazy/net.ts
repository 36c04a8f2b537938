/**
 * node:net as the CLI bundle sees it (scripts/bundle-cli.mjs aliases
 * node:net to this file): loading node:net costs a few milliseconds of
 * every `void run`, and most runs never use it, so it is loaded on the
 * first call. Socket is a function that constructs the real class, so
 * `new Socket(...)` gives a real net.Socket (`instanceof` against this
 * stand-in would not hold: nothing in the CLI does that). A bundled module
 * importing anything else from node:net makes scripts/bundle-cli.mjs
 * build without this stand-in (with a warning), not fail.
 */
import { createRequire } from "node:module";

type Net = typeof import("node:net");

const load = createRequire(import.meta.url);
const net = (): Net => load("node:net") as Net;

export function isIP(input: string): number {
  return net().isIP(input);
}

export const createConnection = ((...args: unknown[]) => (net().createConnection as (...a: unknown[]) => unknown)(...args)) as unknown as Net["createConnection"];

export const createServer = ((...args: unknown[]) => (net().createServer as (...a: unknown[]) => unknown)(...args)) as unknown as Net["createServer"];

export const Socket = function Socket(...args: unknown[]) {
  const RealSocket = net().Socket as unknown as new (...a: unknown[]) => unknown;
  return new RealSocket(...args);
} as unknown as Net["Socket"];
