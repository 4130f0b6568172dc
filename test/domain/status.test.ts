import fc from 'fast-check';
import { deriveStatus, independenceKey, type StatusClaim } from '../../src/domain/status';

interface Source {
  id: string;
  group: string | null;
}

const says = (source: Source, stance: string, reviewStatus = 'accepted'): StatusClaim => ({
  stance,
  reviewStatus,
  sourceId: source.id,
  independenceGroup: source.group,
});

describe('the report of SPEC §1', () => {
  const snhr = { id: 'snhr', group: 'snhr' };
  const ministry = { id: 'ministry', group: 'syrian-government' };
  const sana = { id: 'sana', group: 'syrian-government' };
  const envoy = { id: 'envoy', group: 'united-nations' };
  const video = { id: 'video', group: null };

  test('the battle, supported by the monitor, the state broadcaster and the UN envoy: corroborated', () => {
    expect(deriveStatus([says(snhr, 'supports'), says(sana, 'supports'), says(envoy, 'supports')])).toBe(
      'corroborated',
    );
  });

  test('the executions, told by the monitor while the ministry’s denial awaits review: unverified', () => {
    expect(deriveStatus([says(snhr, 'supports'), says(ministry, 'contradicts', 'pending')])).toBe(
      'unverified',
    );
  });

  test('the executions once the ministry’s denial is accepted: disputed', () => {
    expect(deriveStatus([says(snhr, 'supports'), says(ministry, 'contradicts')])).toBe('disputed');
  });

  test('al-Mukhtariya, told by the monitor and by videos from a source of no group: corroborated', () => {
    expect(deriveStatus([says(snhr, 'supports'), says(video, 'supports')])).toBe('corroborated');
  });

  test('the ministry and the state broadcaster share a group: one voice, unverified', () => {
    expect(deriveStatus([says(ministry, 'supports'), says(sana, 'supports')])).toBe('unverified');
  });
});

describe('examples', () => {
  const a = { id: 'a', group: null };
  const b = { id: 'b', group: null };

  test('no claims: unverified', () => {
    expect(deriveStatus([])).toBe('unverified');
  });

  test('one source saying it twice is still one group', () => {
    expect(deriveStatus([says(a, 'supports'), says(a, 'supports')])).toBe('unverified');
  });

  test('two sources without a group are two groups', () => {
    expect(deriveStatus([says(a, 'supports'), says(b, 'supports')])).toBe('corroborated');
  });

  test('a group named like another source’s id is still a different group', () => {
    expect(
      deriveStatus([says({ id: 'x', group: null }, 'supports'), says({ id: 'y', group: 'x' }, 'supports')]),
    ).toBe('corroborated');
  });

  test('only pending or rejected support, from many groups: unverified', () => {
    expect(deriveStatus([says(a, 'supports', 'pending'), says(b, 'supports', 'rejected')])).toBe(
      'unverified',
    );
  });

  test('an accepted contradiction with no accepted support: unverified, not disputed', () => {
    expect(deriveStatus([says(a, 'contradicts'), says(b, 'supports', 'pending')])).toBe('unverified');
  });

  test('a rejected contradiction disputes nothing', () => {
    expect(deriveStatus([says(a, 'supports'), says(b, 'supports'), says(b, 'contradicts', 'rejected')])).toBe(
      'corroborated',
    );
  });

  test('an accepted contradiction outweighs corroboration', () => {
    expect(deriveStatus([says(a, 'supports'), says(b, 'supports'), says(b, 'contradicts')])).toBe('disputed');
  });

  test('a source may contradict itself: disputed', () => {
    expect(deriveStatus([says(a, 'supports'), says(a, 'contradicts')])).toBe('disputed');
  });

  test('independenceKey: the named group, or the source itself', () => {
    expect(independenceKey({ sourceId: 's1', independenceGroup: 'g' })).toBe(
      independenceKey({ sourceId: 's2', independenceGroup: 'g' }),
    );
    expect(independenceKey({ sourceId: 's1', independenceGroup: null })).not.toBe(
      independenceKey({ sourceId: 's2', independenceGroup: null }),
    );
    expect(independenceKey({ sourceId: 'g', independenceGroup: null })).not.toBe(
      independenceKey({ sourceId: 's1', independenceGroup: 'g' }),
    );
  });
});

