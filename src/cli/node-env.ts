/**
 * The environment every Node process of void's own starts with: the one
 * the `void` command runs (native/front.c and bin/void's shell part make
 * it), and the ones that Node starts again (`void run -D`'s background
 * copy, `void cache prime`'s child: voidNodeEnv). Node acts on these
 * variables as it starts, before bin/void.cjs runs, on files and
 * directories the user named, which a void's writable bind may reach.
 */

/**
 * Dropped: code Node would load (a --require in NODE_OPTIONS, V8 code from
 * NODE_COMPILE_CACHE), and where else it would look modules up or how it
 * names them (void's are in its own package, by their real paths). No void
 * is given these either (src/spec/values.ts).
 */
export const NODE_DROPPED = ["NODE_OPTIONS", "NODE_COMPILE_CACHE", "NODE_PATH", "NODE_PRESERVE_SYMLINKS", "NODE_PRESERVE_SYMLINKS_MAIN"] as const;

/**
 * Renamed VOID_<name> for Node's start and put back by bin/void.cjs, so
 * that the plans (PassEnv) and what the command starts see them as the
 * user set them: files Node reads or writes on its own as it starts — the
 * extra CA certificates (Node 20 parses them all: ~75 ms), ICU data (a
 * file a void planted there crashed every later command), the file
 * warnings are appended to, the directory coverage is written into.
 */
export const NODE_RENAMED = ["NODE_EXTRA_CA_CERTS", "NODE_ICU_DATA", "NODE_REDIRECT_WARNINGS", "NODE_V8_COVERAGE"] as const;

/** `env` as a Node of void's must start with: NODE_DROPPED gone, NODE_RENAMED under their VOID_ names (a VOID_ name of the user's is not kept). */
export function voidNodeEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const name of NODE_DROPPED) delete out[name];
  for (const name of NODE_RENAMED) {
    delete out[`VOID_${name}`];
    if (out[name] !== undefined) {
      out[`VOID_${name}`] = out[name];
      delete out[name];
    }
  }
  return out;
}
