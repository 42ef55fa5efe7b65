import { ApolloArmor } from '@escape.tech/graphql-armor';
import { specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';

/**
 * Limits on what one operation may ask for (depth, aliases, cost, tokens, directives), so a
 * single request cannot make the server walk an enormous tree. The contract's deepest honest
 * query (auditLog edges node location) is 5 levels.
 */
export function createQueryLimits() {
  const armor = new ApolloArmor({
    maxDepth: { n: 10 },
    maxAliases: { n: 15 },
    maxDirectives: { n: 20 },
    maxTokens: { n: 2000 },
    costLimit: { maxCost: 5000 },
    // The schema is public (introspection is on); "did you mean" helps people more than it hides anything.
    blockFieldSuggestion: { enabled: false },
  }).protect();
  const rules = [...specifiedRules, ...armor.validationRules];
  return {
    apolloPlugins: armor.plugins,
    validationRules: armor.validationRules,
    /** The same limits for operations arriving over graphql-ws. */
    validate: (schema: GraphQLSchema, document: DocumentNode) => validate(schema, document, rules),
  };
}
