import { GraphQLError, parse, type DocumentNode, type GraphQLSchema, type ParseOptions } from 'graphql';

/**
 * Parses and validates each distinct operation text once. Thousands of devices send the same
 * subscription document; validating it again for every socket cost about an eighth of the CPU
 * of a connection burst. Bounded, oldest entries leave first.
 */
export function createDocumentCache(
  schema: GraphQLSchema,
  validate: (schema: GraphQLSchema, document: DocumentNode) => readonly GraphQLError[],
  parseOptions: ParseOptions = {},
  maxEntries = 500,
) {
  const entries = new Map<string, DocumentNode | readonly GraphQLError[]>();
  return (query: string): DocumentNode | readonly GraphQLError[] => {
    const hit = entries.get(query);
    if (hit) return hit;
    let result: DocumentNode | readonly GraphQLError[];
    try {
      const document = parse(query, parseOptions);
      const errors = validate(schema, document);
      result = errors.length > 0 ? errors : document;
    } catch (err) {
      if (!(err instanceof GraphQLError)) throw err;
      result = [err];
    }
    if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
    entries.set(query, result);
    return result;
  };
}
