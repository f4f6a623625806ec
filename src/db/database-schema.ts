import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json = ColumnType<Record<string, unknown>, Record<string, unknown>, Record<string, unknown>>;

export interface UsersTable {
  id: Generated<string>;
  external_id: string;
  display_name: string | null;
  created_at: DefaultedTimestamp;
  /** The last number handed out to the user's memories (bigint as a decimal string). */
  memory_seq: ColumnType<string, string | undefined, string>;
}

export interface MemoriesTable {
  id: Generated<string>;
  user_id: string;
  content: string;
  content_hash: string;
  metadata: Json;
  source: string;
  created_at: DefaultedTimestamp;
  deleted_at: Timestamp | null;
  /** When the memory's text or metadata was last corrected; null when never. */
  updated_at: Timestamp | null;
  /** From when the memory behaves as deleted; null when it never expires. */
  expires_at: Timestamp | null;
  search_vector: ColumnType<string, never, never>;
  /** The memory's number among its user's memories, in commit order (bigint as a decimal string). */
  seq: ColumnType<string, string, never>;
}

export interface UserNarrativesTable {
  id: Generated<string>;
  user_id: string;
  narrative_content: string;
  version: Generated<number>;
  generated_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
  provider: string;
  model: string;
  memory_count: number;
  newest_memory_at: Timestamp | null;
  source_memory_ids: ColumnType<string[], string[] | undefined, string[]>;
  generation_ms: number;
  invalidated_at: Timestamp | null;
  invalidated_reason: string | null;
  source_max_seq: ColumnType<string, string | undefined, string>;
  memories_added_since: ColumnType<number, number | undefined, number>;
  /** Built from the memories (`full`) or revised from the previous version with the memories added since. */
  build_kind: ColumnType<NarrativeBuildKind, NarrativeBuildKind | undefined, NarrativeBuildKind>;
  /** When the last full build was written: this version, or the one the revisions since started from. */
  last_full_build_at: Timestamp | null;
  /** Tokens the provider counted for this version's generation, when it reported them. */
  input_tokens: number | null;
  output_tokens: number | null;
  /** The earliest expiry among the memories this version stands on; past it, the version is outdated. */
  source_expires_at: Timestamp | null;
  /**
   * The version this one replaced, kept to show what changed: null when there was none, or once a
   * memory it was built from is deleted, corrected or expires.
   */
  previous_content: string | null;
  previous_version: number | null;
  previous_generated_at: Timestamp | null;
  previous_source_memory_ids: ColumnType<string[], string[] | undefined, string[]>;
  /** The last memory number the previous version saw (bigint as a decimal string). */
  previous_source_max_seq: ColumnType<string | null, string | null | undefined, string | null>;
  /** The earliest expiry among the previous version's memories: past it, its text is not shown. */
  previous_source_expires_at: Timestamp | null;
}

export type NarrativeBuildKind = 'full' | 'incremental';

export interface NarrativeGenerationStateTable {
  user_id: string;
  last_attempt_at: Timestamp | null;
  last_success_at: Timestamp | null;
  last_failure_at: Timestamp | null;
  last_failure_kind: string | null;
  last_failure_message: string | null;
  consecutive_failures: ColumnType<number, number | undefined, number>;
  manual_requests: ColumnType<Date[], Date[] | undefined, Date[]>;
  /** The holder of the lease on the user's generation (see `generation-lease.ts`), or null. */
  lease_token: string | null;
  lease_expires_at: Timestamp | null;
}

export interface ApiKeysTable {
  id: Generated<string>;
  user_id: string;
  name: string | null;
  key_prefix: string;
  key_hash: string;
  created_at: DefaultedTimestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

/**
 * A client registered with Dynamic Client Registration (`metadata` is what it registered, RFC 7591),
 * or one whose id is the URL of its metadata document (`metadata` is the copy fetched last).
 */
export interface OAuthClientsTable {
  client_id: string;
  /** SHA-256 of a confidential client's secret; null for a public client. */
  secret_hash: string | null;
  metadata: Json;
  /** When a metadata document's copy was fetched; null for a registered client. */
  metadata_fetched_at: Timestamp | null;
  created_at: DefaultedTimestamp;
}

/** A sign-in page shown and not yet answered: the authorization request it will answer. */
export interface OAuthPendingAuthorizationsTable {
  id_hash: string;
  csrf_hash: string;
  client_id: string;
  redirect_uri: string;
  code_challenge: string;
  state: string | null;
  resource: string;
  scopes: ColumnType<string[], string[] | undefined, string[]>;
  expires_at: Timestamp;
}

/** One user's consent to one client. */
export interface OAuthGrantsTable {
  id: Generated<string>;
  user_id: string;
  client_id: string;
  scopes: ColumnType<string[], string[] | undefined, string[]>;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface OAuthAuthorizationCodesTable {
  code_hash: string;
  user_id: string;
  grant_id: string;
  client_id: string;
  redirect_uri: string;
  code_challenge: string;
  resource: string;
  /** The family the tokens issued for this code belong to. */
  family_id: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

interface OAuthTokenColumns {
  token_hash: string;
  user_id: string;
  grant_id: string;
  family_id: string;
  /** The resource (RFC 8707) the token was issued for. */
  resource: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
}

export interface OAuthRefreshTokensTable extends OAuthTokenColumns {
  /** When it was exchanged for its successor; a rotated token presented again is a replay. */
  rotated_at: Timestamp | null;
}

export type OAuthAccessTokensTable = OAuthTokenColumns;

export interface DatabaseSchema {
  users: UsersTable;
  memories: MemoriesTable;
  user_narratives: UserNarrativesTable;
  api_keys: ApiKeysTable;
  narrative_generation_state: NarrativeGenerationStateTable;
  oauth_clients: OAuthClientsTable;
  oauth_pending_authorizations: OAuthPendingAuthorizationsTable;
  oauth_grants: OAuthGrantsTable;
  oauth_authorization_codes: OAuthAuthorizationCodesTable;
  oauth_refresh_tokens: OAuthRefreshTokensTable;
  oauth_access_tokens: OAuthAccessTokensTable;
}

export type UserRow = Selectable<UsersTable>;
export type MemoryRow = Omit<Selectable<MemoriesTable>, 'search_vector' | 'content_hash' | 'seq'>;
export type NewMemoryRow = Insertable<MemoriesTable>;
/** The version being served; the previous version's columns are read only to show what changed. */
export type NarrativeRow = Omit<Selectable<UserNarrativesTable>, `previous_${string}`>;
/** The version a narrative replaced, as kept beside it. */
export type PreviousNarrativeRow = Pick<Selectable<UserNarrativesTable>, Extract<keyof UserNarrativesTable, `previous_${string}`>>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type GenerationStateRow = Selectable<NarrativeGenerationStateTable>;
