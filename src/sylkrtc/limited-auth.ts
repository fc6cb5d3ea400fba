/**
 * The guessing limits of `standalone.md` §5 for WebSocket logins (`account-register`), around either
 * authenticator of `auth.ts`, in both modes:
 *
 * - standalone: the local check is not even made while the (account, client address) pair is blocked;
 * - proxy mode (issue 15 item 2): every `account-register` becomes a REGISTER from the server's own,
 *   trusted address, so the proxy's per-address limits cannot tell one guesser from all other users
 *   (about 250 guesses per second on one connection were measured). While the pair is blocked, no
 *   REGISTER is sent at all.
 *
 * A blocked attempt answers exactly like wrong credentials (`failed`, `904 No matching challenge`).
 * Only the first outcome of a session counts (a later refresh is the server's doing, not a guess):
 * `registered` is a success, `904` a failure; other failures (proxy unreachable, 403 for a domain)
 * say nothing about the password and are not counted.
 */
import type { GuessLimiter } from '../accounts/guess-limiter.js';
import { WRONG_CREDENTIALS, type AccountAuthenticator, type AuthEvent, type AuthSession, type AuthSubject } from './auth.js';

export class GuessLimitedAuthenticator implements AccountAuthenticator {
  constructor(
    private readonly inner: AccountAuthenticator,
    private readonly limiter: GuessLimiter,
  ) {}

  start(subject: AuthSubject, onEvent: (event: AuthEvent) => void): AuthSession {
    const { aor, remoteAddress } = subject;
    if (this.limiter.blocked(aor, remoteAddress)) {
      let stopped = false;
      // Asynchronous like a real check, so `registering` is still sent first.
      setImmediate(() => {
        if (!stopped) onEvent({ state: 'failed', reason: WRONG_CREDENTIALS });
      });
      return {
        stop: async () => {
          stopped = true;
        },
      };
    }
    let first = true;
    return this.inner.start(subject, (event) => {
      if (first) {
        first = false;
        if (event.state === 'registered') this.limiter.success(aor, remoteAddress);
        else if (event.reason === WRONG_CREDENTIALS) this.limiter.failure(aor, remoteAddress);
      }
      onEvent(event);
    });
  }
}
