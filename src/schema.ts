import type { GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema, type NonEmptyArray } from 'type-graphql';
import { AlertsResolver } from './alerts/alerts.resolver';
import { AuditResolver } from './audit/audit.resolver';
import { AuthResolver } from './auth/auth.resolver';
import { PasswordResolver } from './auth/password/password.resolver';
import { TwoFactorResolver } from './auth/two-factor/two-factor.resolver';
import { validateInput } from './common/validation';
import { SessionResolver } from './sessions/session.resolver';
import { AdminResolver } from './admin/admin.resolver';

const RESOLVERS: NonEmptyArray<Function> = [AuthResolver, SessionResolver, PasswordResolver, TwoFactorResolver, AlertsResolver, AuditResolver, AdminResolver];

/** Resolver instances by class: the composition root builds them with their services. */
export type ResolverInstances = Map<Function, object>;

/**
 * type-graphql insists on a PubSub as soon as a schema has subscriptions, even when every
 * subscription brings its own `subscribe` (ours read from the SessionEventHub). This one is never used.
 */
const UNUSED_PUBSUB = {
  publish: () => {
    throw new Error('Subscriptions are fed by SessionEventHub, not by type-graphql PubSub');
  },
  subscribe: () => {
    throw new Error('Subscriptions are fed by SessionEventHub, not by type-graphql PubSub');
  },
};

export function buildGraphqlSchema(instances?: ResolverInstances): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: RESOLVERS,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    validateFn: validateInput,
    pubSub: UNUSED_PUBSUB,
    container: instances
      ? {
          get: (someClass: Function) => {
            const instance = instances.get(someClass);
            if (!instance) throw new Error(`No resolver instance for ${someClass.name}`);
            return instance;
          },
        }
      : undefined,
  });
}
