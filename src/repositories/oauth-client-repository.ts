import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../db/database-schema.js';

export interface OAuthClientRecord {
  clientId: string;
  /** SHA-256 of a confidential client's secret; null for a public client. */
  secretHash: string | null;
  /** The client's registered metadata (RFC 7591): `redirect_uris`, `client_name`, … */
  metadata: Record<string, unknown>;
  createdAt: Date;
}

/** OAuth clients registered through Dynamic Client Registration (RFC 7591). */
export class OAuthClientRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  async register(client: { clientId: string; secretHash: string | null; metadata: Record<string, unknown> }): Promise<OAuthClientRecord> {
    const row = await this.db
      .insertInto('oauth_clients')
      .values({ client_id: client.clientId, secret_hash: client.secretHash, metadata: client.metadata })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  async find(clientId: string): Promise<OAuthClientRecord | undefined> {
    const row = await this.db.selectFrom('oauth_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    return row && toRecord(row);
  }
}

function toRecord(row: { client_id: string; secret_hash: string | null; metadata: Record<string, unknown>; created_at: Date }): OAuthClientRecord {
  return { clientId: row.client_id, secretHash: row.secret_hash, metadata: row.metadata, createdAt: row.created_at };
}
