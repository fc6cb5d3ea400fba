/**
 * The RFC 4475 torture messages with the verdict our parser gives each, shared by the parser tests
 * and the transport tests (which send them over UDP/TCP).
 *
 * The messages are in test/fixtures/rfc4475/ (extracted from the RFC's own base64 archive); the
 * groups come from its README.md (read and checked against the files there); the per-file verdict
 * follows the RFC's text for each case. Where the RFC allows either outcome we pick one and say why (`note`). `expectAccept` is the parser's verdict; `expectStatus`
 * the status a request that fails to parse gets (responses that fail are dropped: no status);
 * `appStatus` is what a complete element would answer an accepted message at the application layer.
 */
import { fileURLToPath } from 'node:url';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const TORTURE_DIR = fileURLToPath(new URL('../fixtures/rfc4475', import.meta.url));

export interface TortureCase {
  file: string;
  bytes: Buffer;
  /** RFC 4475 section (from the README table). */
  section: string;
  /** Request or response (from the start line). */
  kind: 'request' | 'response';
  expectAccept: boolean;
  expectStatus?: 400 | 505;
  appStatus?: number;
  note?: string;
  /**
   * What the stream framer (TCP/TLS) makes of the bytes sent alone on a connection: the first
   * event is a `message`, a non-fatal `error` (bytes skipped, connection usable), a `fatal` error
   * (answer if possible, close), or nothing yet (`incomplete`: Content-Length promises more bytes).
   */
  stream: 'message' | 'error' | 'fatal' | 'incomplete';
}

/** Stream outcomes that differ from the datagram verdict. */
const STREAM: Record<string, TortureCase['stream']> = {
  clerr: 'incomplete',
  ncl: 'fatal',
  mcl01: 'fatal',
  inv2543: 'fatal', // no Content-Length: mandatory on streams (RFC 3261 §18.3)
};

interface Verdict {
  expectAccept: boolean;
  expectStatus?: 400 | 505;
  appStatus?: number;
  note?: string;
}

const ACCEPT: Verdict = { expectAccept: true };
const BAD: Verdict = { expectAccept: false, expectStatus: 400 };
const DROP: Verdict = { expectAccept: false };

/** Our verdict per file; every file in the README table must be listed here (the test checks it). */
const VERDICTS: Record<string, Verdict> = {
  // 3.1.1 valid messages with ugly syntax
  wsinv: ACCEPT,
  intmeth: { expectAccept: true, appStatus: 501 },
  esc01: ACCEPT,
  escnull: ACCEPT,
  esc02: { expectAccept: true, appStatus: 501, note: 'method RE%47IST%45R is not REGISTER' },
  lwsdisp: ACCEPT,
  longreq: ACCEPT,
  dblreq: { expectAccept: true, note: 'the trailing INVITE in the datagram is ignored (on a stream it is a second message)' },
  semiuri: ACCEPT,
  transports: ACCEPT,
  mpart01: ACCEPT,
  unreason: ACCEPT,
  noreason: ACCEPT,
  // 3.1.2 invalid messages
  badinv01: BAD,
  clerr: { ...BAD, note: 'Content-Length larger than the datagram' },
  ncl: BAD,
  scalar02: BAD,
  scalarlg: { ...DROP, note: 'response with an overlarge CSeq: dropped' },
  quotbal: BAD,
  ltgtruri: BAD,
  lwsruri: BAD,
  lwsstart: { expectAccept: true, note: 'RFC allows tolerating extra SP in the request line; we do' },
  trws: { expectAccept: true, note: 'RFC allows tolerating trailing SP in the request line; we do' },
  escruri: BAD,
  baddate: { expectAccept: true, note: 'RFC allows ignoring an unused Date; we never parse Date' },
  regbadct: { expectAccept: true, note: 'Contact is parsed lazily; the RFC allows inferring the <>' },
  badaspec: { ...BAD, note: 'RFC allows either; we reject spaces inside <>' },
  baddn: { ...BAD, note: 'RFC allows either; we reject unquoted non-token display names' },
  badvers: { expectAccept: false, expectStatus: 505 },
  mismatch01: BAD,
  mismatch02: BAD,
  bigcode: { ...DROP, note: 'response with an overlarge status code: dropped' },
  // 3.2 transaction layer
  badbranch: ACCEPT,
  // 3.3 application layer
  insuf: { ...BAD, note: 'missing Call-ID, From, To: the RFC asks for a 400' },
  unkscm: { expectAccept: true, appStatus: 416 },
  novelsc: { expectAccept: true, appStatus: 416 },
  unksm2: ACCEPT,
  bext01: { expectAccept: true, appStatus: 420 },
  invut: { expectAccept: true, appStatus: 415 },
  regaut01: ACCEPT,
  multi01: { ...BAD, note: 'repeated single-value headers: the RFC asks for a 400' },
  mcl01: { ...BAD, note: 'two Content-Length values: message boundaries are unknowable' },
  bcast: { expectAccept: true, note: 'a response; the transport must not send to the broadcast Via' },
  zeromf: { expectAccept: true, appStatus: 483 },
  cparam01: ACCEPT,
  cparam02: ACCEPT,
  regescrt: ACCEPT,
  sdp01: { expectAccept: true, appStatus: 406 },
  // 3.4 backward compatibility
  inv2543: ACCEPT,
};

/** Rows of the README's group table: section → file names. */
export function readmeGroups(dir = TORTURE_DIR): Map<string, string> {
  const text = readFileSync(join(dir, 'README.md'), 'utf8');
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // | group | RFC section | files | what ... |
    if (cells.length < 5 || !/^\d+(\.\d+)+$/.test(cells[2] ?? '')) continue;
    for (const f of (cells[3] ?? '').split(/\s+/).filter(Boolean)) out.set(f, cells[2]!);
  }
  return out;
}

/** Every torture case with its bytes and expected verdict. Throws if README, files and table disagree. */
export function tortureCases(dir = TORTURE_DIR): TortureCase[] {
  const groups = readmeGroups(dir);
  const files = readdirSync(dir).filter((f) => f.endsWith('.dat')).map((f) => f.slice(0, -4)).sort();
  const out: TortureCase[] = [];
  for (const name of files) {
    const section = groups.get(name);
    const verdict = VERDICTS[name];
    if (section === undefined) throw new Error(`${name}.dat is not in the README table`);
    if (verdict === undefined) throw new Error(`${name}.dat has no verdict in torture-cases.ts`);
    const bytes = readFileSync(join(dir, `${name}.dat`));
    const kind = bytes.subarray(0, 4).toString('latin1').toUpperCase() === 'SIP/' ? 'response' : 'request';
    const stream = STREAM[name] ?? (verdict.expectAccept ? 'message' : 'error');
    out.push({ file: `${name}.dat`, bytes, section, kind, ...verdict, stream });
  }
  for (const name of groups.keys()) if (!files.includes(name)) throw new Error(`README lists ${name} but ${name}.dat is missing`);
  return out;
}
