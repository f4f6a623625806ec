import type { Migration } from 'kysely';
import * as initialSchema from './0001-initial-schema.js';
import * as narrativeEngine from './0002-narrative-engine.js';
import * as userChangeNotifications from './0003-user-change-notifications.js';
import * as apiKeyChangeNotifications from './0004-api-key-change-notifications.js';
import * as memoryNumbersInCommitOrder from './0005-memory-numbers-in-commit-order.js';
import * as generationLease from './0006-generation-lease.js';
import * as narrativeBuildKinds from './0007-narrative-build-kinds.js';
import * as memoryUpdates from './0008-memory-updates.js';
import * as memoryExpiry from './0009-memory-expiry.js';
import * as oauth from './0010-oauth.js';
import * as previousNarrative from './0011-previous-narrative.js';
import * as userKeyedConstraints from './0012-user-keyed-constraints.js';

/** Append-only: a migration that has shipped is never edited, only followed by a new one. */
export const migrations: Record<string, Migration> = {
  '0001-initial-schema': initialSchema,
  '0002-narrative-engine': narrativeEngine,
  '0003-user-change-notifications': userChangeNotifications,
  '0004-api-key-change-notifications': apiKeyChangeNotifications,
  '0005-memory-numbers-in-commit-order': memoryNumbersInCommitOrder,
  '0006-generation-lease': generationLease,
  '0007-narrative-build-kinds': narrativeBuildKinds,
  '0008-memory-updates': memoryUpdates,
  '0009-memory-expiry': memoryExpiry,
  '0010-oauth': oauth,
  '0011-previous-narrative': previousNarrative,
  '0012-user-keyed-constraints': userKeyedConstraints,
};
