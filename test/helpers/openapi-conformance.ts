import type { Middleware } from 'openapi-fetch';

type Schema = Record<string, any>;

/**
 * Checks JSON bodies against the schemas of an OpenAPI 3.1 document, strictly: every required
 * property present, no property the schema does not declare, types, enums, formats of uuid and
 * date-time. Enough for the shapes this API uses ($ref, allOf, anyOf, arrays, nullable type lists).
 */
export class OpenApiConformance {
  constructor(private readonly document: Schema) {}

  /** An openapi-fetch middleware: every JSON answer must match its operation's schema for its status. */
  middleware(): Middleware {
    return {
      onResponse: async ({ request, response, schemaPath }) => {
        const responses = this.document.paths?.[schemaPath]?.[request.method.toLowerCase()]?.responses;
        const declared = responses?.[String(response.status)];
        if (!declared) {
          throw new Error(
            `${request.method} ${schemaPath} answered ${response.status}, which the document does not declare`,
          );
        }
        // A 204 has no body, and its declaration no content.
        if (response.status === 204 && !declared.content) return undefined;
        const type = (response.headers.get('content-type') ?? '').split(';')[0].trim();
        const content = declared.content?.[type];
        if (!content) {
          throw new Error(
            `${request.method} ${schemaPath} ${response.status}: content type ${type} is not declared`,
          );
        }
        if (type !== 'application/json') return undefined;
        const problems = this.problems(content.schema, await response.clone().json());
        if (problems.length > 0) {
          throw new Error(
            `${request.method} ${schemaPath} ${response.status} does not match its schema:\n${problems.join('\n')}`,
          );
        }
        return undefined;
      },
    };
  }

  /** What is wrong with `value` for `schema` (empty when it conforms). */
  problems(schema: Schema, value: unknown, at = '$'): string[] {
    if (schema.$ref) return this.problems(this.resolve(schema.$ref), value, at);
    if (schema.allOf) return schema.allOf.flatMap((part: Schema) => this.problems(part, value, at));
    if (schema.anyOf) {
      const results = schema.anyOf.map((part: Schema) => this.problems(part, value, at));
      return results.some((found: string[]) => found.length === 0) ? [] : results.flat();
    }
    if (schema.enum && !schema.enum.includes(value))
      return [`${at}: ${JSON.stringify(value)} is not one of ${schema.enum}`];
    const types: string[] = schema.type === undefined ? [] : [schema.type].flat();
    if (types.length > 0 && !types.some((type) => this.isOfType(type, value))) {
      return [`${at}: ${JSON.stringify(value)} is not ${types.join(' or ')}`];
    }
    if (value === null) return [];
    if (typeof value === 'string') return this.formatProblems(schema, value, at);
    if (Array.isArray(value))
      return value.flatMap((item, index) => this.problems(schema.items ?? {}, item, `${at}[${index}]`));
    if (typeof value === 'object' && schema.properties) {
      const properties: Record<string, Schema> = schema.properties;
      const missing = (schema.required ?? [])
        .filter((name: string) => !(name in value))
        .map((name: string) => `${at}.${name}: missing`);
      return [
        ...missing,
        ...Object.entries(value).flatMap(([name, item]) =>
          properties[name]
            ? this.problems(properties[name], item, `${at}.${name}`)
            : [`${at}.${name}: not in the schema`],
        ),
      ];
    }
    return [];
  }

  private resolve(ref: string): Schema {
    return ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((node: Schema, key) => node[key], this.document);
  }

  private isOfType(type: string, value: unknown): boolean {
    switch (type) {
      case 'null':
        return value === null;
      case 'integer':
        return Number.isInteger(value);
      case 'array':
        return Array.isArray(value);
      case 'object':
        return typeof value === 'object' && value !== null && !Array.isArray(value);
      default:
        return typeof value === type;
    }
  }

  private formatProblems(schema: Schema, value: string, at: string): string[] {
    const valid =
      schema.format === 'uuid'
        ? /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
        : schema.format === 'date-time'
          ? !Number.isNaN(Date.parse(value)) && /T/.test(value)
          : schema.format === 'uri'
            ? URL.canParse(value)
            : true;
    return valid ? [] : [`${at}: ${JSON.stringify(value)} is not a ${schema.format}`];
  }
}
