import * as fs from 'fs';
import { DEFAULT_FACTS, renderImageTable, TABLE_FILE } from '../../scripts/generate-image-table';
import { ImageScopeFacts } from '../../src/image/private/image-table';
import { IMAGE_TABLE } from '../../src/image/private/image-table.generated';

/**
 * The generated table must be what the generator makes of the facts file.
 * The facts file lives beside the clone (`../shared/data`); CI puts a copy
 * there. Without it only the table's own consistency is checked.
 */
const factsPresent = fs.existsSync(DEFAULT_FACTS);

describe('image table', () => {
  (factsPresent ? test : test.skip)('is current with ../shared/data/sagemaker-image-uris.json (run `npx projen generate:images` when this fails)', () => {
    // GIVEN the facts file
    const facts = JSON.parse(fs.readFileSync(DEFAULT_FACTS, 'utf8'));
    // WHEN the table is generated again
    const expected = renderImageTable(facts);
    // THEN the committed table is the same text
    expect(fs.readFileSync(TABLE_FILE, 'utf8')).toEqual(expected);
  });

  test('every version names a registry map that exists, and aliases point at versions', () => {
    const problems: string[] = [];
    for (const [name, image] of Object.entries(IMAGE_TABLE.images)) {
      for (const [use, scope] of Object.entries(image) as [string, ImageScopeFacts][]) {
        for (const [version, facts] of Object.entries(scope!.versions)) {
          const maps = facts.byPy ? Object.values(facts.byPy).map(v => v.m) : [facts.m!];
          for (const m of maps) {
            if (!IMAGE_TABLE.registries[m]) problems.push(`${name} ${use} ${version}: registry map ${m} is missing`);
          }
          if (!facts.byPy && !facts.r) problems.push(`${name} ${use} ${version}: no repository`);
        }
        for (const [alias, target] of Object.entries(scope!.aliases ?? {})) {
          if (!scope!.versions[target]) problems.push(`${name} ${use}: alias ${alias} -> ${target} is not a version`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('holds the five frameworks and the built-in algorithms, without Graviton scopes', () => {
    expect(Object.keys(IMAGE_TABLE.images)).toEqual(expect.arrayContaining(['sklearn', 'xgboost', 'pytorch', 'tensorflow', 'mxnet', 'linear-learner', 'kmeans']));
    expect(JSON.stringify(IMAGE_TABLE)).not.toContain('graviton');
  });
});
