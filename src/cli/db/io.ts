/**
 * Terminal input/output of `sylk-db` (`sylk-db.md` §2): log-style lines (`......` marker for
 * information, the level name for warnings and errors), centered `****` banners, the y/n confirmation
 * and the number prompt. Output goes through an injectable `CliIo`, so tests run the tool in process.
 * No ANSI colours (the original only colours on a terminal; plain text is always correct).
 */
import { createInterface } from 'node:readline';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Ask one line; resolves null at end of input (or Ctrl-C). */
  ask(prompt: string): Promise<string | null>;
  /** Ask one line without echoing it (passwords); absent when standard input is not a terminal. */
  askSecret?(prompt: string): Promise<string | null>;
  /** Raw stdout write (export data), no newline added. */
  write(chunk: string): Promise<void>;
  /** Read the lines of `path` (`-` = stdin). */
  readLines(path: string): AsyncIterable<string>;
}

/** Thrown to stop the tool with an exit status (after printing `message` as an error, if any). */
export class CliExit extends Error {
  constructor(
    readonly status: number,
    message = '',
  ) {
    super(message);
  }
}

export class Output {
  constructor(private readonly io: CliIo) {}

  info(text: string): void {
    this.io.out(`...... ${text}`);
  }

  plain(text: string): void {
    this.io.out(text);
  }

  warn(text: string): void {
    this.io.out(`WARNING ${text}`);
  }

  error(text: string): void {
    this.io.err(`ERROR ${text}`);
  }

  /** Progress and diagnostics that must not mix with data on stdout. */
  progress(text: string): void {
    this.io.err(text);
  }

  banner(title: string): void {
    const text = ` ${title} `;
    const width = 80;
    const left = Math.max(4, Math.floor((width - text.length) / 2));
    const right = Math.max(4, width - text.length - left);
    this.io.out(`${'*'.repeat(left)}${text}${'*'.repeat(right)}`);
  }

  centered(text: string): void {
    const pad = Math.max(0, Math.floor((80 - text.length) / 2));
    this.io.out(`${' '.repeat(pad)}${text}`);
  }

  rule(): void {
    this.io.out('-'.repeat(80));
  }
}

/**
 * `>> <question> (Enter y/n)`, repeated until y or n (case-insensitive). `--yes` answers y without
 * asking. End of input → exit status 1 (as an interrupted prompt of the original).
 */
export async function confirm(io: CliIo, question: string, yes: boolean): Promise<boolean> {
  if (yes) return true;
  for (;;) {
    const answer = await io.ask(`>> ${question} (Enter y/n) `);
    if (answer === null) throw new CliExit(1, 'interrupted');
    const a = answer.trim().toLowerCase();
    if (a === 'y') return true;
    if (a === 'n') return false;
  }
}

/**
 * `>> Pick a token to delete (Enter a number [0-<max>] or all)`; an integer in range or `all`.
 * Resolves the index, or 'all'. End of input → exit status 1.
 */
export async function pickNumber(io: CliIo, question: string, max: number): Promise<number | 'all'> {
  for (;;) {
    const answer = await io.ask(`>> ${question} (Enter a number [0-${max}] or all) `);
    if (answer === null) throw new CliExit(1, 'interrupted');
    const a = answer.trim().toLowerCase();
    if (a === 'all') return 'all';
    if (/^\d+$/.test(a) && Number(a) <= max) return Number(a);
    io.out('Enter a valid number');
  }
}

/** The process's terminal. */
export function processIo(): CliIo {
  let rl: ReturnType<typeof createInterface> | null = null;
  let lines: AsyncIterator<string> | null = null;
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    async ask(prompt) {
      process.stdout.write(prompt);
      if (!rl) {
        rl = createInterface({ input: process.stdin, terminal: false });
        lines = rl[Symbol.asyncIterator]();
        rl.on('SIGINT', () => process.exit(1));
      }
      const next = await lines!.next();
      return next.done ? null : next.value;
    },
    ...(process.stdin.isTTY ? { askSecret: readHidden } : {}),
    write: (chunk) =>
      new Promise<void>((resolve, reject) => {
        process.stdout.write(chunk, (err) => (err ? reject(err) : resolve()));
      }),
    async *readLines(path) {
      const { createReadStream } = await import('node:fs');
      const input = path === '-' ? process.stdin : createReadStream(path, { encoding: 'utf8' });
      const r = createInterface({ input, crlfDelay: Infinity, terminal: false });
      for await (const line of r) yield line;
    },
  };
}

/** Read one line from the terminal in raw mode, echoing nothing; null on Ctrl-C or Ctrl-D. */
function readHidden(prompt: string): Promise<string | null> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    process.stdout.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let text = '';
    const done = (value: string | null): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stdout.write('\n');
      resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(text);
        if (ch === '\u0003' || (ch === '\u0004' && text === '')) return done(null);
        if (ch === '\u007f' || ch === '\b') text = [...text].slice(0, -1).join('');
        else if (ch >= ' ') text += ch;
      }
    };
    stdin.on('data', onData);
  });
}
