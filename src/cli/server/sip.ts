/**
 * `[SIP]` / `[Server]` / `[General]` configuration → `SipStackOptions` (src/sip/stack.ts). The SIP
 * layer knows nothing of the configuration files and the configuration nothing of SIP, so the mapping
 * lives here in the composition root.
 */
import { enabledSipTransports, formatNetworkEntry, formatProxyAddress, type Config } from '../../config/index.js';
import type { SipStackOptions } from '../../sip/stack.js';
import { isStandalone } from './standalone-sip.js';

export function sipStackOptionsFromConfig(config: Config, version: string): SipStackOptions {
  const sip = config.SIP;
  const transports = enabledSipTransports(config);
  const options: SipStackOptions = {
    host: sip.local_ip,
    // SylkServer's own User-Agent/Server header form.
    userAgent: `SylkServer-${version}`,
    // An empty list means nobody is trusted; the stack reads an empty list as `any`, so say `none`.
    trustedPeers: sip.trusted_peers.length === 0 ? ['none'] : sip.trusted_peers.map(formatNetworkEntry),
    limits: { maxStreamMessageBytes: sip.max_message_size, maxBodyBytes: sip.max_body_size },
    maxConnections: sip.max_connections,
    idleTimeoutMs: sip.tcp_idle_timeout * 1000,
    connectionAdmission: {
      reservedForTrusted: sip.trusted_reserved_connections,
      maxPerAddress: sip.max_connections_per_address,
      untrustedIdleTimeoutMs: sip.untrusted_idle_timeout * 1000,
    },
    stopTimeoutMs: sip.stop_timeout * 1000,
    maxPendingRequests: sip.max_pending_requests,
    maxLoopLagMs: sip.max_loop_lag,
    maxUdpQueueBytes: sip.max_udp_queue,
    overloadRetryAfterSec: sip.overload_retry_after,
    udpReceiveBufferBytes: sip.udp_receive_buffer,
    udpSendBufferBytes: sip.udp_send_buffer,
  };
  if (transports.includes('udp')) options.udpPort = sip.local_udp_port ?? undefined;
  if (transports.includes('tcp')) options.tcpPort = sip.local_tcp_port ?? undefined;
  if (transports.includes('tls')) {
    options.tlsPort = sip.local_tls_port ?? undefined;
    const cert = config.Server.certificate!;
    options.tls = { certFile: cert, keyFile: cert, caFile: config.Server.ca_file ?? undefined, verifyServer: config.Server.verify_server };
  }
  if (sip.local_ws_port !== null) options.ws = { port: sip.local_ws_port, path: '/sip' };
  // The messaging code sends every MESSAGE it originates via [General] outbound_sip_proxy
  // ([SIP] outbound_proxy is for calls only, configuration.md §2.2).
  if (config.General.outbound_sip_proxy) options.outboundProxy = formatProxyAddress(config.General.outbound_sip_proxy);
  if (isStandalone(config)) {
    // standalone.md §3: devices register and send from anywhere; they are authenticated by digest.
    options.trustedPeers = 'any';
    options.applicationMethods = ['MESSAGE', 'REGISTER'];
  }
  return options;
}
