import type { TestApp } from './test-app.js';

/** The sum of every sample of one metric (all its labels) that a process serves at /metrics. */
export async function metricTotal(http: TestApp['http'], name: string): Promise<number> {
  const { text } = await http.get('/metrics').expect(200);
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}
