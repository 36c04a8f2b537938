/**
 * node:dgram as the CLI bundle sees it (scripts/bundle-cli.mjs): loaded on
 * the first createSocket (UDP forwarding), not by every `void run`.
 */
import { createRequire } from "node:module";

type Dgram = typeof import("node:dgram");

const load = createRequire(import.meta.url);

export const createSocket = ((...args: unknown[]) => ((load("node:dgram") as Dgram).createSocket as (...a: unknown[]) => unknown)(...args)) as unknown as Dgram["createSocket"];
