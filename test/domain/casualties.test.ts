import fc from 'fast-check';
import {
  CASUALTY_METHOD,
  compareClaimRank,
  deriveCasualties,
  emptyCasualties,
  type CountableClaim,
  type FigureEstimate,
} from '../../src/domain/casualties';
import { FIGURES, RELIABILITY_GRADES, type Figure } from '../../src/domain/vocabulary';

type Figures = Record<Figure, number | null>;
type ClaimInput = Partial<Omit<CountableClaim, 'figures'>> & { figures?: Partial<Figures> };

const NO_FIGURES: Figures = {
  killed: null,
  killed_civilians: null,
  killed_combatants: null,
  injured: null,
  detained: null,
  missing: null,
};

/** An accepted supporting claim from a source that cannot be judged, unless told otherwise. */
function claim(id: string, input: ClaimInput = {}): CountableClaim {
  return {
    id,
    stance: 'supports',
    reviewStatus: 'accepted',
    reliability: 'F',
    credibility: 6,
    publishedAt: null,
    ...input,
    figures: { ...NO_FIGURES, ...input.figures },
  };
}

const estimate = (
  low: [number, string],
  best: [number, string],
  high: [number, string],
  claims: number,
): FigureEstimate => ({
  low: low[0],
  best: best[0],
  high: high[0],
  claims,
  low_claim_id: low[1],
  best_claim_id: best[1],
  high_claim_id: high[1],
});

const only = (value: number, id: string) => estimate([value, id], [value, id], [value, id], 1);

describe('the report of SPEC §1', () => {
  // The monitor (reliability B, credibility 2) is the only source giving figures on the two-day battle;
  // the state broadcaster and the UN envoy support the incident without figures.
  const snhr = claim('snhr', {
    reliability: 'B',
    credibility: 2,
    publishedAt: new Date('2025-03-07T18:00:00Z'),
    figures: { killed: 240, killed_civilians: 140, killed_combatants: 100 },
  });
  const sana = claim('sana', {
    reliability: 'D',
    credibility: 3,
    publishedAt: new Date('2025-03-06T20:00:00Z'),
  });
  const envoy = claim('envoy', {
    reliability: 'B',
    credibility: 2,
    publishedAt: new Date('2025-03-07T12:00:00Z'),
  });

  test('the battle: each figure the monitor gives, from the monitor alone; the others are null', () => {
    expect(deriveCasualties([sana, snhr, envoy])).toEqual({
      method: 'ranked-source/1',
      killed: only(240, 'snhr'),
      killed_civilians: only(140, 'snhr'),
      killed_combatants: only(100, 'snhr'),
      injured: null,
      detained: null,
      missing: null,
    });
  });

  test('the executions, with a range of accounts: low, best and high each from the claim that set it', () => {
    const claims = [
      claim('monitor', {
        reliability: 'B',
        credibility: 2,
        publishedAt: new Date('2025-03-07T18:00:00Z'),
        figures: { killed: 125, killed_civilians: 125 },
      }),
      claim('agency', {
        reliability: 'C',
        credibility: 2,
        publishedAt: new Date('2025-03-08T09:00:00Z'),
        figures: { killed: 130, killed_civilians: 110 },
      }),
      claim('witness', { reliability: 'F', credibility: 6, figures: { killed: 200, detained: 12 } }),
      // None of these count: a contradiction, a claim awaiting review and a rejected one.
      claim('ministry', { stance: 'contradicts', reliability: 'D', credibility: 4, figures: { killed: 10 } }),
      claim('pending', {
        reviewStatus: 'pending',
        reliability: 'A',
        credibility: 1,
        figures: { killed: 1000 },
      }),
      claim('rejected', {
        reviewStatus: 'rejected',
        reliability: 'A',
        credibility: 1,
        figures: { killed: 0 },
      }),
    ];
    expect(deriveCasualties(claims)).toEqual({
      method: CASUALTY_METHOD,
      killed: estimate([125, 'monitor'], [125, 'monitor'], [200, 'witness'], 3),
      killed_civilians: estimate([110, 'agency'], [125, 'monitor'], [125, 'monitor'], 2),
      killed_combatants: null,
      injured: null,
      detained: only(12, 'witness'),
      missing: null,
    });
  });
});

