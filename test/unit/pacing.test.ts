/**
 * The per-second budgets that pace what a void makes the launcher do
 * (src/orchestrator/pacing.ts SecondBudget, whenPast): a source waits
 * once a second's budget is spent, until that second is over, and starts
 * afresh after. Pure: explicit times, and one short real timer.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SecondBudget, whenPast } from "../../src/orchestrator/pacing.js";

describe("SecondBudget", () => {
  it("lets a source spend its budget in a second, then has it wait until that second is over", () => {
    const b = new SecondBudget(4);
    assert.equal(b.pausedUntil(100), 0, "nothing spent: no pause");
    assert.equal(b.charge(1, 100), 0);
    assert.equal(b.charge(2, 300), 0);
    assert.equal(b.pausedUntil(300), 0);
    // The fourth unit spends the budget: the second began at the first charge (100).
    assert.equal(b.charge(1, 500), 1100);
    assert.equal(b.pausedUntil(500), 1100);
    assert.equal(b.pausedUntil(1099), 1100);
    assert.equal(b.pausedUntil(1100), 0, "the second is over");
  });

  it("starts a new second at the first charge after the last ended, with nothing spent", () => {
    const b = new SecondBudget(2);
    assert.equal(b.charge(2, 0), 1000);
    assert.equal(b.charge(1, 1500), 0, "a new second from 1500");
    assert.equal(b.charge(1, 2000), 2500);
    assert.equal(b.charge(1, 2600), 0);
  });

  it("counts fractions (an fd costs a fourth) and one charge larger than the budget", () => {
    const b = new SecondBudget(1);
    for (let i = 0; i < 3; i++) assert.equal(b.charge(0.25, 10 + i), 0);
    assert.equal(b.charge(0.25, 20), 1010);
    const big = new SecondBudget(256);
    assert.equal(big.charge(1 + 253 * 0.25, 0), 0);
    assert.equal(big.charge(300, 1), 1000);
  });
});

describe("whenPast", () => {
  it("calls back once performance.now() has reached the time, and hands over each timer it sets", async () => {
    const until = performance.now() + 30;
    const timers: unknown[] = [];
    const at = await new Promise<number>((resolve) =>
      whenPast(
        until,
        () => resolve(performance.now()),
        (t) => timers.push(t),
      ),
    );
    assert.ok(at >= until, `called at ${at}, before ${until}`);
    assert.ok(timers.length >= 1);
  });

  it("a cleared timer never calls back", async () => {
    let called = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    whenPast(
      performance.now() + 10,
      () => {
        called = true;
      },
      (t) => {
        timer = t;
      },
    );
    clearTimeout(timer);
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.equal(called, false);
  });
});
