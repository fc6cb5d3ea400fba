/**
 * Keep-alives that are not SIP messages (`standalone.md` §3 "CRLF keep-alives are answered"; RFC 5626
 * §3.5.1, §4.4.1, §5.4; RFC 5389 §7.3, §15.2): what the transport answers to a datagram or a
 * WebSocket frame that is a keep-alive instead of a message. Stream transports (TCP, TLS) are framed
 * by `framer.ts`, which reports the same ping.
 *
 * - A double CRLF ping is answered with a single CRLF pong (RFC 5626 §4.4.1 on connection-oriented
 *   transports; a SIP-over-WebSocket frame is one, as clients of RFC 7118 send it; over UDP clients
 *   send it too, and the pong tells them the flow is alive).
 * - A bare CRLF (a pong, padding) is ignored.
 * - Over UDP, RFC 5626's keep-alive is a STUN Binding request (§4.4.1, the edge proxy answers it,
 *   §5.4): answered with a Binding success response carrying XOR-MAPPED-ADDRESS, the source the
 *   request came from (RFC 5389 §15.2).
 *
 * `keepAliveAnswer` returns the bytes to send back, `null` when the input is a keep-alive that needs
 * no answer, or `undefined` when it is not a keep-alive (a SIP message to parse).
 */
import { ipAddressBytes } from '../../util/ip-bytes.js';

const CRLF = Buffer.from('\r\n');
const PING = Buffer.from('\r\n\r\n');
/** RFC 5389 §6: the magic cookie of every STUN message. */
const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const XOR_MAPPED_ADDRESS = 0x0020;
const STUN_HEADER = 20;

function onlyCrlf(data: Buffer): boolean {
  for (const b of data) if (b !== 13 && b !== 10) return false;
  return true;
}

/** A keep-alive frame (of at most 4 bytes of CR/LF) → its answer; see the module comment. */
export function crlfKeepAliveAnswer(data: Buffer): Buffer | null | undefined {
  if (data.length > 4 || !onlyCrlf(data)) return undefined;
  return data.equals(PING) ? CRLF : null;
}

/** Is `msg` a STUN Binding request (RFC 5389 §6: two zero bits, the cookie, a whole length)? */
function isStunBindingRequest(msg: Buffer): boolean {
  return (
    msg.length >= STUN_HEADER &&
    msg.readUInt16BE(0) === BINDING_REQUEST &&
    msg.readUInt32BE(4) === MAGIC_COOKIE &&
    msg.readUInt16BE(2) === msg.length - STUN_HEADER &&
    msg.readUInt16BE(2) % 4 === 0
  );
}

/** The Binding success response to `request` for a client at `address:port` (RFC 5389 §7.3.1, §15.2). */
function stunBindingSuccess(request: Buffer, address: string, port: number): Buffer | null {
  // An IPv4-mapped IPv6 source (a dual-stack socket) is the IPv4 client it maps; a scope id is not part of the address.
  const mapped = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '').replace(/%.*$/, '');
  const addrBytes = ipAddressBytes(mapped);
  if (!addrBytes) return null;
  const v4 = addrBytes.length === 4;
  const attr = Buffer.alloc(4 + 4 + addrBytes.length);
  attr.writeUInt16BE(XOR_MAPPED_ADDRESS, 0);
  attr.writeUInt16BE(4 + addrBytes.length, 2);
  attr.writeUInt8(0, 4);
  attr.writeUInt8(v4 ? 0x01 : 0x02, 5);
  attr.writeUInt16BE(port ^ (MAGIC_COOKIE >>> 16), 6);
  // X-Address: XOR with the cookie (IPv4), with the cookie and the transaction id (IPv6).
  const mask = request.subarray(4, STUN_HEADER);
  for (let i = 0; i < addrBytes.length; i++) attr[8 + i] = addrBytes[i]! ^ mask[i]!;
  const header = Buffer.alloc(STUN_HEADER);
  header.writeUInt16BE(BINDING_SUCCESS, 0);
  header.writeUInt16BE(attr.length, 2);
  request.copy(header, 4, 4, STUN_HEADER); // the cookie and the transaction id
  return Buffer.concat([header, attr]);
}

/** A UDP datagram from `address:port` → its answer; see the module comment. */
export function udpKeepAliveAnswer(msg: Buffer, address: string, port: number): Buffer | null | undefined {
  if (msg.length === 0) return null;
  // A SIP message starts with a letter; a STUN message with two zero bits (RFC 5389 §6, RFC 5626 §5.4).
  if (msg[0]! < 2) return isStunBindingRequest(msg) ? stunBindingSuccess(msg, address, port) : null;
  return crlfKeepAliveAnswer(msg);
}
