import { ApolloArmor } from '@escape.tech/graphql-armor';
import { NoSchemaIntrospectionCustomRule, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ParseOptions } from 'graphql';

/**
 * Limits on what one operation may ask for (depth, aliases, cost, tokens, directives), so a
 * single request cannot make the server walk an enormous tree. The contract's deepest honest
 * query (auditLog edges node location) is 5 levels.
 *
 * With `introspection: false` (INTROSPECTION=false), `__schema` and `__type` are refused by the
 * same rule on HTTP and WebSocket, and "did you mean" suggestions stop naming fields.
 */
export function createQueryLimits(options: { introspection: boolean } = { introspection: true }) {
  const armor = new ApolloArmor({
    maxDepth: { n: 10 },
    maxAliases: { n: 15 },
    maxDirectives: { n: 20 },
    // graphql-js counts tokens itself (parseOptions below); armor's Apollo plugin re-parses in a
    // hook, and its syntax errors then surfaced as 500s.
    maxTokens: { enabled: false },
    costLimit: { maxCost: 5000 },
    // While the schema is public, "did you mean" helps people more than it hides anything.
    blockFieldSuggestion: { enabled: !options.introspection },
  }).protect();
  const validationRules = [...armor.validationRules, ...(options.introspection ? [] : [NoSchemaIntrospectionCustomRule])];
  const rules = [...specifiedRules, ...validationRules];
  const parseOptions: ParseOptions = { maxTokens: 2000 };
  return {
    apolloPlugins: armor.plugins,
    parseOptions,
    validationRules,
    /** The same limits for operations arriving over graphql-ws. */
    validate: (schema: GraphQLSchema, document: DocumentNode) => validate(schema, document, rules),
  };
}
