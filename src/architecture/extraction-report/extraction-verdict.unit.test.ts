import { describe, expect, it } from 'vitest';
import { judge, type ReportWithoutVerdict } from './extraction-verdict.js';
import { renderText } from './render.js';
import { REPORT_VERSION, type DatabaseTies } from './report-types.js';

/** The verdict and the text, for reports built by hand. */

const checkedDatabase: DatabaseTies = {
  status: 'checked', url: 'postgres://postgres@127.0.0.1:5432/commerce', schema: 'reviews', role: 'cm_reviews',
  foreignKeys: [], dependencies: [], functionReferences: [], privileges: [], memberships: [], ownership: [], extensions: [],
};

function report(overrides: Partial<ReportWithoutVerdict> = {}): ReportWithoutVerdict {
  return {
    reportVersion: REPORT_VERSION,
    module: { name: 'review', schema: 'reviews', role: 'cm_reviews', folder: 'modules/review', routePrefixes: ['/api/v1/reviews'], sagas: [] },
    code: { filesAnalysed: 7, testFilesSkipped: 2 },
    calls: {
      offers: null,
      out: [{
        module: 'product', key: 'ProductCatalogApi',
        methods: [{ name: 'priceItems', sites: [{ file: 'modules/review/reviews.ts', line: 12 }] }],
      }],
      in: [],
      unresolved: [],
    },
    imports: { kernel: [{ file: 'src/app/module-definition.ts', importedBy: ['modules/review/index.ts'] }], publicFaces: [], forbidden: [], packages: ['zod'] },
    events: {
      published: [{ type: 'ReviewPublished', version: 1, consumers: [{ module: 'notification', handler: 'review-thanks', version: 1, filtered: false }] }],
      consumed: [{ type: 'ProductUpdated', version: 1, handler: 'product-names', filtered: false, publishers: [{ module: 'product', version: 1 }] }],
    },
    config: {
      reads: [
        { key: 'JWT_SECRET', kind: 'shared-secret', sites: [{ file: 'modules/review/tokens.ts', line: 3 }] },
        { key: 'REVIEW_SIGNING_KEY', kind: 'module-secret', sites: [{ file: 'modules/review/index.ts', line: 20 }] },
      ],
      everyProcessNeeds: [{ key: 'JWT_SECRET', kind: 'shared-secret', why: 'tokens' }],
    },
    database: checkedDatabase,
    ...overrides,
  };
}

