// What CredHop's practice flow does on the default lab, counted, not timed: connections, calls, round
// trips to its PowerShell, writes, task registrations and fsyncs, phase by phase. The counts do not
// depend on the machine, so they are pinned: a change that adds a round trip or a connection must edit
// PINNED below, where review sees it (and `npm run bench` prints the same counts for every column).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countRoundTrips, countsBetween, credhopReader, practiceFlow, PHASES, type Counts, type Phase, type Reading } from '../../scripts/bench-counts';
import { durableSyncs } from '../../src/main/fs/durable';
import { PRACTICE_PASSWORD, PRACTICE_TARGET } from '../../src/main/hop/practice';
import { createMainServices } from '../../src/main/services';
import { removeDir } from './lab-fixture';
import { requirePwsh } from './pwsh-path';

// The pinned counts of one practice flow on the default lab (tests/lab/default-lab.json), in a fresh
// PowerShell. Columns: new connections (all hosts), calls over a kept connection, round trips from
// CredHop to its PowerShell, registry writes (HKLM: and WSMan:), policy-file writes (Registry.pol, by
// gpt.ini's version), scheduled-task registrations, fsyncs (journal and audit log).
// prettier-ignore
const PINNED: Record<Phase, Counts> = {
  start:   { connections: 0, calls: 0, localCalls: 1, registryWrites: 0, policyWrites: 0, taskRegistrations: 0, fsyncs: 0 },
  check:   { connections: 1, calls: 1, localCalls: 2, registryWrites: 0, policyWrites: 0, taskRegistrations: 0, fsyncs: 0 },
  client:  { connections: 0, calls: 0, localCalls: 2, registryWrites: 6, policyWrites: 1, taskRegistrations: 1, fsyncs: 8 },
  server:  { connections: 0, calls: 2, localCalls: 2, registryWrites: 1, policyWrites: 0, taskRegistrations: 1, fsyncs: 6 },
  test:    { connections: 2, calls: 0, localCalls: 1, registryWrites: 0, policyWrites: 0, taskRegistrations: 0, fsyncs: 0 },
  restore: { connections: 0, calls: 1, localCalls: 4, registryWrites: 7, policyWrites: 2, taskRegistrations: 0, fsyncs: 9 },
};

describe('the practice flow, counted', () => {
  it('makes exactly the pinned connections, calls, round trips, writes, task registrations and fsyncs in each phase', async () => {
    requirePwsh();
    const dir = mkdtempSync(join(tmpdir(), 'credhop-counts-'));
    const services = createMainServices({ dataDir: dir, root: process.cwd(), practice: { reset: true } });
    try {
      const engine = services.engine()!;
      const trips = countRoundTrips(engine);
      const fsyncsBefore = durableSyncs();
      await engine.info(); // start: PowerShell started, the lab (reset: its counters at zero) and the module loaded
      const read = credhopReader(engine.config.practice!.stateDir, trips);
      const counted = {} as Record<Phase, Counts>;
      const begin = read();
      counted.start = countsBetween({ lab: { connections: 0, calls: 0, registryWrites: 0, taskRegistrations: 0 }, policyVersion: begin.policyVersion, localCalls: 0, fsyncs: fsyncsBefore }, begin);
      let from: Reading = begin;
      const target = { profileId: 'counts', profileName: 'counts', ...PRACTICE_TARGET };
      const { report } = await practiceFlow(services.hop()!, target, { userName: PRACTICE_TARGET.account, password: PRACTICE_PASSWORD }, (p, at) => {
        const now = read();
        if (at === 'end') counted[p] = countsBetween(from, now);
        from = now;
      });
      expect(report.clean).toBe(true);
      trips.stop();
      // One table, so a difference shows every changed number at once.
      expect(Object.fromEntries(PHASES.map((p) => [p, counted[p]]))).toEqual(PINNED);
    } finally {
      await services.dispose();
      removeDir(dir);
    }
  }, 180_000);
});
