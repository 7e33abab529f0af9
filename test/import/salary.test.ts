import t from 'tap';
import { detectCurrency, normaliseInterval, parseAmount, parseSalary } from '../../src/import/salary.ts';

t.test('salary text into amounts, interval and currency', async (t) => {
  const cases: Array<[string, ReturnType<typeof parseSalary>]> = [
    ['$120K-$150K', { min: 120000, max: 150000, interval: 'yearly', currency: 'USD' }],
    ['$45/hr', { min: 45, max: 45, interval: 'hourly', currency: 'USD' }],
    ['120,000 USD a year', { min: 120000, max: 120000, interval: 'yearly', currency: 'USD' }],
    ['$85,000 - $95,000 per year', { min: 85000, max: 95000, interval: 'yearly', currency: 'USD' }],
    ['£50k–£60k per annum', { min: 50000, max: 60000, interval: 'yearly', currency: 'GBP' }],
    ['Up to €4,000 a month', { min: null, max: 4000, interval: 'monthly', currency: 'EUR' }],
    ['From $100,000', { min: 100000, max: null, interval: 'yearly', currency: 'USD' }],
    ['150k+', { min: 150000, max: null, interval: 'yearly', currency: null }],
    ['$25 - $30 an hour', { min: 25, max: 30, interval: 'hourly', currency: 'USD' }],
    ['USD 100000-120000 yearly', { min: 100000, max: 120000, interval: 'yearly', currency: 'USD' }],
    ['CA$90K', { min: 90000, max: 90000, interval: 'yearly', currency: 'CAD' }],
    ['₹12,00,000 per annum', { min: 1200000, max: 1200000, interval: 'yearly', currency: 'INR' }],
    ['$2,500/week', { min: 2500, max: 2500, interval: 'weekly', currency: 'USD' }],
    ['500 a day', { min: 500, max: 500, interval: 'daily', currency: null }],
    ['$150,000 - $120,000', { min: 120000, max: 150000, interval: 'yearly', currency: 'USD' }],
    ['1500 EUR', { min: 1500, max: 1500, interval: null, currency: 'EUR' }],
  ];
  for (const [text, expected] of cases) t.same(parseSalary(text), expected, text);
  t.equal(parseSalary('Competitive'), null, 'no amount: null');
  t.equal(parseSalary(''), null);
});

t.test('a negative amount keeps its sign (validation rejects it); a range dash is not a sign', async (t) => {
  t.same(parseSalary('-45000'), { min: -45000, max: -45000, interval: null, currency: null });
  t.equal(parseSalary('$-20/hr')?.min, -20);
  t.equal(parseSalary('$120K-$150K')?.min, 120000);
  t.equal(parseSalary('100000 - 120000')?.min, 100000);
});

t.test('single amounts', async (t) => {
  t.equal(parseAmount('120000'), 120000);
  t.equal(parseAmount('$120,000'), 120000);
  t.equal(parseAmount('120k'), 120000);
  t.equal(parseAmount('1.5M'), 1500000);
  t.equal(parseAmount(45.5), 45.5);
  t.equal(parseAmount('-5'), -5);
  t.equal(parseAmount(''), null);
  t.equal(parseAmount('NaN'), null, "pandas' NaN is missing");
  t.ok(Number.isNaN(parseAmount('abc')), 'not an amount: NaN');
  t.ok(Number.isNaN(parseAmount('100-200')), 'two amounts: NaN');
});

t.test('intervals and currencies', async (t) => {
  t.equal(normaliseInterval('Yearly'), 'yearly');
  t.equal(normaliseInterval('per hour'), 'hourly');
  t.equal(normaliseInterval('annual'), 'yearly');
  t.equal(normaliseInterval('fortnightly'), null);
  t.equal(detectCurrency('100 chf'), 'CHF');
  t.equal(detectCurrency('€5'), 'EUR');
  t.equal(detectCurrency('A$5'), 'AUD');
  t.equal(detectCurrency('5 widgets'), null);
});
