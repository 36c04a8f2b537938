/**
 * Measurements the issue asks for whose subject does not exist yet. Each
 * is one function: when the HTTPS example or forktop lands, replace its
 * body with the measurement (round-robin against its baseline, as the
 * other suites do) and keep the row's name.
 */
import type { Ctx, Row, Suite, SuiteResult } from "../context.js";

const NOT_BUILT = "not measured yet: the HTTPS example / forktop are not built";

/** HTTPS example: requests/s and latency through a void per connection vs the same server unvoided. */
export async function httpsExample(_ctx: Ctx): Promise<Row> {
  return { suite: "pending", measure: "HTTPS example: void per connection vs plain server", note: NOT_BUILT, met: null };
}

/** forktop: the slowdown of a fork-heavy program under forktop's tracer vs without it. */
export async function forktopOverhead(_ctx: Ctx): Promise<Row> {
  return { suite: "pending", measure: "forktop overhead: traced vs untraced", note: NOT_BUILT, met: null };
}

export const pendingSuite: Suite = {
  name: "pending",
  title: "Not measured yet",
  async run(ctx: Ctx): Promise<SuiteResult> {
    return { name: "pending", title: this.title, rows: [await httpsExample(ctx), await forktopOverhead(ctx)], figures: [], notes: [NOT_BUILT], raw: {} };
  },
};
