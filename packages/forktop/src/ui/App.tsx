/**
 * The forktop TUI as an ink component. It only draws `layoutScreen`'s lines
 * and feeds keys to the pure reducer in state.ts; effects (quit, shell,
 * rescan) go to the controller (src/tui.ts), which owns the tracer.
 */

import { Box, Text, useInput, useStdout } from "ink";
import { useEffect, useState, useSyncExternalStore } from "react";
import type { Line } from "../view.js";
import { layoutScreen, type Session } from "./screen.js";
import { type Effect, handleKey, splitInput } from "./state.js";

export interface AppProps {
  session: Session;
  onEffect(effect: Effect): void;
  /** A fixed size (tests); otherwise the terminal's, following resizes. */
  size?: { columns: number; rows: number };
  /** Read keys (false when stdin is not a terminal, e.g. in tests). */
  interactive?: boolean;
}

export function ScreenLines({ lines }: { lines: Line[] }) {
  return (
    <Box flexDirection="column">
      {lines.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a screen line is its position
        <Text key={i} wrap="truncate">
          {line.map((seg, j) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a segment is its position
            <Text key={j} color={seg.color} bold={seg.bold} dimColor={seg.dim} inverse={seg.inverse}>
              {seg.text}
            </Text>
          ))}
        </Text>
      ))}
    </Box>
  );
}

function useTerminalSize(fixed: AppProps["size"]): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => fixed ?? { columns: stdout.columns || 80, rows: stdout.rows || 24 });
  useEffect(() => {
    if (fixed !== undefined) return;
    const onResize = () => setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on("resize", onResize);
    return () => {
      stdout.off("resize", onResize);
    };
  }, [stdout, fixed]);
  return fixed ?? size;
}

export function App({ session, onEffect, size, interactive = true }: AppProps) {
  useSyncExternalStore(session.subscribe, session.getVersion);
  const { columns, rows } = useTerminalSize(size);
  const screen = layoutScreen(session, columns, rows);
  // Keep the settled selection and scroll (no re-render needed: same picture).
  session.ui = screen.ui;

  useInput(
    (input, key) => {
      for (const [ch, k] of splitInput(input, key)) {
        const current = layoutScreen(session, columns, rows);
        const { state, effect } = handleKey(current.ui, ch, k, current.ctx);
        session.ui = state;
        if (effect !== undefined) {
          session.changed();
          onEffect(effect);
          return;
        }
      }
      session.changed();
    },
    { isActive: interactive },
  );

  return <ScreenLines lines={screen.lines} />;
}
