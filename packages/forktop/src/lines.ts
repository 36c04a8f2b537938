/**
 * Splitting byte streams into lines: the tracer's event lines, and the
 * traced program's output kept for the output pane. Pure.
 */

/** Splits a stream into `\n`-terminated lines, across chunk boundaries. */
export class LineSplitter {
  private partial = "";
  private readonly decoder = new TextDecoder("utf-8");

  /** Complete lines in this chunk (without their newline). */
  push(chunk: Uint8Array | string): string[] {
    const text = this.partial + (typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true }));
    const parts = text.split("\n");
    this.partial = parts.pop()!;
    return parts;
  }

  /** What is left after the stream ended (a last line without newline), or null. */
  end(): string | null {
    const rest = this.partial + this.decoder.decode();
    this.partial = "";
    return rest === "" ? null : rest;
  }
}

/** The last `limit` lines of a stream, plus the unfinished last line. */
export class TailBuffer {
  readonly lines: string[] = [];
  private pending = "";
  private readonly decoder = new TextDecoder("utf-8");
  /** Bytes seen in total. */
  bytes = 0;

  constructor(private readonly limit = 2000) {}

  push(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    const parts = (this.pending + this.decoder.decode(chunk, { stream: true })).split("\n");
    this.pending = parts.pop()!;
    if (parts.length > 0) {
      this.lines.push(...parts);
      if (this.lines.length > this.limit) this.lines.splice(0, this.lines.length - this.limit);
    }
  }

  /** Complete lines and the unfinished one, for display. */
  all(): string[] {
    return this.pending === "" ? this.lines : [...this.lines, this.pending];
  }
}
