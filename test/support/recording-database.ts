import { PostgresQueryCompiler, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely';
import type { DatabaseHandle } from '../../src/db/open-database.js';

/** A statement as the database received it. */
export interface RecordedStatement {
  sql: string;
  parameters: readonly unknown[];
}

/** Compiles every query it sees and keeps its SQL and parameters, changing nothing. */
class RecordingPlugin implements KyselyPlugin {
  readonly statements: RecordedStatement[] = [];
  readonly #compiler = new PostgresQueryCompiler();

  transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
    const compiled = this.#compiler.compileQuery(node, queryId);
    this.statements.push({ sql: compiled.sql, parameters: compiled.parameters });
    return node;
  }

  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result;
  }
}

/** The handle, its queries recorded as Kysely compiles them (what its log hook would print). */
export function recordingDatabase(handle: DatabaseHandle): { handle: DatabaseHandle; statements: RecordedStatement[] } {
  const plugin = new RecordingPlugin();
  return { handle: { ...handle, db: handle.db.withPlugin(plugin), close: () => handle.close() }, statements: plugin.statements };
}
