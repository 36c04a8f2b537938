/**
 * Typed loader for the native addon (native/void_addon.c).
 *
 * The addon makes no policy: it spawns a marshalled plan (see
 * src/orchestrator/marshal.ts) and reports what happens to each void.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export type VoidEventKind = "record" | "exit";

/** How void-init (the void's PID 1) ended: an exit code or a signal. */
export type WaitStatus = { code: number; signal?: undefined } | { signal: number; code?: undefined };

export type VoidEventHandler = (id: number, kind: VoidEventKind, text: string, status: WaitStatus) => void;

export interface HostFeatures {
  clone3: boolean;
  pidfd: boolean;
  closeRange: boolean;
  mountSetattr: boolean;
}

export interface NativeAddon {
  init(initPath: string, onEvent: VoidEventHandler): void;
  spawn(plan: Buffer): Promise<{ id: number; pid: number }>;
  /** 0, or a negative errno (-ESRCH once the void has exited). */
  signal(id: number, sig: number): number;
  hostFeatures(): HostFeatures;
}

/** The repository (or installed package) root: dist/src/native -> ../../.. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("void: cannot find the package root from " + fileURLToPath(import.meta.url));
}

export function nativePaths(): { addon: string; init: string } {
  const root = packageRoot();
  return { addon: join(root, "build", "void.node"), init: join(root, "build", "void-init") };
}

let loaded: NativeAddon | undefined;

export function loadAddon(): NativeAddon {
  if (loaded) return loaded;
  const { addon } = nativePaths();
  if (!existsSync(addon)) {
    throw new Error(`void: the native addon ${addon} is not built; run 'npm run build:native' (or the README's set-up command)`);
  }
  const require = createRequire(import.meta.url);
  loaded = require(addon) as NativeAddon;
  return loaded;
}
