/**
 * The dashboard's client: the entry of the script served at /dashboard/app.js. It reads
 * `data-page` on <body> and runs that page's live part against the admin API (through the
 * typed client, shared/client), authenticated by the session cookie.
 * scripts/build-dashboard-client.ts bundles it into ../client-script.ts.
 */
import { auditPage } from './audit-page.ts';
import { catalogPage } from './catalog-page.ts';
import { enrolmentPage } from './enrolment-page.ts';
import { fleetPage } from './fleet-page.ts';
import { jobPage } from './job-page.ts';
import { jobsPage } from './jobs-page.ts';
import { rolloutPage, rolloutsPage } from './rollout-pages.ts';
import { tokensPage } from './tokens-page.ts';
import { webhooksPage } from './webhooks-page.ts';

const page = document.body.dataset.page;
const { job, rollout } = document.body.dataset;
if (page === 'fleet') fleetPage();
else if (page === 'catalog') void catalogPage();
else if (page === 'jobs') void jobsPage();
else if (page === 'job') jobPage(job ?? '');
else if (page === 'rollouts') rolloutsPage();
else if (page === 'rollout') rolloutPage(rollout ?? '');
else if (page === 'tokens') tokensPage();
else if (page === 'audit') auditPage();
else if (page === 'enrolment') enrolmentPage();
else if (page === 'webhooks') webhooksPage();
