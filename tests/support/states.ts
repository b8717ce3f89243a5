// Builders for host states as CredHop's module reports them, for the pure-logic tests.
import type { DelegationList, HostState, ServerState, Snapshot } from '../../src/shared/domain/hop';

export function list(entries: Record<string, string> = {}, flags: Partial<DelegationList> = {}): DelegationList {
  const names = Object.keys(entries);
  return {
    keyExists: names.length > 0 || flags.allow !== undefined,
    allow: names.length > 0 ? 1 : null,
    concatenate: names.length > 0 ? 1 : null,
    listKeyExists: names.length > 0,
    entries: names.map((name) => ({ name, value: entries[name]! })),
    ...flags,
  };
}

export function host(overrides: Partial<HostState> & { fresh?: Record<string, string>; freshEffective?: Record<string, string>; ntlm?: Record<string, string> } = {}): HostState {
  const { fresh, freshEffective, ntlm, ...rest } = overrides;
  return {
    computerName: 'DC1',
    userName: 'COMPANY\\Administrator',
    isElevated: true,
    psVersion: '5.1.17763.1',
    psEdition: 'Desktop',
    winrm: { clientCredSSP: false, serviceCredSSP: false, clientPolicyAllowCredSSP: null, servicePolicyAllowCredSSP: null },
    delegation: {
      fresh: { local: list(fresh), effective: list(freshEffective ?? fresh) },
      freshNtlm: { local: list(ntlm), effective: list(ntlm) },
    },
    encryptionOracle: null,
    ...rest,
  };
}

export function server(overrides: Partial<ServerState> = {}): ServerState {
  return { computerName: 'ADFS1', userName: 'COMPANY\\Administrator', serviceCredSSP: false, servicePolicyAllowCredSSP: null, ...overrides };
}

export function snap(client: HostState = host(), srv: ServerState = server(), jumpServer = 'adfs1.company.pri'): Snapshot {
  return { takenAt: '2026-11-25T12:00:00.000Z', jumpServer, client, server: srv };
}
