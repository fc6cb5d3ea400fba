/**
 * The non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6): Trying → Proceeding → Completed →
 * Terminated. Timer E retransmits the request on unreliable transports (T1, doubling up to T2; at T2
 * once a provisional response arrived), timer F (64·T1) times the transaction out, timer K (T4
 * unreliable, 0 reliable) absorbs retransmitted final responses after completion.
 */
import type { SipResponse } from '../message/message.js';
import type { TransactionChannel } from './channel.js';
import type { TimerHandle, TimerHost, TimerValues } from './timers.js';

export enum NonInviteClientState {
  Trying = 'trying',
  Proceeding = 'proceeding',
  Completed = 'completed',
  Terminated = 'terminated',
}

export interface ClientTransactionUser {
  /** Every response the transaction passes up: provisional ones and the first final one. */
  onResponse(response: SipResponse): void;
  /** Timer F fired without a final response. */
  onTimeout(): void;
  /** The transport failed to send the request. */
  onTransportError(error: Error): void;
  onTerminated(): void;
}

export class NonInviteClientTransaction {
  state = NonInviteClientState.Trying;
  private timerE: TimerHandle | undefined;
  private timerF: TimerHandle | undefined;
  private timerK: TimerHandle | undefined;
  private intervalE: number;
  private finished = false;

  constructor(
    readonly key: string,
    private readonly request: Buffer,
    private readonly channel: TransactionChannel,
    private readonly timers: TimerHost,
    private readonly values: TimerValues,
    private readonly user: ClientTransactionUser,
  ) {
    this.intervalE = values.T1;
  }

  /** Send the request and start timers E (unreliable only) and F. */
  start(): void {
    if (!this.channel.reliable) this.timerE = this.timers.setTimeout(fireE, this.intervalE, this);
    this.timerF = this.timers.setTimeout(fireF, 64 * this.values.T1, this);
    this.channel.send(this.request);
  }

  receiveResponse(response: SipResponse): void {
    if (this.state === NonInviteClientState.Trying || this.state === NonInviteClientState.Proceeding) {
      if (response.status < 200) {
        this.state = NonInviteClientState.Proceeding;
        this.user.onResponse(response);
        return;
      }
      this.state = NonInviteClientState.Completed;
      this.clearTimer('E');
      this.clearTimer('F');
      this.user.onResponse(response);
      if (this.channel.reliable) this.terminate();
      else if (this.state === NonInviteClientState.Completed) this.timerK = this.timers.setTimeout(terminate, this.values.T4, this);
    }
    // Completed: retransmitted final responses are absorbed.
  }

  transportError(error: Error): void {
    if (this.state === NonInviteClientState.Completed || this.state === NonInviteClientState.Terminated) return;
    this.clearTimer('E');
    this.clearTimer('F');
    this.state = NonInviteClientState.Terminated;
    this.user.onTransportError(error);
    this.finish();
  }

  /** Timer E (called by the shared timer callback below). */
  fireE(): void {
    this.timerE = undefined;
    if (this.state === NonInviteClientState.Trying) this.intervalE = Math.min(2 * this.intervalE, this.values.T2);
    else if (this.state === NonInviteClientState.Proceeding) this.intervalE = this.values.T2;
    else return;
    this.timerE = this.timers.setTimeout(fireE, this.intervalE, this);
    this.channel.send(this.request);
  }

  /** Timer F (called by the shared timer callback below). */
  fireF(): void {
    this.timerF = undefined;
    if (this.state !== NonInviteClientState.Trying && this.state !== NonInviteClientState.Proceeding) return;
    this.clearTimer('E');
    this.state = NonInviteClientState.Terminated;
    this.user.onTimeout();
    this.finish();
  }

  private clearTimer(which: 'E' | 'F' | 'K'): void {
    const h = which === 'E' ? this.timerE : which === 'F' ? this.timerF : this.timerK;
    if (h) this.timers.clearTimeout(h);
    if (which === 'E') this.timerE = undefined;
    else if (which === 'F') this.timerF = undefined;
    else this.timerK = undefined;
  }

  /** Stop all timers and leave (used by graceful stop). */
  terminate(): void {
    if (this.finished) return;
    this.state = NonInviteClientState.Terminated;
    this.finish();
  }

  private finish(): void {
    this.clearTimer('E');
    this.clearTimer('F');
    this.clearTimer('K');
    if (this.finished) return;
    this.finished = true;
    this.user.onTerminated();
  }
}

/** Timer callbacks shared by every transaction (no closure per timer). */
function fireE(tx: NonInviteClientTransaction): void {
  tx.fireE();
}

function fireF(tx: NonInviteClientTransaction): void {
  tx.fireF();
}

function terminate(tx: NonInviteClientTransaction): void {
  tx.terminate();
}
