// Main keeps the wizard's recent checks, not every check of the day: an app left open all day stays lean.
import { describe, expect, it } from 'vitest';
import type { HopEngine } from '../../src/main/hop/engine';
import { createHopHandlers, KEPT_CHECKS, keepNewest } from '../../src/main/hop/handlers';
import type { HandlerContext } from '../../src/main/ipc/handler';
import type { ProfileStore } from '../../src/main/profiles/store';
import type { Vault } from '../../src/main/vault/vault';
import type { HopProfile } from '../../src/shared/domain/profile';
import { buildPlan } from '../../src/main/hop/plan';
import { snap } from '../support/states';

const ctx: HandlerContext = { operationId: 'op', progress: () => undefined };
const profile = { id: 'p1', name: 'Lab', jumpServerConnectAs: 'adfs1.company.pri', target: 'mem2.company.pri', jumpAccount: 'COMPANY\\Administrator', targetAccount: null, probeCommand: '', timeBoxMinutes: 60 } as unknown as HopProfile;

describe('checks kept by main', () => {
  it('keeps the newest checks only: an old check asks to be run again, the latest still works', async () => {
    const snapshot = snap();
    const plan = buildPlan({ snapshot, jumpServer: 'adfs1.company.pri', target: 'mem2.company.pri', account: 'COMPANY\\Administrator' });
    const hop = { check: async () => ({ snapshot, plan, credSSPView: [] }) } as unknown as HopEngine;
    const handlers = createHopHandlers({
      hop: () => hop,
      audit: () => null,
      practiceMode: () => true,
      profiles: { list: async () => [profile] } as unknown as ProfileStore,
      vault: { getSecret: async () => null } as unknown as Vault,
      restoredAtStart: () => null,
    });
    const ids: string[] = [];
    for (let i = 0; i < KEPT_CHECKS + 10; i += 1) ids.push((await handlers.hopCheck({ profileId: 'p1' }, ctx)).checkId);
    await expect(handlers.hopRunbook({ checkId: ids[0]! }, ctx)).rejects.toMatchObject({ code: 'not-found' });
    await expect(handlers.hopRunbook({ checkId: ids[ids.length - KEPT_CHECKS]! }, ctx)).resolves.toMatchObject({ suggestedFileName: 'CredHop-Lab.ps1' });
    await expect(handlers.hopRunbook({ checkId: ids[ids.length - 1]! }, ctx)).resolves.toMatchObject({ suggestedFileName: 'CredHop-Lab.ps1' });
  });

  it('drops the oldest entries first', () => {
    const m = new Map([['a', 1], ['b', 2], ['c', 3]]);
    keepNewest(m, 2);
    expect([...m.keys()]).toEqual(['b', 'c']);
  });
});
