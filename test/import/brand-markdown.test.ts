import t from 'tap';
import { parseBrandMarkdown } from '../../src/import/brand-markdown.ts';

t.test('split on the shallowest heading level that names dimensions; unknown headings reported', async (t) => {
  const md = [
    '# My career brand',
    'intro',
    '## North Star',
    'Build developer tools.',
    '### Details',
    'more north star',
    '## Trajectory & Mastery (weight 0.4)',
    'Staff roles.',
    '## Hobbies',
    'Climbing.',
    '## compensation_philosophy',
    'At least 200k.',
  ].join('\n');
  const p = parseBrandMarkdown(md);
  t.same(p.errors, []);
  t.same(p.unknown, [{ heading: 'Hobbies', line: 9 }]);
  t.same(p.sections.map((s) => [s.dimension, s.weight, s.content]), [
    ['north_star', null, 'Build developer tools.\n### Details\nmore north star'],
    ['trajectory_mastery', 0.4, 'Staff roles.'],
    ['compensation_philosophy', null, 'At least 200k.'],
  ]);
});

t.test('errors: no dimension at all, a dimension twice, empty text, a bad weight', async (t) => {
  t.match(parseBrandMarkdown('# Hello\ntext').errors[0], /no heading names a dimension/);
  const p = parseBrandMarkdown('# Values Compass\na\n# values compass\nb\n# Lifestyle\n\n# North Star (weight 3)\nx');
  t.same(p.errors, [
    'line 3: "values compass" repeats the Values Compass dimension',
    'line 5: "Lifestyle" has no text',
    'line 7: weight 3 must be from 0 to 1',
  ]);
});
