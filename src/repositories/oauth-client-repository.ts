import type { Kysely, Selectable } from 'kysely';
import type { DatabaseSchema, OAuthClientsTable } from '../db/database-schema.js';

export interface OAuthClientRecord {
  clientId: string;
  /** SHA-256 of a confidential client's secret; null for a public client. */
  secretHash: string | null;
  /** The client's registered metadata (RFC 7591): `redirect_uris`, `client_name`, … */
  metadata: Record<string, unknown>;
  /** When the client's metadata document was fetched; null for a registered client. */
  metadataFetchedAt: Date | null;
  createdAt: Date;
}

/** OAuth clients: registered through Dynamic Client Registration (RFC 7591), or known by their metadata documents. */
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

  /** Keeps the copy of a metadata document just fetched, as the client with that URL as its id. */
  async keepFetched(clientId: string, metadata: Record<string, unknown>, fetchedAt: Date): Promise<OAuthClientRecord> {
    const row = await this.db
      .insertInto('oauth_clients')
      .values({ client_id: clientId, secret_hash: null, metadata, metadata_fetched_at: fetchedAt })
      .onConflict((conflict) => conflict.column('client_id').doUpdateSet({ metadata, metadata_fetched_at: fetchedAt }))
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  async find(clientId: string): Promise<OAuthClientRecord | undefined> {
    const row = await this.db.selectFrom('oauth_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    return row && toRecord(row);
  }
}

function toRecord(row: Selectable<OAuthClientsTable>): OAuthClientRecord {
  return { clientId: row.client_id, secretHash: row.secret_hash, metadata: row.metadata, metadataFetchedAt: row.metadata_fetched_at, createdAt: row.created_at };
}