describe('examples', () => {
  test('no claims, or none that count: every figure null, the method still reported', () => {
    const expected = {
      method: 'ranked-source/1',
      killed: null,
      killed_civilians: null,
      killed_combatants: null,
      injured: null,
      detained: null,
      missing: null,
    };
    expect(emptyCasualties()).toEqual(expected);
    expect(deriveCasualties([])).toEqual(expected);
    expect(
      deriveCasualties([
        claim('a', { reviewStatus: 'pending', figures: { killed: 5 } }),
        claim('b', { stance: 'contradicts', figures: { killed: 5 } }),
        claim('c'),
      ]),
    ).toEqual(expected);
  });

  test('zero is a figure; null is not', () => {
    const result = deriveCasualties([
      claim('zero', { figures: { injured: 0 } }),
      claim('some', { reliability: 'A', figures: { injured: 3, missing: null } }),
    ]);
    expect(result.injured).toEqual(estimate([0, 'zero'], [3, 'some'], [3, 'some'], 2));
    expect(result.missing).toBeNull();
  });

  test('reliability of the source outranks credibility of the claim', () => {
    const result = deriveCasualties([
      claim('credible', { reliability: 'B', credibility: 1, figures: { killed: 50 } }),
      claim('reliable', { reliability: 'A', credibility: 6, figures: { killed: 70 } }),
    ]);
    expect(result.killed).toEqual(estimate([50, 'credible'], [70, 'reliable'], [70, 'reliable'], 2));
  });

  test('between equally reliable sources, the more credible claim is best', () => {
    const result = deriveCasualties([
      claim('doubtful', { reliability: 'B', credibility: 4, figures: { killed: 90 } }),
      claim('probable', { reliability: 'B', credibility: 2, figures: { killed: 60 } }),
    ]);
    expect(result.killed?.best_claim_id).toBe('probable');
    expect(result.killed?.best).toBe(60);
  });

  test('then the most recently published claim; one with no date ranks after any dated one', () => {
    const result = deriveCasualties([
      claim('undated', { reliability: 'B', credibility: 2, figures: { killed: 300 } }),
      claim('earlier', {
        reliability: 'B',
        credibility: 2,
        publishedAt: new Date('2025-03-07T09:00:00Z'),
        figures: { killed: 100 },
      }),
      claim('later', {
        reliability: 'B',
        credibility: 2,
        publishedAt: new Date('2025-03-08T09:00:00Z'),
        figures: { killed: 240 },
      }),
    ]);
    expect(result.killed).toEqual(estimate([100, 'earlier'], [240, 'later'], [300, 'undated'], 3));
  });

  test('a tie on low or high goes to the better-ranked claim, whatever the order given', () => {
    const a = claim('a', { reliability: 'C', figures: { killed: 40 } });
    const b = claim('b', { reliability: 'A', figures: { killed: 40 } });
    const c = claim('c', { reliability: 'E', figures: { killed: 40 } });
    for (const order of [
      [a, b, c],
      [c, b, a],
      [b, c, a],
    ]) {
      expect(deriveCasualties(order).killed).toEqual(estimate([40, 'b'], [40, 'b'], [40, 'b'], 3));
    }
  });

  test('claims equal in every rank are ordered by id, so the result is still determined', () => {
    const result = deriveCasualties([
      claim('y', { figures: { killed: 7 } }),
      claim('x', { figures: { killed: 9 } }),
    ]);
    expect(result.killed).toEqual(estimate([7, 'y'], [9, 'x'], [9, 'x'], 2));
  });

  test('the claims passed in are left as they were', () => {
    const claims = [
      claim('b', { reliability: 'E', figures: { killed: 1 } }),
      claim('a', { reliability: 'A', figures: { killed: 2 } }),
    ];
    const copy = structuredClone(claims);
    deriveCasualties(claims);
    expect(claims).toEqual(copy);
  });
});

