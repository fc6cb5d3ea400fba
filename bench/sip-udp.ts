/**
 * Benchmark: MESSAGE → 200 over UDP on loopback through the whole SIP stack (parser, transaction
 * layer, UAS core, a handler that answers 200 at once — no storage), against a raw node:dgram echo
 * server measured the same way in the same run. The load generator runs in a child process and keeps
 * a window of requests outstanding (each answer releases the next request; a timer refills the
 * window after losses). Every request has its own branch and Call-ID (no retransmission matching).
 *
 *   npx tsx bench/sip-udp.ts [seconds=5] [window=200]
 *   SYLK_BENCH_ONLY=stack node --cpu-prof --import tsx bench/sip-udp.ts   (stack only, for profiling; or =echo)
 *
 * Prints requests/s for both servers and the ratio (goal: ≥ 40k/s and ≥ 50% of the echo server).
 */
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';

const seconds = Number(process.argv[2] ?? 5);
const windowSize = Number(process.argv[3] ?? 200);

if (process.env.SYLK_BENCH_ROLE === 'loadgen') {
  await loadgen();
} else {
  await main();
}

interface LoadResult {
  responses: number;
  seconds: number;
}

async function main(): Promise<void> {
  process.env.SYLK_LOG_LEVEL ??= 'silent';
  // Raw echo server (skipped with SYLK_BENCH_ONLY=stack, e.g. to profile the stack alone; the stack
  // is skipped with SYLK_BENCH_ONLY=echo).
  const only = process.env.SYLK_BENCH_ONLY;
  let echoResult: LoadResult = { responses: 0, seconds: 1 };
  let echoCpu: NodeJS.CpuUsage = { user: 0, system: 0 };
  if (only !== 'stack') {
    const echo = createSocket('udp4');
    echo.on('message', (msg, rinfo) => echo.send(msg, rinfo.port, rinfo.address));
    await new Promise<void>((r) => echo.bind(0, '127.0.0.1', () => r()));
    const before = process.cpuUsage();
    echoResult = await runLoad(echo.address().port);
    echoCpu = process.cpuUsage(before);
    await new Promise<void>((r) => echo.close(() => r()));
  }

  let stackResult: LoadResult = { responses: 0, seconds: 1 };
  let stackCpu: NodeJS.CpuUsage = { user: 0, system: 0 };
  let alive = 0;
  if (only !== 'echo') {
    const { SipStack } = await import('../src/sip/stack.js');
    const stack = new SipStack({ host: '127.0.0.1', udpPort: 0 }, async () => ({ status: 200 }));
    await stack.start();
    const before = process.cpuUsage();
    stackResult = await runLoad(stack.ports().udp!);
    stackCpu = process.cpuUsage(before);
    alive = stack.transactionCounts.server;
    await stack.stop();
  }

  const echoRate = echoResult.responses / echoResult.seconds;
  const stackRate = stackResult.responses / stackResult.seconds;
  console.log(`window ${windowSize}, ${seconds} s each, load generator in a child process`);
  // Server CPU (user+system) per answered request, over the whole run incl. warm-up.
  const perReq = (c: NodeJS.CpuUsage, r: LoadResult): string => (((c.user + c.system) / (r.responses * (1 + 1 / r.seconds))) || 0).toFixed(1);
  console.log(`raw dgram echo server : ${Math.round(echoRate)} req/s, ~${perReq(echoCpu, echoResult)} µs server CPU per request`);
  console.log(`SIP stack MESSAGE→200 : ${Math.round(stackRate)} req/s, ~${perReq(stackCpu, stackResult)} µs server CPU per request (server transactions alive at the end: ${alive})`);
  console.log(`ratio                 : ${((100 * stackRate) / echoRate).toFixed(1)} %`);
}

function runLoad(port: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [String(seconds), String(windowSize)], {
      env: { ...process.env, SYLK_BENCH_ROLE: 'loadgen', SYLK_BENCH_PORT: String(port) },
      execArgv: ['--import', 'tsx'],
    });
    child.once('message', (m) => resolve(m as LoadResult));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited with ${code}`));
    });
  });
}

async function loadgen(): Promise<void> {
  const port = Number(process.env.SYLK_BENCH_PORT);
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  try {
    sock.setRecvBufferSize(4 * 1024 * 1024);
    sock.setSendBufferSize(4 * 1024 * 1024);
  } catch {
    // best effort
  }
  const myPort = sock.address().port;
  const body = 'Hello, this is a benchmark message.';
  let n = 0;
  const next = (): Buffer => {
    n++;
    return Buffer.from(
      `MESSAGE sip:bob@127.0.0.1:${port} SIP/2.0\r\n` +
        `Via: SIP/2.0/UDP 127.0.0.1:${myPort};branch=z9hG4bK${process.pid}x${n};rport\r\n` +
        `Max-Forwards: 70\r\n` +
        `From: <sip:alice@example.com>;tag=a${n}\r\n` +
        `To: <sip:bob@example.com>\r\n` +
        `Call-ID: bench-${process.pid}-${n}@127.0.0.1\r\n` +
        `CSeq: 1 MESSAGE\r\n` +
        `Content-Type: text/plain\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body}`,
    );
  };
  let received = 0;
  let lastReceived = 0;
  let counting = false;
  let counted = 0;
  sock.on('message', () => {
    received++;
    if (counting) counted++;
    sock.send(next(), port, '127.0.0.1');
  });
  for (let i = 0; i < windowSize; i++) sock.send(next(), port, '127.0.0.1');
  // Refill the window when answers stop (datagrams lost under overload).
  const refill = setInterval(() => {
    if (received === lastReceived) for (let i = 0; i < windowSize; i++) sock.send(next(), port, '127.0.0.1');
    lastReceived = received;
  }, 100);
  await new Promise((r) => setTimeout(r, 1000)); // warm-up
  counting = true;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  counting = false;
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(refill);
  sock.close();
  process.send!({ responses: counted, seconds: elapsed } satisfies LoadResult, () => process.exit(0));
}
