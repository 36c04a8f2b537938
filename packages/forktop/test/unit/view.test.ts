/**
 * forktop's screen without a terminal: rows and screens at 80x24 and other
 * sizes (every line exactly the width, 23 lines), truncation, sanitizing of
 * hostile command lines, the detail pane, every key of the reducer, input
 * bursts, and the ink component rendered to a string at 80 columns.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderToString } from "ink";
import { createElement } from "react";
import { LineSplitter, TailBuffer } from "../../src/lines.js";
import { ProcessTable, visibleRows } from "../../src/model.js";
import type { TracerEvent } from "../../src/protocol.js";
import { App } from "../../src/ui/App.js";
import { layoutScreen, Session } from "../../src/ui/screen.js";
import { type Effect, handleKey, initialState, keyOf, splitInput, type UiState, viewOptions } from "../../src/ui/state.js";
import { columnsFor, detailLines, fit, formatRow, idColumn, lineText, nsBadges, privColumn, sanitize } from "../../src/view.js";
import { create, snap, story, voidSnap } from "../support/events.js";

function sessionOf(events: TracerEvent[]): Session {
  const t = new ProcessTable();
  for (const e of events) t.apply(e);
  return new Session(t, initialState(), "launcher --serve");
}

function screenText(s: Session, cols = 80, rows = 24): string[] {
  const sc = layoutScreen(s, cols, rows);
  s.ui = sc.ui;
  return sc.lines.map(lineText);
}

/** Presses keys (strings are split into characters like a burst). */
function press(s: Session, keys: (string | Parameters<typeof keyOf>[0])[], cols = 80, rows = 24): Effect[] {
  const effects: Effect[] = [];
  for (const k of keys) {
    const pairs = typeof k === "string" ? splitInput(k, keyOf()) : [["", keyOf(k)] as [string, ReturnType<typeof keyOf>]];
    for (const [input, key] of pairs) {
      const sc = layoutScreen(s, cols, rows);
      const r = handleKey(sc.ui, input, key, sc.ctx);
      s.ui = r.state;
      if (r.effect) effects.push(r.effect);
    }
  }
  return effects;
}

function selectedPid(s: Session): number | null {
  const sel = s.ui.selected;
  return sel === null ? null : s.table.get(sel.key)!.pid;
}

/** Many processes: a launcher with 30 children, one with a very long command line. */
function crowd(): TracerEvent[] {
  const ev = story();
  for (let i = 0; i < 30; i++) ev.push(create("fork", 200 + i, 100, snap({ nspid: [200 + i], comm: `w${i}`, cmdline: [`worker-${i}`, "x".repeat(i === 5 ? 300 : 3)] })));
  return ev;
}