describe('compareClaimRank', () => {
  test('orders best first: reliability, then credibility, then recency (undated last), then id', () => {
    const ranked = [
      claim('a1', { reliability: 'A', credibility: 1, publishedAt: new Date('2025-03-08T00:00:00Z') }),
      claim('a2', { reliability: 'A', credibility: 1, publishedAt: new Date('2025-03-07T00:00:00Z') }),
      claim('a3', { reliability: 'A', credibility: 1, publishedAt: null }),
      claim('a4', { reliability: 'A', credibility: 1, publishedAt: null }),
      claim('a5', { reliability: 'A', credibility: 2, publishedAt: new Date('2030-01-01T00:00:00Z') }),
      claim('b1', { reliability: 'B', credibility: 1 }),
      claim('f1', { reliability: 'F', credibility: 1 }),
    ];
    const shuffled = [ranked[4]!, ranked[6]!, ranked[0]!, ranked[3]!, ranked[5]!, ranked[2]!, ranked[1]!];
    expect(shuffled.sort(compareClaimRank).map((c) => c.id)).toEqual(ranked.map((c) => c.id));
  });
});

// Small domains make ties, repeated values and equal ranks common, which is where order-dependence hides.
const figureValue = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 5 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2_147_483_647 }) },
);
const figuresArb: fc.Arbitrary<Figures> = fc.record(
  Object.fromEntries(FIGURES.map((f) => [f, figureValue])) as Record<Figure, fc.Arbitrary<number | null>>,
);
const publishedAtArb = fc.option(
  fc.constantFrom(
    new Date('2025-03-06T20:00:00Z'),
    new Date('2025-03-07T12:00:00Z'),
    new Date('2025-03-07T18:00:00Z'),
  ),
  { nil: null },
);
const claimFields = {
  stance: fc.constantFrom('supports', 'contradicts'),
  reviewStatus: fc.constantFrom('pending', 'accepted', 'rejected'),
  reliability: fc.constantFrom(...RELIABILITY_GRADES),
  credibility: fc.integer({ min: 1, max: 6 }),
  publishedAt: publishedAtArb,
  figures: figuresArb,
};
const claimArb: fc.Arbitrary<CountableClaim> = fc.record({ id: fc.uuid(), ...claimFields });
const claimsArb = fc.uniqueArray(claimArb, { selector: (c) => c.id, maxLength: 12 });
/** A claim that must not count: not accepted, or contradicting. */
const ignoredClaimArb: fc.Arbitrary<CountableClaim> = fc.oneof(
  fc.record({ id: fc.uuid(), ...claimFields, reviewStatus: fc.constantFrom('pending', 'rejected') }),
  fc.record({ id: fc.uuid(), ...claimFields, stance: fc.constant('contradicts') }),
);
const counted = (claims: readonly CountableClaim[]) =>
  claims.filter((c) => c.stance === 'supports' && c.reviewStatus === 'accepted');
const stating = (claims: readonly CountableClaim[], figure: Figure) =>
  counted(claims).filter((c) => c.figures[figure] !== null);
const insertAt = <T>(items: readonly T[], item: T, at: number) => [
  ...items.slice(0, at % (items.length + 1)),
  item,
  ...items.slice(at % (items.length + 1)),
];

