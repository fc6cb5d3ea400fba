/**
 * The non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8): Trying → Proceeding → Completed →
 * Terminated. Retransmitted requests are absorbed (Trying) or answered with the last response
 * (Proceeding, Completed); timer J (64·T1 on unreliable transports, 0 on reliable ones) keeps the
 * transaction — and its final response — around long enough to answer every retransmission.
 */
import type { TransactionChannel } from './channel.js';
import type { TimerHost, TimerValues } from './timers.js';

export enum NonInviteServerState {
  Trying = 'trying',
  Proceeding = 'proceeding',
  Completed = 'completed',
  Terminated = 'terminated',
}

export class NonInviteServerTransaction {
  state = NonInviteServerState.Trying;
  /**
   * The last response, kept as where its bytes are rather than as the `Buffer` view (a ~100-byte
   * object): a finished UDP transaction holds it for timer J, and hundreds of thousands of them are
   * alive under load. Retransmissions (rare) get a new view.
   */
  private lastBytes: ArrayBufferLike | undefined = undefined;
  private lastOffset = 0;
  private lastLength = 0;

  constructor(
    readonly key: string,
    private readonly channel: TransactionChannel,
    private readonly timers: TimerHost,
    private readonly values: TimerValues,
    private readonly onTerminated: (tx: NonInviteServerTransaction) => void,
  ) {}

  /** A retransmission of the request arrived (§17.2.2). */
  receiveRequest(): void {
    if ((this.state === NonInviteServerState.Proceeding || this.state === NonInviteServerState.Completed) && this.lastBytes) {
      this.channel.send(Buffer.from(this.lastBytes, this.lastOffset, this.lastLength));
    }
  }

  /**
   * The TU sends a response. Returns false if the transaction can no longer send one (a final
   * response was already sent, or it terminated).
   */
  respond(status: number, bytes: Buffer): boolean {
    if (this.state === NonInviteServerState.Completed || this.state === NonInviteServerState.Terminated) return false;
    this.lastBytes = bytes.buffer;
    this.lastOffset = bytes.byteOffset;
    this.lastLength = bytes.length;
    if (status < 200) {
      this.state = NonInviteServerState.Proceeding;
      this.channel.send(bytes);
      return true;
    }
    this.state = NonInviteServerState.Completed;
    this.channel.send(bytes);
    // Timer J: 64*T1 for unreliable transports, zero for reliable ones.
    if (this.channel.reliable) this.terminate();
    // Timer J needs no handle: nothing cancels it, and firing after an earlier termination is a no-op.
    else if (this.state === NonInviteServerState.Completed) this.timers.schedule(terminate, 64 * this.values.T1, this);
    return true;
  }

  /** A fatal transport error while sending (§17.2.4): the transaction is destroyed. */
  transportError(): void {
    this.terminate();
  }

  terminate(): void {
    if (this.state === NonInviteServerState.Terminated) return;
    this.state = NonInviteServerState.Terminated;
    this.onTerminated(this);
  }
}

/** Timer callback shared by every transaction (no closure per timer). */
function terminate(tx: NonInviteServerTransaction): void {
  tx.terminate();
}
