/**
 * `[Push]` + the push keys of `[General]` (`configuration.md` §3.1, `push.md`) → `PushConfig`, the
 * push layer's typed options. The `[Push]` keys are typed once, with their defaults, in the
 * configuration schema (`config/push.ts`); `pushOptions` checks the rules between keys and throws
 * `PushConfigError` when they contradict (start-up then fails with that message).
 */
import type { Config } from '../../config/index.js';
import { pushOptions, type PushConfig } from '../../push/config.js';

export function pushOptionsFromConfig(config: Pick<Config, 'Push' | 'General'>): PushConfig {
  const g = config.General;
  return pushOptions(config.Push, {
    sylk_push_url: g.sylk_push_url,
    http_management_interface: g.http_management_interface,
    http_management_auth_secret: g.http_management_auth_secret,
  });
}
