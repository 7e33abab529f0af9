// Runs SQL as the caller: one transaction with the same settings PostGraphile
// applies to a GraphQL request (SET LOCAL role, jwt.claims.*, the statement
// timeout), so the REST routes hit exactly the same grants and policies.
import { withTransaction, type Pool, type PoolClient } from '../db/pool.ts';

export async function asCaller<T>(pool: Pool, pgSettings: Record<string, string>, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  return withTransaction(pool, async (client) => {
    await client.query('select set_config(s.key, s.value, true) from json_each_text($1::json) as s', [JSON.stringify(pgSettings)]);
    return fn(client);
  });
}

/** SQLSTATEs whose message is meant for the caller (bad input, missing rows, permissions, timeouts). */
export function isCallerFacingPgError(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^(22|23|P0001|P0002|42501|57014|40001|40P01)/.test(code);
}