describe("forktop rows and columns", () => {
  it("fits every row of the story to exactly 80 columns with the expected cells", () => {
    const s = sessionOf(story());
    const rows = visibleRows(s.table, viewOptions(s.ui));
    const lines = rows.map((r) => lineText(formatRow(s.table, r, 80, false)));
    for (const l of lines) assert.equal([...l].length, 80, l);
    assert.match(lines[0]!, /^ {4}100 {8}1000 {8}S ········ {2}--- \/usr\/bin\/launcher --serve/);
    // The void: namespaced pid 1, uid 0 inside / 1000 outside, all eight badges, no_new_privs, 1 filter.
    assert.match(lines[1]!, /^ {4}101 {6}1 0\/1000 {6}S UMPNIHCT {2}-n1 ├─ \/fib 30 \[1 thr\]/);
    // The helper gained cap_net_raw: "!" and effective caps.
    assert.match(lines[2]!, /^ {4}102 {6}2 0\/1000 {6}S ········ !cn1 │ {2}└─ \/bin\/helper/);
    assert.match(lines[3]!, /X ········ {2}--- └─ worker -n 1 \(exit 3\)/);
  });

  it("drops columns on narrow terminals and still fits", () => {
    assert.equal(columnsFor(80).cmd, 37);
    assert.equal(columnsFor(65).uid, 0);
    assert.equal(columnsFor(50).ns, 0);
    const s = sessionOf(story());
    for (const width of [40, 50, 65, 100, 200]) {
      for (const line of screenText(s, width, 24)) assert.equal([...line].length, width, `${width}: ${line}`);
    }
  });

  it("shows ids, badges and the PRIV column", () => {
    assert.equal(idColumn([1000, 1000, 1000, 1000], [[0, 0, 4294967295]]), "1000");
    assert.equal(idColumn([1000, 1000, 1000, 1000], [[0, 1000, 1]]), "0/1000");
    assert.equal(idColumn([5, 5, 5, 5], [[0, 1000, 1]]), "-/5");
    assert.equal(nsBadges(voidSnap(1, 1, { ns: { ...snap().ns!, net: 7 } }), snap()), "···N····");
    assert.equal(nsBadges(snap(), null), "········");
    assert.equal(privColumn(snap({ seccomp: 2, seccomp_filters: 12, no_new_privs: true }), true), "!-n+");
    assert.equal(privColumn(snap({ seccomp: 1 }), false), " --S");
    assert.equal(privColumn(snap({ caps: null, no_new_privs: null, seccomp: null }), false), " ???");
  });

  it("neutralises control characters and escape sequences from traced processes", () => {
    assert.equal(sanitize("a\u001b[2Jb\nc\td\u009b"), "a?[2Jb?c d?");
    const evil = snap({ cmdline: ["\u001b]0;pwned\u0007", "\u001b[31mred"] });
    const s = sessionOf([{ event: "hello", time: 1, version: 1, mode: "ptrace", tracer: 2 }, create("spawn", 7, 2, evil)]);
    const text = screenText(s).join("\n");
    assert.ok(!text.includes("\u001b"), "no ESC reaches the terminal");
    assert.match(text, /\?\]0;pwned\? \?\[31mred/);
  });

  it("fit cuts with an ellipsis and pads", () => {
    assert.equal(fit("abcdef", 4), "abc…");
    assert.equal(fit("ab", 4, "right"), "  ab");
    assert.equal(fit("ab", 0), "");
  });
});

describe("forktop screen at 80x24", () => {
  it("is 23 lines of exactly 80 columns: header, titles, 15 rows, events, footer", () => {
    const s = sessionOf(crowd());
    const lines = screenText(s);
    assert.equal(lines.length, 23);
    for (const l of lines) assert.equal([...l].length, 80, l);
    assert.match(lines[0]!, /^forktop ptrace │ 33\/34 live, 1 thr │ tree │ launcher --serve/);
    assert.match(lines[1]!, /^ {4}PID {2}NSPID UID in\/out {2}S NS {7}PRIV COMMAND/);
    assert.match(lines[2]!, /^ {4}100 /);
    assert.match(lines[16]!, /^ {4}210 /, "15 process rows: 100-103, 200-210");
    assert.match(lines[17]!, /^── events \(38\) ─+$/);
    assert.match(lines[21]!, /fork {7}229 fork of 100: worker-29 xxx/);
    assert.match(lines[22]!, /^jk↑↓ move/);
    // The 300-character command line is cut with an ellipsis.
    assert.match(lines.find((l) => l.includes("worker-5 "))!, /x…$/);
  });

  it("scrolls to keep the selection visible and follows it when rows move", () => {
    const s = sessionOf(crowd());
    press(s, [{ end: true }]);
    let lines = screenText(s);
    assert.equal(selectedPid(s), 229);
    assert.match(lines[16]!, /^ {4}229 /);
    press(s, ["g"]);
    assert.equal(selectedPid(s), 100);
    press(s, ["jjj"]);
    assert.equal(selectedPid(s), 103);
    press(s, [{ pageDown: true }]);
    assert.equal(selectedPid(s), 214, "a page is 15 rows");
    // A new process before the selection: the selection stays on 214.
    s.table.apply(create("fork", 150, 101, voidSnap(150, 9)));
    lines = screenText(s);
    assert.equal(selectedPid(s), 214);
    assert.ok(lines.some((l) => /^ {4}214 /.test(l)));
  });

  it("shows the poll warning and the waiting state", () => {
    const s = sessionOf([]);
    assert.match(screenText(s).join("\n"), /waiting for the tracer/);
    s.table.apply({ event: "hello", time: 1, version: 1, mode: "poll", tracer: 9, reason: "ptrace: Operation not permitted (EPERM)" });
    const lines = screenText(s);
    assert.match(lines[0]!, /^forktop poll/);
    assert.match(lines[1]!, /^POLL MODE, LOSSY: ptrace: Operation not permitted \(EPERM\); polling/);
    assert.equal(lines.length, 23);
  });

  it("is usable on a tiny terminal", () => {
    const s = sessionOf(story());
    const lines = screenText(s, 30, 8);
    assert.ok(lines.length <= 7);
    for (const l of lines) assert.equal([...l].length, 30);
  });
});

