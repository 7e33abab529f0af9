// The PostGraphile v5 preset: Amber, connection filters, aggregates and
// simplified names over schema `app` only. Raw table CRUD is switched off
// (defaultBehavior); every write is one of the functions in sqitch change
// api_functions (or the shared queue functions), plus the two fields added
// here: testJobReview (runs the reviewer in this process) and the
// jobStatusChanged subscription (LISTEN on job_review:status[:<id>]).
import './graphile-env.ts';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PgAggregatesPreset } from '@graphile/pg-aggregates';
import { PgSimplifyInflectionPreset } from '@graphile/simplify-inflection';
import { PostGraphileConnectionFilterPreset } from 'postgraphile-plugin-connection-filter';
import { makePgService } from 'postgraphile/adaptors/pg';
import { jsonParse } from 'postgraphile/@dataplan/json';
import { sideEffectWithPgClient, type PgExecutor, type PgResource } from 'postgraphile/@dataplan/pg';
import { context, isSafeError, lambda, listen, SafeError, sideEffect, type FieldArgs, type Step } from 'postgraphile/grafast';
import {
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'postgraphile/graphql';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { extendSchema, gql, jsonPgSmartTags } from 'postgraphile/utils';
import type { Config } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../log.ts';
import type { Variant } from '../review/variants.ts';
import { bearerToken, pgSettingsFor, verifyToken, type Claims } from './auth.ts';
import { isCallerFacingPgError } from './caller.ts';
import { loadPostingForTest, reviewNow } from './test-review.ts';

/** The NOTIFY channel of one posting's status changes, or of all of them. */
export const statusChannel = (jobId?: string | null) => (jobId ? `job_review:status:${jobId}` : 'job_review:status');

export interface PresetDeps {
  pool: Pool;
  config: Config;
  log: Logger;
  /** The reviewer variants, for "test one posting now". */
  variants: Variant[];
  jwtSecret: string;
  /** Claims the HTTP gate verified, per request. */
  httpClaims: WeakMap<IncomingMessage, Claims>;
}

// ---------------------------------------------------------------- hardening

/**
 * Refuses operations whose selections nest deeper than maxDepth fields
 * (introspection fields excepted). A fragment's depth is computed once: a
 * walk per spread would be exponential in fragments that spread the next
 * one twice (30 of them, about 1 KB, kept the server busy for hours).
 */
export function depthLimitRule(maxDepth: number): ValidationRule {
  return (ctx) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of ctx.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    const perFragment = new Map<string, number>();
    const depthOf = (set: SelectionSetNode | undefined): number => {
      if (!set) return 0;
      let max = 0;
      for (const sel of set.selections) {
        let d = 0;
        if (sel.kind === Kind.FIELD) {
          if (sel.name.value.startsWith('__')) continue;
          d = 1 + depthOf(sel.selectionSet);
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          d = depthOf(sel.selectionSet);
        } else {
          const name = sel.name.value;
          if (!perFragment.has(name)) {
            perFragment.set(name, 0); // a cycle (refused by another rule) adds nothing
            const fragment = fragments.get(name);
            perFragment.set(name, fragment ? depthOf(fragment.selectionSet) : 0);
          }
          d = perFragment.get(name)!;
        }
        if (d > max) max = d;
      }
      return max;
    };
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet);
        if (depth > maxDepth) {
          ctx.reportError(new GraphQLError(`Query is too deep: depth ${depth} exceeds the limit of ${maxDepth} (API_MAX_DEPTH)`, { nodes: [node] }));
        }
      },
    };
  };
}

/** Most aliased fields one GraphQL operation may select (a fragment counts once per spread). */
export const MAX_ALIASES = 100;

/**
 * Refuses operations with more than maxAliases aliases: each alias runs its
 * field again, so 1,000 aliases of a list turn a small request into 1,000
 * queries and a response hundreds of times larger.
 */
