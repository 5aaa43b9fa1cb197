import type { TestApp } from './test-app.js';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

/** Request ids that are not UUIDs, as they appear in a URL path (percent-encoded where needed). */
export const INVALID_REQUEST_IDS = [
  'not-a-uuid',
  '%00',
  `${UNKNOWN}%00`,
  `%00${UNKNOWN}`,
  `${UNKNOWN.slice(0, -1)}g`,
  `${UNKNOWN}0`,
  "'%20OR%20'1'='1",
  'x'.repeat(2000),
];

/** Every operation that takes a request id in its path. */
const OPERATIONS = [
  ['get', '/status/:id'],
  ['get', '/requests/:id/images'],
  ['get', '/requests/:id/error-codes'],
  ['post', '/requests/:id/retry'],
  ['get', '/export-csv/:id'],
  ['delete', '/requests/:id'],
] as const;

export interface Answer {
  operation: string;
  status: number;
  body: Record<string, unknown>;
}

/** What every operation answers for `id` (a path segment). */
export async function answersFor(service: TestApp, id: string): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (const [method, path] of OPERATIONS) {
    const { status, body } = await service.http[method](path.replace(':id', id));
    answers.push({ operation: `${method.toUpperCase()} ${path}`, status, body });
  }
  return answers;
}

export { UNKNOWN as UNKNOWN_REQUEST_ID };
