/**
 * The dashboard's client: the entry of the script served at /dashboard/app.js. It reads
 * `data-page` on <body> and runs that page's live part against the admin API, authenticated by
 * the session cookie. scripts/build-dashboard-client.ts bundles it into ../client-script.ts.
 */
import { catalogPage } from './catalog-page.ts';
import { fleetPage } from './fleet-page.ts';
import { jobPage } from './job-page.ts';
import { jobsPage } from './jobs-page.ts';
import { rolloutPage, rolloutsPage } from './rollout-pages.ts';

const page = document.body.dataset.page;
const { job, rollout } = document.body.dataset;
if (page === 'fleet') void fleetPage();
else if (page === 'catalog') void catalogPage();
else if (page === 'jobs') void jobsPage();
else if (page === 'job') jobPage(job ?? '');
else if (page === 'rollouts') void rolloutsPage();
else if (page === 'rollout') void rolloutPage(rollout ?? '');