describe('extraction verdict', () => {
  it('is ready when nothing blocks, and says which calls become HTTP calls', () => {
    const verdict = judge(report());
    expect(verdict.status).toBe('ready');
    expect(verdict.blockers).toEqual([]);
    expect(verdict.headline).toBe('review is ready to extract: nothing blocks it; 1 synchronous call to product becomes an HTTP call');
    expect(verdict.notes.map((note) => note.kind)).toEqual(['call-out', 'event-out', 'event-in', 'config', 'config', 'config']);
    expect(verdict.notes[0]!.text).toBe(
      'review calls product.priceItems: becomes an HTTP call once review runs as its own service; product must be reachable from it (its own service, or hosted beside it)',
    );
    expect(verdict.notes.find((note) => note.text.includes('REVIEW_SIGNING_KEY'))?.text).toContain('give it to the review service only');
  });

  it('is unknown when the database could not be checked and nothing in the code blocks', () => {
    const verdict = judge(report({ database: { ...checkedDatabase, status: 'unreachable', message: 'nothing answers at 127.0.0.1:5432' } }));
    expect(verdict.status).toBe('unknown');
    expect(verdict.headline).toBe("nothing in review's code blocks its extraction; unknown for the database part (nothing answers at 127.0.0.1:5432)");
  });

  it('lists every blocker with its fix, code and database alike', () => {
    const verdict = judge(report({
      imports: {
        kernel: [], publicFaces: [], packages: [],
        forbidden: [{ file: 'modules/review/reviews.ts', line: 4, specifier: '../product/repository.js', target: 'modules/product/repository.ts', typeOnly: false, reason: 'internals of the product module' }],
      },
      database: {
        ...checkedDatabase,
        foreignKeys: [{ name: 'reviews_product_fk', direction: 'outgoing', fromSchema: 'reviews', fromTable: 'reviews', toSchema: 'products', toTable: 'products', definition: 'FOREIGN KEY (product_id) REFERENCES products.products(id)' }],
        privileges: [{ direction: 'outgoing', grantee: 'cm_reviews', objectType: 'table', schema: 'products', object: 'products.products', privileges: ['SELECT'], revoke: 'REVOKE SELECT ON TABLE products.products FROM cm_reviews' }],
        memberships: [{ role: 'cm_products', member: 'cm_reviews', blocking: true }],
      },
    }), { moduleOfSchema: (schema) => (schema === 'products' ? 'product' : undefined) });

    expect(verdict.status).toBe('not-ready');
    expect(verdict.headline).toBe('review is not ready to extract: 4 blockers (1 in the code, 3 in the database)');
    expect(verdict.blockers.map((blocker) => blocker.kind)).toEqual(['internal-import', 'foreign-key', 'privilege', 'role-membership']);
    expect(verdict.blockers[0]!.fix).toContain('modules/product/index.ts or contract.ts');
    expect(verdict.blockers[1]!.fix).toContain('ALTER TABLE reviews.reviews DROP CONSTRAINT reviews_product_fk');
    expect(verdict.blockers[1]!.fix).toContain("product's facade");
    expect(verdict.blockers[2]!.fix).toMatch(/^REVOKE SELECT ON TABLE products.products FROM cm_reviews;/);
    expect(verdict.blockers[3]!.fix).toBe('REVOKE cm_products FROM cm_reviews');
  });

  it('notes a subscription nobody publishes', () => {
    const verdict = judge(report({
      events: { published: [], consumed: [{ type: 'Ghost', version: 1, handler: 'boo', filtered: false, publishers: [] }] },
    }));
    expect(verdict.notes).toContainEqual({ kind: 'event-without-publisher', text: 'subscribes to Ghost (handler boo) but no module publishes it' });
  });
});

describe('extraction report text', () => {
  it('shows the sections, the ties and the verdict', () => {
    const base = report({
      database: {
        ...checkedDatabase,
        foreignKeys: [{ name: 'reviews_product_fk', direction: 'outgoing', fromSchema: 'reviews', fromTable: 'reviews', toSchema: 'products', toTable: 'products', definition: 'FOREIGN KEY (product_id) REFERENCES products.products(id)' }],
      },
    });
    const text = renderText({ ...base, verdict: judge(base) });
    expect(text).toContain('Extraction report: review  (schema reviews, role cm_reviews, modules/review/)');
    expect(text).toContain('Verdict: NOT READY — review is not ready to extract: 1 blocker (1 in the database)');
    expect(text).toMatch(/→ product {2}\(ProductCatalogApi\)\n {8}priceItems {2}modules\/review\/reviews\.ts:12/);
    expect(text).toContain('ReviewPublished v1 → notification (review-thanks)');
    expect(text).toContain('ProductUpdated v1 ← product  (handler product-names)');
    expect(text).toContain('reviews_product_fk: reviews.reviews → products.products');
    expect(text).toMatch(/JWT_SECRET +SHARED SECRET/);
    expect(text).toContain('1. [foreign-key] foreign key reviews_product_fk');
    for (const heading of ['1. Synchronous calls', '2. Imports', '3. Events', '4. Database', '5. Configuration', '6. Verdict']) expect(text).toContain(heading);
  });

  it('says plainly when the database part was not checked', () => {
    const base = report({ database: { ...checkedDatabase, status: 'no-schema', message: 'schema "reviews" does not exist in database "commerce" yet' } });
    const text = renderText({ ...base, verdict: judge(base) });
    expect(text).toContain('not checked: schema "reviews" does not exist in database "commerce" yet');
    expect(text).toContain('Verdict: UNKNOWN (database part not checked)');
  });
});
