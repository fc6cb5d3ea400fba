/**
 * The types of a loaded configuration (`configuration.md`), inferred from the tables of `schema.ts`:
 * one typed section per fixed section, rooms and auth domains, and where each value came from.
 * Kept apart from the loader (`index.ts`) so the modules it re-exports need not import it.
 */
import type { SCHEMA, authDomainSection, roomSection, ConfigFileName } from './schema.js';
import type { FieldValue } from './values.js';

type Schema = typeof SCHEMA;
export type SectionValues<S> = { readonly [K in keyof S]: FieldValue<S[K]> };
type FileValues<F> = { readonly [S in keyof F]: SectionValues<F[S]> };

/** All fixed sections of the three files, by section name (names are unique across the files). */
export type ConfigSections = FileValues<Schema['config.ini']> & FileValues<Schema['webrtcgateway.ini']> & FileValues<Schema['auth.ini']>;

export type ServerConfig = ConfigSections['Server'];
export type SipConfig = ConfigSections['SIP'];
export type WebServerConfig = ConfigSections['WebServer'];
export type GeneralConfig = ConfigSections['General'];
export type CassandraConfig = ConfigSections['Cassandra'];
export type StorageConfig = ConfigSections['Storage'];
/** The typed `[Push]` section (the push layer's options are `PushConfig` of `src/push/config.ts`). */
export type PushSectionConfig = ConfigSections['Push'];
export type RoomConfig = SectionValues<typeof roomSection>;
export type AuthDomainConfig = SectionValues<typeof authDomainSection>;

/** Where one effective value came from. */
export interface ValueSource {
  readonly file: ConfigFileName;
  /** Absolute path of the file that set it, or `default`. */
  readonly origin: string;
  /** Line in that file. */
  readonly line?: number;
}

export interface ConfigWarning {
  /** Path of the file concerned. */
  readonly file: string;
  readonly section?: string;
  readonly key?: string;
  readonly line?: number;
  readonly message: string;
}

export interface ConfigMeta {
  readonly dirs: { readonly system: string | null; readonly user: string | null; readonly local: string | null };
  readonly varDir: string;
  readonly defaultIp: string;
  /** Every file read, in reading order. */
  readonly filesRead: readonly string[];
  /** `sources[section][key]` for every fixed section, room and auth domain. */
  readonly sources: Readonly<Record<string, Readonly<Record<string, ValueSource>>>>;
  readonly warnings: readonly ConfigWarning[];
}

export type Config = ConfigSections & {
  /** `[room@domain]` sections of webrtcgateway.ini, by section name. */
  readonly rooms: Readonly<Record<string, RoomConfig>>;
  /** `[<domain>]` sections of auth.ini, by domain. */
  readonly authDomains: Readonly<Record<string, AuthDomainConfig>>;
  readonly meta: ConfigMeta;
};
