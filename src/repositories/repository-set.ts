import type { Kysely } from 'kysely';
import type { Clock } from '../clock/clock.js';
import type { DatabaseSchema } from '../db/database-schema.js';
import type { DerivedCommits } from './asynchronous-commit.js';
import { ApiKeyRepository } from './api-key-repository.js';
import { GenerationStateRepository } from './generation-state-repository.js';
import { HealthRepository } from './health-repository.js';
import { MemoryRepository } from './memory-repository.js';
import { NarrativeRepository } from './narrative-repository.js';
import { OAuthClientRepository } from './oauth-client-repository.js';
import { OAuthGrantRepository } from './oauth-grant-repository.js';
import { UserRepository } from './user-repository.js';

/**
 * Every repository over one database handle or one transaction. The times they stamp (a memory's
 * creation and deletion, a key's revocation and last use) come from `clock`, the clock the engine
 * judges freshness and expiry on, never from the database's or the process's own. A user's and a
 * key's `created_at` keep the column default, the database's `now()`: they are only shown and
 * order listings, and nothing judges them against the clock.
 */
export class RepositorySet {
  readonly users: UserRepository;
  readonly memories: MemoryRepository;
  readonly narratives: NarrativeRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly generationState: GenerationStateRepository;
  readonly health: HealthRepository;
  readonly oauthClients: OAuthClientRepository;
  readonly oauthGrants: OAuthGrantRepository;

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
    private readonly commits: DerivedCommits = { withoutDiskWait: false },
  ) {
    this.users = new UserRepository(db, clock, commits);
    this.memories = new MemoryRepository(db, clock);
    this.narratives = new NarrativeRepository(db);
    this.apiKeys = new ApiKeyRepository(db, clock);
    this.generationState = new GenerationStateRepository(db, commits);
    this.health = new HealthRepository(db);
    this.oauthClients = new OAuthClientRepository(db);
    this.oauthGrants = new OAuthGrantRepository(db, clock);
  }

  /** Runs `work` in one transaction (or in the enclosing one) with repositories bound to it. */
  transaction<T>(work: (repositories: RepositorySet) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return work(this);
    return this.db.transaction().execute((trx) => work(new RepositorySet(trx, this.clock, this.commits)));
  }
}
