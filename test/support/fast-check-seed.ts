/**
 * One seed for every fast-check property of the test suite (imported for its
 * effect by each test file that uses fast-check). `npm test`, and so CI,
 * checks the same inputs on every run: a property that fails fails every
 * time, with the seed in its message, rather than as a one-in-a-thousand
 * flake in somebody else's change (which is how a gap between the RPC
 * parser and its test oracle, C1 control characters in a host, showed up).
 *
 *   VOID_TEST_SEED=N        replay seed N (what a failure message prints)
 *   VOID_TEST_SEED=random   draw a new seed each run, to explore more inputs
 *                           (`npm run fuzz` does this for specs)
 *
 * A property that names its own seed keeps it.
 */

import fc from "fast-check";

const DEFAULT_SEED = 20261123;

function chooseSeed(value: string | undefined): number {
  if (value === undefined || value === "") return DEFAULT_SEED;
  if (value === "random") return (Math.random() * 2 ** 31) | 0;
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`VOID_TEST_SEED must be an integer or "random", not ${JSON.stringify(value)}`);
  return n;
}

export const testSeed = chooseSeed(process.env["VOID_TEST_SEED"]);
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: testSeed });