export function aliasLimitRule(maxAliases: number): ValidationRule {
  return (ctx) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of ctx.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    // Per fragment, computed once (a fragment spread many times, or spreading
    // others many times, is counted in full without being walked again).
    const perFragment = new Map<string, number>();
    const countIn = (set: SelectionSetNode | undefined): number => {
      if (!set) return 0;
      let n = 0;
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) n += (sel.alias ? 1 : 0) + countIn(sel.selectionSet);
        else if (sel.kind === Kind.INLINE_FRAGMENT) n += countIn(sel.selectionSet);
        else {
          const name = sel.name.value;
          if (!perFragment.has(name)) {
            perFragment.set(name, 0); // a cycle (refused by another rule) counts nothing
            const fragment = fragments.get(name);
            perFragment.set(name, fragment ? countIn(fragment.selectionSet) : 0);
          }
          n += perFragment.get(name)!;
        }
      }
      return n;
    };
    return {
      OperationDefinition(node) {
        const n = countIn(node.selectionSet);
        if (n > maxAliases) {
          ctx.reportError(new GraphQLError(`Query has too many aliases: ${n} exceeds the limit of ${maxAliases}`, { nodes: [node] }));
        }
      },
    };
  };
}

/** Deepest nesting of {, [ and ( accepted in a GraphQL document; checked before it is parsed. */
export const MAX_NESTING = 256;

/**
 * How deeply {, [ and ( nest in a GraphQL document (strings and comments
 * skipped), stopping once it exceeds `stopAbove`. The parser recurses per
 * level, so a document nested thousands deep would overflow its stack
 * before the depth rule could see it.
 */
export function bracketNesting(source: string, stopAbove = Infinity): number {
  let depth = 0;
  let max = 0;
  const n = source.length;
  for (let i = 0; i < n; i++) {
    const c = source.charCodeAt(i);
    if (c === 0x23 /* # */) {
      while (i < n && source.charCodeAt(i) !== 0x0a && source.charCodeAt(i) !== 0x0d) i++;
    } else if (c === 0x22 /* " */) {
      if (source.startsWith('"""', i)) {
        i += 3;
        while (i < n && !source.startsWith('"""', i)) i += source.startsWith('\\"""', i) ? 4 : 1;
        i += 2;
      } else {
        i++;
        while (i < n && source.charCodeAt(i) !== 0x22 && source.charCodeAt(i) !== 0x0a) i += source.charCodeAt(i) === 0x5c ? 2 : 1;
      }
    } else if (c === 0x7b || c === 0x5b || c === 0x28) {
      if (++depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === 0x7d || c === 0x5d || c === 0x29) {
      depth--;
    }
  }
  return max;
}

/**
 * Production errors: validation errors, SafeErrors and the database's
 * caller-facing errors (bad input, not found, permission denied, timeout)
 * keep their message; anything else becomes "An unexpected error occurred"
 * with a reference id that is logged with the real error.
 */
export function makeMaskError(log: Logger, development: boolean) {
  return (error: GraphQLError): GraphQLError => {
    const original = error.originalError;
    if (!original || original instanceof GraphQLError) return error;
    const keep = (message: string, extensions: Record<string, unknown> | undefined) =>
      new GraphQLError(message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, originalError: original, extensions });
    if (isSafeError(original)) return keep(original.message, original.extensions ?? undefined);
    if (isCallerFacingPgError(original)) return keep(original.message, { code: original.code });
    const errorId = randomUUID();
    log.error({ errorId, err: original, path: error.path }, 'GraphQL request failed');
    if (development) return keep(original.message, { errorId });
    return keep(`An unexpected error occurred (reference ${errorId})`, { errorId });
  };
}

function hardeningPlugin(config: Config): GraphileConfig.Plugin {
  return {
    name: 'JobReviewHardeningPlugin',
    version: '1.0.0',
    description: 'Nesting, depth and alias limits, and no introspection outside development unless API_GRAPHIQL=true',
    grafserv: {
      middleware: {
        setPreset(next, event) {
          event.validationRules.push(depthLimitRule(config.api.maxDepth), aliasLimitRule(MAX_ALIASES));
          if (!config.api.graphiql) event.validationRules.push(NoSchemaIntrospectionCustomRule);
          return next();
        },
        // Before the document is parsed (HTTP and graphql-ws alike).
        processGraphQLRequestBody(next, event) {
          const query = event.body.query;
          if (typeof query === 'string' && bracketNesting(query, MAX_NESTING) > MAX_NESTING) {
            throw new SafeError(
              `Query is nested too deeply: more than ${MAX_NESTING} levels of {, [ or ( (fields may nest ${config.api.maxDepth} deep, API_MAX_DEPTH)`,
              { statusCode: 400 },
            );
          }
          return next();
        },
      },
    },
  };
}