describe('properties over random claim sets', () => {
  test('low ≤ best ≤ high, and each is the value of the claim named for it', () => {
    fc.assert(
      fc.property(claimsArb, (claims) => {
        const result = deriveCasualties(claims);
        const byId = new Map(claims.map((c) => [c.id, c]));
        for (const figure of FIGURES) {
          const e = result[figure];
          if (e === null) continue;
          expect(e.low).toBeLessThanOrEqual(e.best);
          expect(e.best).toBeLessThanOrEqual(e.high);
          expect(byId.get(e.low_claim_id)?.figures[figure]).toBe(e.low);
          expect(byId.get(e.best_claim_id)?.figures[figure]).toBe(e.best);
          expect(byId.get(e.high_claim_id)?.figures[figure]).toBe(e.high);
        }
      }),
    );
  });

  test('low and high are the smallest and largest stated value; null exactly when no counted claim states it', () => {
    fc.assert(
      fc.property(claimsArb, (claims) => {
        const result = deriveCasualties(claims);
        for (const figure of FIGURES) {
          const values = stating(claims, figure).map((c) => c.figures[figure]!);
          if (values.length === 0) expect(result[figure]).toBeNull();
          else
            expect([result[figure]?.low, result[figure]?.high]).toEqual([
              Math.min(...values),
              Math.max(...values),
            ]);
        }
      }),
    );
  });

  test('claims = the number of accepted supporting claims that state the figure', () => {
    fc.assert(
      fc.property(claimsArb, (claims) => {
        const result = deriveCasualties(claims);
        for (const figure of FIGURES) {
          const n = stating(claims, figure).length;
          expect(result[figure]?.claims ?? 0).toBe(n);
        }
      }),
    );
  });

  test('best is the value of the top-ranked stating claim by compareClaimRank', () => {
    fc.assert(
      fc.property(claimsArb, (claims) => {
        const result = deriveCasualties(claims);
        for (const figure of FIGURES) {
          const [top] = [...stating(claims, figure)].sort(compareClaimRank);
          if (!top) continue;
          expect([result[figure]?.best, result[figure]?.best_claim_id]).toEqual([
            top.figures[figure],
            top.id,
          ]);
        }
      }),
    );
  });

  test('a tie on low or high names the best-ranked of the tied claims', () => {
    fc.assert(
      fc.property(claimsArb, (claims) => {
        const result = deriveCasualties(claims);
        for (const figure of FIGURES) {
          const e = result[figure];
          if (!e) continue;
          const ranked = [...stating(claims, figure)].sort(compareClaimRank);
          expect(e.low_claim_id).toBe(ranked.find((c) => c.figures[figure] === e.low)!.id);
          expect(e.high_claim_id).toBe(ranked.find((c) => c.figures[figure] === e.high)!.id);
        }
      }),
    );
  });

  test('the result does not depend on the order of the claims', () => {
    fc.assert(
      fc.property(
        claimsArb.chain((claims) =>
          fc.tuple(
            fc.constant(claims),
            fc.shuffledSubarray(claims, { minLength: claims.length, maxLength: claims.length }),
          ),
        ),
        ([claims, shuffled]) => {
          expect(deriveCasualties(shuffled)).toEqual(deriveCasualties(claims));
        },
      ),
    );
  });

  test('adding a pending, rejected or contradicting claim changes nothing', () => {
    fc.assert(
      fc.property(claimsArb, ignoredClaimArb, fc.nat(), (claims, ignored, at) => {
        fc.pre(!claims.some((c) => c.id === ignored.id));
        expect(deriveCasualties(insertAt(claims, ignored, at))).toEqual(deriveCasualties(claims));
      }),
    );
  });

  test('adding a counted claim that states no figure changes nothing', () => {
    fc.assert(
      fc.property(claimsArb, claimArb, fc.nat(), (claims, extra, at) => {
        fc.pre(!claims.some((c) => c.id === extra.id));
        const silent = { ...extra, stance: 'supports', reviewStatus: 'accepted', figures: NO_FIGURES };
        expect(deriveCasualties(insertAt(claims, silent, at))).toEqual(deriveCasualties(claims));
      }),
    );
  });

  test('compareClaimRank is a total order: antisymmetric, transitive, zero only for the same id', () => {
    fc.assert(
      fc.property(claimArb, claimArb, claimArb, (a, b, c) => {
        expect(Math.sign(compareClaimRank(a, b))).toBe(-Math.sign(compareClaimRank(b, a)) || 0);
        expect(compareClaimRank(a, a)).toBe(0);
        if (a.id !== b.id) expect(compareClaimRank(a, b)).not.toBe(0);
        if (compareClaimRank(a, b) < 0 && compareClaimRank(b, c) < 0)
          expect(compareClaimRank(a, c)).toBeLessThan(0);
      }),
    );
  });
});
