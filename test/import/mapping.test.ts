import t from 'tap';
import { mapRecord, normaliseColumn, parseDate } from '../../src/import/mapping.ts';

t.test('a JobSpy CSV row maps onto app.jobs', async (t) => {
  const r = mapRecord({
    id: 'in-123', site: 'indeed', job_url: 'https://www.indeed.com/viewjob?jk=1', job_url_direct: 'https://acme.example/apply',
    title: 'Senior Engineer', company: 'Acme', company_url: 'https://acme.example', location: 'Austin, TX, US',
    is_remote: 'True', job_type: 'fulltime', interval: 'yearly', min_amount: '190000.0', max_amount: '230000.0',
    currency: 'USD', date_posted: '2026-11-20', description: 'Build things', emails: '', company_logo: 'nan',
  });
  t.ok(r.ok);
  if (!r.ok) return;
  t.same({ ...r.job, source_raw: undefined }, {
    site: 'indeed', job_url: 'https://www.indeed.com/viewjob?jk=1', title: 'Senior Engineer', company: 'Acme',
    company_url: 'https://acme.example', location_country: 'US', location_state: 'TX', location_city: 'Austin',
    is_remote: true, job_type: 'fulltime', interval: 'yearly', min_amount: 190000, max_amount: 230000, currency: 'USD',
    description: 'Build things', date_posted: '2026-11-20', priority: null, source_raw: undefined,
  });
  t.same(Object.keys(r.job.source_raw).sort(), ['company', 'company_url', 'currency', 'date_posted', 'id', 'interval', 'is_remote', 'job_type', 'job_url', 'job_url_direct', 'location', 'max_amount', 'min_amount', 'site', 'title'], 'source_raw: the present fields, the description stored once');
});

t.test('aliases, salary text, explicit location columns and a site from the URL', async (t) => {
  const r = mapRecord({ 'Job Title': 'Data Engineer', Employer: 'Globex', URL: 'https://www.linkedin.com/jobs/1', City: 'Berlin', Country: 'DE', Salary: '€70k-€90k per annum', Remote: 'no' });
  t.ok(r.ok);
  if (!r.ok) return;
  t.equal(r.job.site, 'linkedin.com');
  t.equal(r.job.title, 'Data Engineer');
  t.equal(r.job.company, 'Globex');
  t.same([r.job.location_city, r.job.location_country], ['Berlin', 'DE']);
  t.same([r.job.min_amount, r.job.max_amount, r.job.interval, r.job.currency], [70000, 90000, 'yearly', 'EUR']);
  t.equal(r.job.is_remote, false);
  const withSite = mapRecord({ title: 'X', company: 'Y', url: 'https://a.example/1' }, { defaultSite: 'feed' });
  t.equal(withSite.ok && withSite.job.site, 'feed');
  const remote = mapRecord({ title: 'X', company: 'Y', url: 'https://a.example/1', location: 'Remote' });
  t.equal(remote.ok && remote.job.is_remote, true);
  t.equal(normaliseColumn(' Job-URL '), 'job_url');
});

t.test('bad rows give one reason naming the field', async (t) => {
  const base = { title: 'T', company: 'C', job_url: 'https://x.example/1', site: 's' };
  const reason = (rec: Record<string, unknown>) => {
    const r = mapRecord(rec);
    return r.ok ? null : r.reason;
  };
  t.equal(reason({ ...base, title: '' }), 'title is missing');
  t.equal(reason({ company: 'C' }), 'title is missing; job_url is missing; site is missing');
  t.equal(reason({ ...base, min_amount: '-5' }), 'min_amount is negative (a salary cannot be)');
  t.equal(reason({ ...base, salary: '-$50,000' }), 'min_amount is negative (a salary cannot be); max_amount is negative (a salary cannot be)');
  t.equal(reason({ ...base, min_amount: '200', max_amount: '100' }), 'min_amount is greater than max_amount');
  t.equal(reason({ ...base, min_amount: 'lots' }), 'min_amount "lots" is not an amount');
  t.equal(reason({ ...base, date_posted: 'last tuesday' }), 'date_posted "last tuesday" is not a date (use YYYY-MM-DD)');
  t.equal(reason({ ...base, date_posted: '2026-02-30' }), 'date_posted "2026-02-30" is not a date (use YYYY-MM-DD)');
  t.equal(reason({ ...base, is_remote: 'maybe' }), 'is_remote "maybe" is not true or false');
  t.equal(reason({ ...base, interval: 'fortnightly' }), 'interval "fortnightly" is not yearly, monthly, weekly, daily or hourly');
  t.equal(reason({ ...base, min_amount: '99999999999' }), 'min_amount is too large');
});

t.test('dates', async (t) => {
  t.equal(parseDate('2026-11-20'), '2026-11-20');
  t.equal(parseDate('2026-11-20T23:30:00-05:00'), '2026-11-20', 'the date as written, no time-zone shift');
  t.equal(parseDate('2026/11/20'), '2026-11-20');
  t.equal(parseDate('November 20, 2026'), '2026-11-20');
  t.equal(parseDate(1795132800), '2026-11-20');
  t.equal(parseDate(1795132800000), '2026-11-20');
  t.equal(parseDate('1795132800'), '2026-11-20', 'epoch seconds as text');
  t.equal(parseDate(''), null);
  t.throws(() => parseDate('11/20/2026'), /not a date/, 'day/month ambiguous: refused');
  t.throws(() => parseDate('1850-01-01'), /out of range/);
});
