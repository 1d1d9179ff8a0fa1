/** Where a command writes and how it learns of Ctrl-C: the process, or a test's stand-in. */
export interface Terminal {
  /** Writes a line to standard output. */
  out(line: string): void;
  /** Writes a line to standard error. */
  err(line: string): void;
  /** Rewrites the current status line on a TTY; elsewhere writes a line to standard error every few seconds. */
  progress(line: string): void;
  /** Ends a status line started by `progress`. */
  progressDone(): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** True on a terminal (standard error is a TTY): where progress lines of uploads are shown. */
  readonly interactive?: boolean | undefined;
  /** Calls `listener` on SIGINT or SIGTERM until the returned function is called. */
  onInterrupt(listener: (signal: string) => void): () => void;
}

/** The terminal of this process. */
export function processTerminal(): Terminal {
  const tty = process.stderr.isTTY;
  let open = false;
  // Off a terminal (a log file, CI), one progress line every few seconds is enough.
  let lastLineAt = 0;
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    progress: (line) => {
      if (tty) {
        process.stderr.write(`\r\u001b[2K${line}`);
        open = true;
      } else if (Date.now() - lastLineAt >= 2000) {
        lastLineAt = Date.now();
        process.stderr.write(`${line}\n`);
      }
    },
    progressDone: () => {
      if (open) process.stderr.write('\n');
      open = false;
    },
    env: process.env,
    interactive: tty,
    onInterrupt: (listener) => {
      process.on('SIGINT', listener);
      process.on('SIGTERM', listener);
      return () => {
        process.off('SIGINT', listener);
        process.off('SIGTERM', listener);
      };
    },
  };
}