// ---------------------------------------------------------------- schema additions

function jobReviewPlugin(deps: PresetDeps): GraphileConfig.Plugin {
  return extendSchema((build) => {
    const executor = build.input.pgRegistry.pgExecutors.main as PgExecutor;
    const jobs = build.input.pgRegistry.pgResources.jobs as PgResource;
    return {
      typeDefs: gql`
        """
        One posting reviewed now, outside the queue, with the configured provider
        and the stored career brand. Nothing is stored: that stays the worker's job.
        """
        type JobReviewTestResult {
          jobId: UUID!
          recommend: Boolean!
          confidence: String!
          rationale: String!
          overallAlignmentScore: Float
          tldrSummary: String!
          reviewer: String!
          modelUsed: String
          providerCalled: Boolean!
          processingTimeMs: Int!
          "Always false: a test review is returned, never stored."
          stored: Boolean!
          "The whole review output (final, pre_filter, dimensions, personas, tradeoffs, actions, sources)."
          output: JSON!
        }

        input TestJobReviewInput {
          jobId: UUID!
        }

        type TestJobReviewPayload {
          result: JobReviewTestResult!
        }

        """
        A posting's status changed (announced when its transaction committed).
        """
        type JobStatusChange {
          jobId: UUID!
          status: String!
          previousStatus: String
          updatedAt: Datetime
          "The posting as it is now."
          job: Job
        }

        extend type Mutation {
          "Reviews one posting now and returns the result without queueing or storing it (operators only)."
          testJobReview(input: TestJobReviewInput!): TestJobReviewPayload
        }

        extend type Subscription {
          "Status changes of one posting (jobId), or of every posting when jobId is omitted."
          jobStatusChanged(jobId: UUID): JobStatusChange
        }
      `,
      plans: {
        Mutation: {
          testJobReview(_$root: unknown, fieldArgs: FieldArgs) {
            const $jobId = fieldArgs.getRaw(['input', 'jobId']) as Step<string>;
            // As the caller's role: the EXECUTE grant on posting_for_test is the check.
            const $row = sideEffectWithPgClient(executor, $jobId, async (client, jobId) => {
              const row = await loadPostingForTest(async (text, values) => client.query({ text, values }) as never, jobId);
              if (row === null) throw new SafeError(`no posting has id ${jobId}`, { code: 'NOT_FOUND' });
              return row;
            });
            // Outside any transaction: an LLM call can take a while.
            const $result = sideEffect($row, async (row) => {
              const r = await reviewNow(deps, row);
              return {
                jobId: r.jobId,
                recommend: r.output.final.recommend,
                confidence: r.output.final.confidence,
                rationale: r.output.final.rationale,
                overallAlignmentScore: r.output.overall_alignment_score,
                tldrSummary: r.output.tldr_summary,
                reviewer: r.reviewer,
                modelUsed: r.model,
                providerCalled: r.providerCalled,
                processingTimeMs: r.processingTimeMs,
                stored: r.stored,
                output: r.output,
              };
            });
            return lambda($result, (result) => ({ result }));
          },
        },
        Subscription: {
          jobStatusChanged: {
            subscribePlan(_$root: unknown, fieldArgs: FieldArgs) {
              const $jobId = fieldArgs.getRaw('jobId') as Step<string | null>;
              const $topic = lambda($jobId, (jobId) => statusChannel(jobId));
              const $pgSubscriber = context().get('pgSubscriber');
              return listen($pgSubscriber as never, $topic as never, jsonParse);
            },
            plan($event) {
              return $event;
            },
          },
        },
        JobStatusChange: {
          jobId($event: any) {
            return $event.get('job_id');
          },
          status($event: any) {
            return $event.get('status');
          },
          previousStatus($event: any) {
            return $event.get('previous_status');
          },
          updatedAt($event: any) {
            return $event.get('updated_at');
          },
          job($event: any) {
            return jobs.get({ id: $event.get('job_id') });
          },
        },
      },
    };
  }, 'JobReviewApiPlugin');
}

