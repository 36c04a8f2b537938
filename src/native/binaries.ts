/**
 * Which native binaries void uses: the addon (void.node), void-init and
 * the native front end of `void run` (void-run-fast), from one directory (forktop's tracer is its own package's).
 *
 *   build/                    built on this machine (scripts/build-native.sh):
 *                             a checkout, or an installed package rebuilt
 *                             with `npm run build:native`; always preferred
 *   prebuilt/linux-<arch>/    the npm tarball's (scripts/build-prebuilt.sh),
 *                             for Node's process.arch x64 and arm64: used
 *                             when nothing was built, so a machine without a
 *                             C compiler needs none
 *
 * The prebuilt addon needs glibc >= GLIBC_BASELINE (native/glibc_compat.h
 * keeps it there; test/unit/glibc-baseline.test.ts checks the files);
 * void-init is static. Anything else (another OS or
 * architecture, musl, an older glibc) gets a message saying how to build
 * from source. docs/architecture.md, "Native binaries and the glibc
 * baseline".
 */
import { join } from "node:path";

/** The oldest glibc the prebuilt addon loads with (README.md's requirements say the same). */
export const GLIBC_BASELINE = "2.17";

/** process.platform-process.arch pairs with prebuilt binaries in the npm tarball. */
export const PREBUILT_PLATFORMS: readonly string[] = ["linux-x64", "linux-arm64"];

export interface NativeBinaries {
  /** Where they come from: compiled here, or the tarball's. */
  source: "built" | "prebuilt";
  dir: string;
  addon: string;
  init: string;
  /** The native front end of `void run` (native/front.c): bin/void runs it first. */
  front: string;
}

export interface NativeHost {
  platform: string;
  arch: string;
  exists(path: string): boolean;
}

function inDir(source: NativeBinaries["source"], dir: string): NativeBinaries {
  return { source, dir, addon: join(dir, "void.node"), init: join(dir, "void-init"), front: join(dir, "void-run-fast") };
}

/** How to build the native layer, for messages. */
export function buildAdvice(root: string): string {
  return `build it from source: with a C compiler (gcc and libc6-dev on Debian) run 'npm run build:native' (sh scripts/build-native.sh) in ${root}; the README's Requirements and set-up say more`;
}

/** The binaries void uses under `root` on `host`, or a message saying why there are none. Pure but for host.exists. */
export function selectBinaries(root: string, host: NativeHost): NativeBinaries | { error: string } {
  const built = inDir("built", join(root, "build"));
  if (host.exists(built.addon)) return built;
  const platform = `${host.platform}-${host.arch}`;
  if (!PREBUILT_PLATFORMS.includes(platform)) {
    return {
      error: `no native binaries for ${platform}: prebuilt ones exist for ${PREBUILT_PLATFORMS.join(" and ")} (glibc >= ${GLIBC_BASELINE}) only, and none were built here; ${buildAdvice(root)}`,
    };
  }
  const prebuilt = inDir("prebuilt", join(root, "prebuilt", platform));
  if (host.exists(prebuilt.addon)) return prebuilt;
  return { error: `the native addon is not built (no ${built.addon}, no ${prebuilt.addon}); ${buildAdvice(root)}` };
}

/** a < b for dotted versions ("2.17" < "2.28"). */
function olderThan(a: string, b: string): boolean {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0;
  }
  return false;
}

/**
 * Why the prebuilt addon cannot load with this C library, or undefined
 * when it can. `glibc` is the running glibc's version (Node's diagnostic
 * report header, glibcVersionRuntime), undefined without glibc (musl).
 */
export function glibcProblem(glibc: string | undefined, platform: string): string | undefined {
  if (glibc === undefined) return `this ${platform} system has no glibc (musl?), and the prebuilt addon needs glibc >= ${GLIBC_BASELINE}`;
  if (olderThan(glibc, GLIBC_BASELINE)) return `this system's glibc ${glibc} is older than ${GLIBC_BASELINE}, which the prebuilt addon needs`;
  return undefined;
}

/** The running glibc's version, or undefined without glibc. Costs a diagnostic report (a few ms): only for messages and `void doctor`. */
export function runtimeGlibc(): string | undefined {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime;
}