// A few sources over fewer groups, one group named like a source id, so shared and colliding groups are common.
const sourcesArb = fc.uniqueArray(
  fc.record({
    id: fc.constantFrom('s1', 's2', 's3', 's4', 's5'),
    group: fc.constantFrom<string | null>(null, null, 'g1', 'g2', 's1'),
  }),
  { selector: (s) => s.id, minLength: 1 },
);
const stanceArb = fc.constantFrom('supports', 'contradicts');
const reviewArb = fc.constantFrom('pending', 'accepted', 'rejected');
const claimsArb = sourcesArb.chain((sources) =>
  fc.array(
    fc
      .tuple(fc.constantFrom(...sources), stanceArb, reviewArb)
      .map(([s, stance, review]) => says(s, stance, review)),
    { maxLength: 10 },
  ),
);
const claimOfArb = (stance: fc.Arbitrary<string>, review: fc.Arbitrary<string>) =>
  fc
    .tuple(
      fc.record({
        id: fc.constantFrom('s1', 's6', 's7'),
        group: fc.constantFrom<string | null>(null, 'g1', 'g3'),
      }),
      stance,
      review,
    )
    .map(([s, st, r]) => says(s, st, r));

/** The rule restated from SPEC §3: a source with no group is a group of its own. */
function facts(claims: readonly StatusClaim[]) {
  const accepted = claims.filter((c) => c.reviewStatus === 'accepted');
  const supporting = accepted.filter((c) => c.stance === 'supports');
  const groups = new Set(
    supporting.map((c) =>
      JSON.stringify(c.independenceGroup === null ? ['source', c.sourceId] : ['group', c.independenceGroup]),
    ),
  );
  return {
    supporting: supporting.length,
    contradicting: accepted.filter((c) => c.stance === 'contradicts').length,
    groups: groups.size,
  };
}

const insertAt = <T>(items: readonly T[], item: T, at: number) => [
  ...items.slice(0, at % (items.length + 1)),
  item,
  ...items.slice(at % (items.length + 1)),
];

describe('properties over random claim sets', () => {
  test('corroborated exactly when accepted support comes from ≥ 2 groups and no accepted claim contradicts', () => {
    fc.assert(
      fc.property(claimsArb, (claims) => {
        const f = facts(claims);
        expect(deriveStatus(claims) === 'corroborated').toBe(f.groups >= 2 && f.contradicting === 0);
      }),
    );
  });

  test('disputed exactly when there is accepted support and an accepted contradiction', () => {
    fc.assert(
      fc.property(claimsArb, (claims) => {
        const f = facts(claims);
        expect(deriveStatus(claims) === 'disputed').toBe(f.supporting >= 1 && f.contradicting >= 1);
      }),
    );
  });

  test('otherwise unverified; never a status only a verifier sets', () => {
    fc.assert(
      fc.property(claimsArb, (claims) => {
        const f = facts(claims);
        const corroborated = f.groups >= 2 && f.contradicting === 0;
        const disputed = f.supporting >= 1 && f.contradicting >= 1;
        expect(deriveStatus(claims) === 'unverified').toBe(!corroborated && !disputed);
        expect(['unverified', 'corroborated', 'disputed']).toContain(deriveStatus(claims));
      }),
    );
  });

  test('the status does not depend on the order of the claims', () => {
    fc.assert(
      fc.property(
        claimsArb.chain((claims) =>
          fc.tuple(
            fc.constant(claims),
            fc.shuffledSubarray(claims, { minLength: claims.length, maxLength: claims.length }),
          ),
        ),
        ([claims, shuffled]) => {
          expect(deriveStatus(shuffled)).toBe(deriveStatus(claims));
        },
      ),
    );
  });

  test('adding a pending or rejected claim, of either stance, changes nothing', () => {
    fc.assert(
      fc.property(
        claimsArb,
        claimOfArb(stanceArb, fc.constantFrom('pending', 'rejected')),
        fc.nat(),
        (claims, extra, at) => {
          expect(deriveStatus(insertAt(claims, extra, at))).toBe(deriveStatus(claims));
        },
      ),
    );
  });

  test('adding an accepted contradiction where there is accepted support makes it disputed', () => {
    fc.assert(
      fc.property(
        claimsArb,
        claimOfArb(fc.constant('contradicts'), fc.constant('accepted')),
        fc.nat(),
        (claims, extra, at) => {
          fc.pre(facts(claims).supporting > 0);
          expect(deriveStatus(insertAt(claims, extra, at))).toBe('disputed');
        },
      ),
    );
  });

  test('adding accepted support from a group not yet heard, with no accepted contradiction, corroborates', () => {
    fc.assert(
      fc.property(claimsArb, fc.nat(), (claims, at) => {
        const f = facts(claims);
        fc.pre(f.supporting > 0 && f.contradicting === 0);
        const newcomer = says({ id: 'newcomer', group: 'a-group-no-one-else-is-in' }, 'supports');
        expect(deriveStatus(insertAt(claims, newcomer, at))).toBe('corroborated');
      }),
    );
  });
});