// ---------------------------------------------------------------- smart tags

// PostGraphile v5 filters and orders only by indexed columns unless told
// otherwise; these are the other columns people filter and sort postings
// and reviews by (small tables: a job seeker's pipeline). And a readable name
// for the duplicate_of relation.
const sortable = { tags: { behavior: ['+filterBy', '+orderBy'] } };
const smartTags = jsonPgSmartTags(
  {
    version: 1,
    config: {
      class: {
        'app.jobs': {
          attribute: {
            title: sortable,
            is_remote: sortable,
            ingested_at: sortable,
            updated_at: sortable,
            priority: sortable,
            job_type: sortable,
            location_country: sortable,
            max_amount: sortable,
            // The graphile-worker queue entry id of a claim: internal.
            claim_queue_id: { tags: { behavior: ['-*'] } },
          },
          constraint: {
            jobs_duplicate_of_fkey: { tags: { fieldName: 'original' } },
          },
        },
        'app.job_reviews': {
          attribute: {
            recommend: sortable,
            final_recommend: sortable,
            override_recommend: sortable,
            confidence: sortable,
            created_at: sortable,
          },
        },
      },
    },
  },
  null,
  { name: 'JobReviewSmartTagsPlugin' },
);

// ---------------------------------------------------------------- the preset

interface WsRequestContext {
  normalizedConnectionParams?: Record<string, string | string[]>;
  request?: IncomingMessage;
}

/** Claims for a GraphQL operation: verified by the HTTP gate, or from graphql-ws connectionParams. */
async function claimsFor(deps: PresetDeps, requestContext: Partial<Grafast.RequestContext>): Promise<Claims> {
  const rc = requestContext as { node?: { req?: IncomingMessage }; ws?: WsRequestContext };
  const req = rc.node?.req;
  if (req) {
    const claims = deps.httpClaims.get(req);
    if (claims) return claims;
    throw new SafeError('unauthorized: a bearer token is required', { statusCode: 401 });
  }
  if (rc.ws) {
    const header = rc.ws.normalizedConnectionParams?.authorization ?? rc.ws.request?.headers.authorization;
    const result = await verifyToken(bearerToken(header), deps.jwtSecret);
    if (result.ok) return result.claims;
    throw new SafeError(`${result.error}: ${result.reason}`, { statusCode: result.status });
  }
  throw new SafeError('unauthorized: a bearer token is required', { statusCode: 401 });
}

export function makePreset(deps: PresetDeps): GraphileConfig.Preset {
  const { config, log } = deps;
  return {
    extends: [PostGraphileAmberPreset, PostGraphileConnectionFilterPreset, PgAggregatesPreset, PgSimplifyInflectionPreset],
    plugins: [smartTags, jobReviewPlugin(deps), hardeningPlugin(config)],
    // The schema must not depend on who introspects it (superuser or owner).
    disablePlugins: ['PgRBACPlugin'],
    pgServices: [makePgService({ pool: deps.pool, schemas: ['app'], pubsub: true })],
    gather: { pgStrictFunctions: true },
    schema: {
      // No raw create/update/delete mutations on any table: writes are functions.
      defaultBehavior: '-insert -update -delete',
      connectionFilterRelations: true,
      connectionFilterAllowNullInput: false,
      connectionFilterAllowEmptyObjectInput: false,
    },
    grafast: {
      explain: false,
      async context(requestContext) {
        const claims = await claimsFor(deps, requestContext);
        return { pgSettings: pgSettingsFor(claims, config.api.statementTimeoutMs) };
      },
    },
    grafserv: {
      graphqlPath: '/graphql',
      eventStreamPath: '/graphql/stream',
      graphiql: config.api.graphiql,
      graphiqlPath: '/graphiql',
      graphiqlOnGraphQLGET: false,
      graphqlOverGET: false,
      websockets: true,
      maxRequestLength: config.api.bodyLimitBytes,
      maskError: makeMaskError(log, config.development),
    },
  };
}