describe("forktop keys", () => {
  it("j/k and arrows move, Enter opens the detail pane, Esc closes it", () => {
    const s = sessionOf(story());
    press(s, ["j", { downArrow: true }]);
    assert.equal(selectedPid(s), 102);
    press(s, ["k"]);
    assert.equal(selectedPid(s), 101);
    press(s, [{ upArrow: true }, { upArrow: true }]);
    assert.equal(selectedPid(s), 100, "stops at the top");
    press(s, ["jj", { return: true }]);
    assert.equal(s.ui.detail, s.table.byPid(102)!.key);
    const lines = screenText(s);
    assert.match(lines[1]!, /^PID 102 \(namespaced: 102 → 2\) {2}helper {2}running/);
    assert.ok(lines.some((l) => /^caps eff {5}net_raw/.test(l)));
    assert.match(lines.at(-1)!, /^Esc back .*\(1-21 of \d+\)/);
    press(s, [{ escape: true }]);
    assert.equal(s.ui.detail, null);
  });

  it("the detail pane has everything and the diff against the parent, MORE first", () => {
    const s = sessionOf(story());
    const p = s.table.byPid(102)!;
    const text = detailLines(s.table, p, 80).map(lineText);
    for (const label of [
      "command",
      "exe",
      "uid",
      "gid",
      "uid_map",
      "gid_map",
      "caps inh",
      "caps prm",
      "caps eff",
      "caps bnd",
      "caps amb",
      "no_new_privs",
      "seccomp",
      "root",
      "cwd",
      "cgroup",
      "mounts",
      "namespaces",
      "fds",
    ]) {
      assert.ok(
        text.some((l) => l.startsWith(label)),
        label,
      );
    }
    const cmp = text.findIndex((l) => l.startsWith("Compared with its parent 101"));
    assert.ok(cmp > 0);
    assert.match(text[cmp + 1]!, /^MORE cap prm \+net_raw: gained prm capabilities its parent lacks/);
    assert.match(text[cmp + 2]!, /^ {5}parent: none/);
    assert.match(text[cmp + 3]!, /^ {5}child: {2}net_raw/);
    const root = detailLines(s.table, s.table.byPid(100)!, 80).map(lineText);
    assert.ok(root.includes("No parent in the trace: nothing to compare with."));
    for (const l of text) assert.ok([...l].length <= 80, l);
  });

  it("scrolls the detail pane within bounds", () => {
    const s = sessionOf(story());
    press(s, ["j", { return: true }, "G"]);
    const lines = screenText(s);
    const m = /\((\d+)-(\d+) of (\d+)\)/.exec(lines.at(-1)!);
    assert.ok(m);
    assert.equal(m[2], m[3], "the end is shown");
    press(s, ["jjjj"]);
    assert.match(screenText(s).at(-1)!, new RegExp(`\\(${m[1]}-${m[2]} of`));
    press(s, ["g"]);
    assert.match(screenText(s).at(-1)!, /\(1-/);
  });

  it("/ edits the filter (Enter keeps, Esc clears, backspace deletes)", () => {
    const s = sessionOf(story());
    press(s, ["/help"]);
    assert.equal(s.ui.editingFilter, true);
    assert.match(screenText(s).at(-1)!, /^filter: \/help█/);
    press(s, [{ backspace: true }, "p", { return: true }]);
    assert.equal(s.ui.filter, "help");
    assert.equal(s.ui.editingFilter, false);
    const lines = screenText(s);
    assert.match(lines[0]!, /│ tree │ \/help │ launcher/);
    assert.deepEqual(
      lines.slice(2, 5).map((l) => l.slice(0, 7).trim()),
      ["100", "101", "102"],
    );
    assert.equal(selectedPid(s), 100);
    press(s, ["/", { escape: true }]);
    assert.equal(s.ui.filter, "");
    press(s, ["/zzz", { return: true }]);
    assert.match(screenText(s)[2]!, /nothing matches \/zzz/);
    press(s, [{ escape: true }]);
    assert.equal(s.ui.filter, "", "Esc in the list clears the filter");
  });

  it("t toggles tree and flat; space, ← → show threads; H all; x hides exited", () => {
    const s = sessionOf(story());
    press(s, ["t"]);
    assert.equal(s.ui.mode, "flat");
    assert.match(screenText(s)[0]!, /│ flat/);
    assert.ok(!screenText(s)[3]!.includes("├─"));
    press(s, ["t", "j", " "]);
    let lines = screenText(s);
    assert.match(lines[4]!, /^ {4}105 .* t .*│ {2}│ └┄ thread 105/);
    press(s, ["j"]);
    assert.equal(s.ui.selected?.tid, 105);
    press(s, [{ leftArrow: true }]);
    assert.equal(s.ui.selected?.tid, undefined, "collapsing moves to the process");
    assert.equal(selectedPid(s), 101);
    press(s, ["H"]);
    assert.ok(screenText(s).some((l) => l.includes("thread 105")));
    press(s, ["H", "x"]);
    lines = screenText(s);
    assert.ok(!lines.slice(2, 17).some((l) => l.includes("worker")));
    assert.match(lines[0]!, /exited hidden/);
  });

  it("s asks for a shell in the selected live process, refuses exited ones; q and Ctrl-C quit", () => {
    const s = sessionOf(story());
    assert.deepEqual(press(s, ["j", "s"]), [{ kind: "shell", pid: 101 }]);
    press(s, ["jj"]);
    assert.equal(selectedPid(s), 103);
    assert.deepEqual(press(s, ["s"]), []);
    assert.match(screenText(s).at(-1)!, /that process has exited: no shell/);
    press(s, ["k", { return: true }]);
    assert.deepEqual(press(s, ["s"]), [{ kind: "shell", pid: 102 }], "s works in the detail pane");
    assert.deepEqual(press(s, ["q"]), [], "q in the detail pane goes back");
    assert.deepEqual(press(s, ["q"]), [{ kind: "quit" }]);
    assert.deepEqual(press(s, [{ ctrl: true }]), []);
    const r = handleKey(s.ui, "c", keyOf({ ctrl: true }), layoutScreen(s, 80, 24).ctx);
    assert.deepEqual(r.effect, { kind: "quit" });
    assert.deepEqual(press(s, ["r"]), [{ kind: "rescan" }]);
  });

  it("when the selected process leaves the list nothing is selected, never another process where s would open a shell", () => {
    const s = sessionOf(story());
    press(s, ["x", "jj"]);
    assert.equal(selectedPid(s), 102, "the helper, in the void");
    // It exits while exited processes are hidden: its row goes, and the first row (the launcher, outside the void) is not selected in its place.
    s.table.apply({ event: "exit", time: 1763900009999, pid: 102, code: 0, core: false });
    const lines = screenText(s);
    assert.ok(!lines.some((l) => /^ {4}102 /.test(l)));
    assert.equal(selectedPid(s), 102, "the selection stays on the process that left");
    assert.deepEqual(press(s, ["s"]), [], "no shell anywhere");
    assert.match(screenText(s).at(-1)!, /no process is selected \(the one selected is no longer listed\)/);
    // Shown again (x), it is selected again; a move selects from the top.
    press(s, ["x"]);
    assert.equal(selectedPid(s), 102);
    press(s, ["x", "j"]);
    assert.equal(selectedPid(s), 100);
    // Left the filter: the same.
    const t = sessionOf(story());
    press(t, ["j", "/", "nomatch", { return: true }]);
    assert.deepEqual(press(t, ["s"]), []);
  });

  it("the name in the shell banner and every name on screen are sanitized, bidi controls and invisible characters too", () => {
    assert.equal(sanitize("x\u202etini-diov"), "x?tini-diov");
    assert.equal(sanitize("a\u2066b\u2069c\u200bd\u200fe\ufefff\u2028g\u061ch"), "a?b?c?d?e?f?g?h");
    assert.equal(sanitize("café ünïcode 名前"), "café ünïcode 名前", "other characters stay");
  });

  it("o switches the bottom pane to the program output, e makes it full screen", () => {
    const s = sessionOf(story());
    s.output = new TailBuffer();
    s.outputPath = "/tmp/out";
    s.output.push(Buffer.from("hello \u001b[32mgreen\u001b[0m\nsecond line\npartial"));
    press(s, ["o"]);
    let lines = screenText(s);
    assert.match(lines[17]!, /^── program output → \/tmp\/out ─/);
    assert.deepEqual(
      lines.slice(18, 21).map((l) => l.trimEnd()),
      ["hello green", "second line", "partial"],
    );
    press(s, ["e"]);
    lines = screenText(s);
    assert.equal(lines.length, 23);
    assert.match(lines[1]!, /^── program output/);
    press(s, ["o"]);
    assert.match(screenText(s)[1]!, /^── events \(8\)/);
    press(s, [{ escape: true }]);
    assert.equal(s.ui.bottomFull, false);
  });

  it("splits input bursts into keys", () => {
    assert.deepEqual(
      splitInput("j\r", keyOf()).map(([i, k]) => [i, k.return]),
      [
        ["j", false],
        ["", true],
      ],
    );
    assert.deepEqual(splitInput("\u001b[A", keyOf({ upArrow: true })).length, 1);
    const [[i, k]] = splitInput("\u0003x", keyOf()) as [[string, ReturnType<typeof keyOf>]];
    assert.equal(i, "c");
    assert.equal(k.ctrl, true);
  });

  it("a UI state survives as a plain value (what the shell hotkey keeps)", () => {
    const s = sessionOf(story());
    press(s, ["t", "/fib", { return: true }]);
    const kept: UiState = s.ui;
    const again = new Session(s.table, kept, "x");
    assert.equal(layoutScreen(again, 80, 24).ui.filter, "fib");
    assert.match(screenText(again)[0]!, /│ flat │ \/fib │ x/);
  });
});

describe("forktop lines", () => {
  it("splits across chunks and multi-byte characters", () => {
    const sp = new LineSplitter();
    const bytes = Buffer.from('{"a":"é"}\n{"b":1}\n{"c"');
    assert.deepEqual(sp.push(bytes.subarray(0, 8)), []);
    assert.deepEqual(sp.push(bytes.subarray(8)), ['{"a":"é"}', '{"b":1}']);
    assert.equal(sp.end(), '{"c"');
    const tail = new TailBuffer(2);
    tail.push(Buffer.from("1\n2\n3\n4"));
    assert.deepEqual(tail.all(), ["2", "3", "4"]);
  });
});

describe("forktop ink component", () => {
  it("renders the same 80-column screen through ink", () => {
    const s = sessionOf(story());
    const expected = layoutScreen(s, 80, 24).lines.map(lineText);
    const out = renderToString(createElement(App, { session: s, onEffect: () => {}, size: { columns: 80, rows: 24 }, interactive: false }), { columns: 80 });
    const lines = out.split("\n");
    assert.equal(lines.length, 23);
    assert.deepEqual(
      lines.map((l) => l.trimEnd()),
      expected.map((l) => l.trimEnd()),
    );
  });
});
