/**
 * The messaging layer's options from the configuration (composition root): `[SIP] local_ip`,
 * `local_tcp_port`; `[General] local_sip_messages`, `outbound_sip_proxy`, `file_transfer_dir`,
 * `filetransfer_expire_days`; `[Server] default_application`, `application_map`.
 */
import type { Config } from '../../config/index.js';
import type { MessagingOptions } from '../../messaging/index.js';

/**
 * `boundTcpPort`: the port the SIP stack's TCP listener actually bound (`SipStack.ports().tcp`), so
 * that `local_tcp_port = 0` (an ephemeral port) still sends `local_sip_messages` to the right place.
 */
export function messagingOptionsFromConfig(config: Pick<Config, 'Server' | 'SIP' | 'General'>, boundTcpPort?: () => number | undefined): MessagingOptions {
  const configured = config.SIP.local_tcp_port;
  return {
    localIp: config.SIP.local_ip,
    localTcpPort: () => (configured === null ? null : (boundTcpPort?.() ?? configured)),
    localSipMessages: config.General.local_sip_messages,
    outboundProxy: config.General.outbound_sip_proxy,
    fileTransferDir: config.General.file_transfer_dir,
    fileTransferExpireDays: config.General.filetransfer_expire_days,
    defaultApplication: config.Server.default_application,
    applicationMap: config.Server.application_map,
  };
}
