/**
 * The INVITE server transaction (RFC 3261 §17.2.1, Figure 7), as much as a messaging-only server
 * needs: it answers INVITEs with a final error (488), so the 2xx path simply terminates (RFC 6026's
 * Accepted state is not needed). Proceeding → Completed on a 3xx–6xx; timer G retransmits the final
 * response on unreliable transports (T1, doubling up to T2), timer H (64·T1) gives up waiting for the
 * ACK, an ACK moves to Confirmed and timer I (T4 unreliable, 0 reliable) absorbs ACK retransmissions.
 */
import type { TransactionChannel } from './channel.js';
import type { TimerHandle, TimerHost, TimerValues } from './timers.js';

export enum InviteServerState {
  Proceeding = 'proceeding',
  Completed = 'completed',
  Confirmed = 'confirmed',
  Terminated = 'terminated',
}

export class InviteServerTransaction {
  state = InviteServerState.Proceeding;
  private lastResponse: Buffer | undefined;
  private timerG: TimerHandle | undefined;
  private timerH: TimerHandle | undefined;
  private timerI: TimerHandle | undefined;
  private intervalG: number;

  constructor(
    readonly key: string,
    private readonly channel: TransactionChannel,
    private readonly timers: TimerHost,
    private readonly values: TimerValues,
    private readonly onTerminated: (tx: InviteServerTransaction) => void,
  ) {
    this.intervalG = values.T1;
  }

  /** A retransmitted INVITE: resend the last provisional or final response. */
  receiveRequest(): void {
    if ((this.state === InviteServerState.Proceeding || this.state === InviteServerState.Completed) && this.lastResponse) {
      this.channel.send(this.lastResponse);
    }
  }

  /** An ACK for our non-2xx final response. */
  receiveAck(): void {
    if (this.state !== InviteServerState.Completed) return;
    this.state = InviteServerState.Confirmed;
    this.clear('G');
    this.clear('H');
    if (this.channel.reliable) this.terminate();
    else this.timerI = this.timers.setTimeout(terminate, this.values.T4, this);
  }

  respond(status: number, bytes: Buffer): boolean {
    if (this.state !== InviteServerState.Proceeding) return false;
    this.lastResponse = bytes;
    this.channel.send(bytes);
    if (status < 200) return true;
    if (status < 300) {
      this.terminate();
      return true;
    }
    this.state = InviteServerState.Completed;
    if (!this.channel.reliable) this.timerG = this.timers.setTimeout(fireG, this.intervalG, this);
    this.timerH = this.timers.setTimeout(terminate, 64 * this.values.T1, this);
    return true;
  }

  /** Timer G (also called by the shared timer callback below). */
  fireG(): void {
    this.timerG = undefined;
    if (this.state !== InviteServerState.Completed || !this.lastResponse) return;
    this.channel.send(this.lastResponse);
    this.intervalG = Math.min(2 * this.intervalG, this.values.T2);
    this.timerG = this.timers.setTimeout(fireG, this.intervalG, this);
  }

  transportError(): void {
    this.terminate();
  }

  private clear(which: 'G' | 'H' | 'I'): void {
    const h = which === 'G' ? this.timerG : which === 'H' ? this.timerH : this.timerI;
    if (h) this.timers.clearTimeout(h);
    if (which === 'G') this.timerG = undefined;
    else if (which === 'H') this.timerH = undefined;
    else this.timerI = undefined;
  }

  terminate(): void {
    if (this.state === InviteServerState.Terminated) return;
    this.state = InviteServerState.Terminated;
    this.clear('G');
    this.clear('H');
    this.clear('I');
    this.onTerminated(this);
  }
}

/** Timer callbacks shared by every transaction (no closure per timer). */
function terminate(tx: InviteServerTransaction): void {
  tx.terminate();
}

function fireG(tx: InviteServerTransaction): void {
  tx.fireG();
}
