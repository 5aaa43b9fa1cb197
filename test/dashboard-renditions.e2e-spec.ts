import { guardPage } from './helpers/chromium.js';
import { dashboardSuite, uploadThroughForm } from './helpers/dashboard-suite.js';
import { productCsv } from './helpers/csv.js';
import { waitForCompletion } from './helpers/test-app.js';

/** A browser on two shared cores is slow: a generous deadline, not a measure. */
const BROWSER_DEADLINE_MS = 120_000;

/**
 * The dashboard's renditions in Chromium: asked for in the upload form, then listed under each image
 * with their sizes, and the width renditions as a srcset to copy that names what the API lists.
 */
describe('renditions in the dashboard', { timeout: BROWSER_DEADLINE_MS }, () => {
  const suite = dashboardSuite();

  it('asks for renditions and shows them, with a srcset of the widths to copy', async () => {
    const context = await suite.browser.newContext();
    const page = await context.newPage();
    const guard = await guardPage(page);
    await page.goto(`${suite.service.config.server.publicUrl}/`);
    const csv = productCsv([[suite.fixtures.imageUrl('cmyk.jpg', 'dashboard')]]);
    await page.getByLabel('Renditions (e.g. 800w,thumb-400)').fill('400w,200w,thumb-400');
    const requestId = await uploadThroughForm(page, 'renditions.csv', csv);
    await waitForCompletion(suite.service.http, requestId);
    const { body } = await suite.service.http.get(`/requests/${requestId}/images`).expect(200);
    const [w400, w200, thumb] = body.images[0].renditions;

    await page.getByText('3 renditions').click();
    const list = page.getByRole('list', { name: 'Renditions' });
    await expect
      .poll(() => list.getByRole('listitem').allTextContents())
      .toEqual([
        expect.stringMatching(new RegExp(`^400w ${w400.width}×${w400.height}, [0-9.]+ KB$`)),
        expect.stringMatching(new RegExp(`^200w ${w200.width}×${w200.height}, [0-9.]+ KB$`)),
        expect.stringMatching(/^thumb-400 400×400, [0-9.]+ KB$/),
      ]);
    expect(await list.getByRole('link', { name: 'thumb-400' }).getAttribute('href')).toBe(thumb.url);
    expect(await page.getByLabel('srcset').inputValue()).toBe(`${w400.url} 400w, ${w200.url} 200w`);
    expect(await guard.problems()).toEqual([]);
    await context.close();
  });
});
