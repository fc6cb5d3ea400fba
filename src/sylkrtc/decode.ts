/**
 * The first step of every frame (`sylkrtc-websocket.md` §1.11–§1.12): JSON → envelope → named request
 * → validated, typed request. Nothing reaches a handler unless its module's schema accepted it.
 *
 * Validation rules of §1.12: unknown extra keys are ignored (stripped); types are strict (integers
 * reject booleans, which the original accepted — allowed by the spec); optional means absent or
 * null. Error texts follow Appendix A (`errors.ts`); clients never parse them.
 */
import { Errors, formatIssue } from './errors.js';
import { requestModule, type AnyRequest } from './requests/index.js';

/** Call and conference requests (§12): recognised, always answered with an error. */
const CALL_REQUESTS = new Set([
  'session-create',
  'session-answer',
  'session-trickle',
  'session-update',
  'session-terminate',
  'session-message',
  'session-dtmf-info',
]);

function isCallRequest(name: string): boolean {
  return CALL_REQUESTS.has(name) || name.startsWith('session-');
}
function isConferenceRequest(name: string): boolean {
  return name.startsWith('videoroom-');
}

export type DecodeResult =
  | { ok: true; request: AnyRequest }
  /** `transaction` is set when the frame carried a string one (the error can be matched). */
  | { ok: false; error: string; transaction?: string };

const MAX_NAME_ECHO = 64;

/**
 * Decode one text frame (§1.11). Recommended behaviour throughout: every malformed input gets an
 * `error`, with the `transaction` when the frame carried a string one, else without (clients ignore
 * those; a developer sees why). The original stays silent for non-JSON, non-objects, a missing
 * `sylkrtc` or `transaction`, unknown names, and crashes on a non-string `transaction`.
 */
export function decodeFrame(text: string): DecodeResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: Errors.notJson };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: Errors.notObject };
  const obj = value as Record<string, unknown>;
  const tx = typeof obj.transaction === 'string' ? obj.transaction : undefined;
  const withTx = (error: string): DecodeResult => (tx === undefined ? { ok: false, error } : { ok: false, error, transaction: tx });
  const kind = obj.sylkrtc;
  if (typeof kind !== 'string') return withTx(Errors.noKind);
  if (isCallRequest(kind)) return withTx(Errors.calls);
  if (isConferenceRequest(kind)) return withTx(Errors.conferences);
  const module = requestModule(kind);
  if (module === undefined) {
    const shown = kind.length > MAX_NAME_ECHO ? `${kind.slice(0, MAX_NAME_ECHO)}...` : kind;
    return withTx(Errors.unknownRequest(shown));
  }
  const parsed = module.schema.safeParse(obj, { reportInput: true });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return withTx(issue ? formatIssue(issue, module.className) : Errors.internal);
  }
  return { ok: true, request: parsed.data };
}
