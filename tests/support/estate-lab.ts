// A generated estate for the scan: N hosts with a seeded, deterministic mix of what the scan must find,
// and the findings each host must produce, computed from what was planted (not from the scanner).
// Used by the integration tests, the benchmark and (written once, small) the practice estate.
//   npx tsx tests/support/estate-lab.ts <hosts> <seed> <out.json> [latencyMs]
import { writeFileSync } from 'node:fs';
import type { FindingKind } from '../../src/shared/domain/scan';
import type { LabFile, LabHost } from './labs';

export interface Estate {
  lab: LabFile & { latencyMs?: number };
  /** The names to scan, in order: every host but the scanning client, plus names that no longer exist. */
  names: string[];
  /** Per name as listed: the finding kinds expected, sorted. Hosts with none are clean. */
  expected: Record<string, FindingKind[]>;
}

/** mulberry32: small, seeded, the same sequence on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CD = 'SOFTWARE\\Policies\\Microsoft\\Windows\\CredentialsDelegation';

/** What one host can carry; every kind appears at least once when N >= PLANTS.length + 2. */
const PLANTS = [
  'server-credssp',
  'server-credssp-gpo',
  'client-credssp',
  'client-credssp-gpo',
  'client-delegates',
  'wildcard-entry',
  'duplicate-entry',
  'stale-entry',
  'ntlm-list',
  'encryption-oracle-vulnerable',
  'unreachable',
  'access-denied',
] as const;
type Plant = (typeof PLANTS)[number];

function plantHost(h: LabHost, plant: Plant, domain: string, liveHost: string): FindingKind[] {
  const policy = (entries: Record<string, string>): Record<string, unknown> => ({ fresh: { allow: 1, concatenate: 1, entries } });
  switch (plant) {
    case 'server-credssp':
      h.credssp = { ...(h.credssp as object), service: true };
      return ['server-credssp'];
    case 'server-credssp-gpo':
      h.domainPolicy = { ...((h.domainPolicy as object | undefined) ?? {}), winrmServiceAllowCredSSP: 1, gpoName: 'Estate CredSSP' };
      return ['server-credssp-gpo'];
    case 'client-credssp':
      h.credssp = { ...(h.credssp as object), client: true };
      return ['client-credssp'];
    case 'client-credssp-gpo':
      h.domainPolicy = { ...((h.domainPolicy as object | undefined) ?? {}), winrmClientAllowCredSSP: 1, gpoName: 'Estate CredSSP' };
      return ['client-credssp-gpo'];
    case 'client-delegates':
      h.localPolicy = policy({ '1': `wsman/${liveHost}.${domain}` });
      return ['client-delegates'];
    case 'wildcard-entry':
      h.localPolicy = policy({ '1': `wsman/*.${domain}` });
      return ['client-delegates', 'wildcard-entry'];
    case 'duplicate-entry':
      // written by a script straight into the registry, twice (no de-duplication, as Enable-WSManCredSSP)
      h.registryValues = [
        { key: CD, name: 'AllowFreshCredentials', type: 'DWord', data: 1 },
        { key: `${CD}\\AllowFreshCredentials`, name: '1', type: 'String', data: `wsman/${liveHost}.${domain}` },
        { key: `${CD}\\AllowFreshCredentials`, name: '2', type: 'String', data: `wsman/${liveHost}.${domain}` },
      ];
      return ['client-delegates', 'duplicate-entry'];
    case 'stale-entry':
      h.localPolicy = policy({ '1': `wsman/retired-${String(h.name)}.${domain}` });
      return ['client-delegates', 'stale-entry'];
    case 'ntlm-list':
      h.localPolicy = { freshNtlm: { allow: 1, concatenate: 1, entries: { '1': `wsman/${liveHost}` } } };
      return ['client-delegates'];
    case 'encryption-oracle-vulnerable':
      h.encryptionOracle = 2;
      return ['encryption-oracle-vulnerable'];
    case 'unreachable':
      h.reachable = false;
      return ['unreachable'];
    case 'access-denied':
      h.admins = [];
      return ['access-denied'];
  }
}

export interface EstateOptions {
  hosts: number;
  seed?: number;
  /** Lab-wide latency per connection (ms). */
  latencyMs?: number;
  /** Share of hosts that carry something (the rest are clean); default 0.5. */
  dirty?: number;
  /** Names in the list that no longer exist (not-found); default max(1, hosts/25). */
  missing?: number;
}

export function generateEstate(options: EstateOptions): Estate {
  const rnd = prng(options.seed ?? 14);
  const domain = 'estate.pri';
  const n = options.hosts;
  const dirty = options.dirty ?? 0.5;
  const hosts: LabHost[] = [{ name: 'scan1', currentUser: 'ESTATE\\Administrator' }];
  const names: string[] = [];
  const expected: Record<string, FindingKind[]> = {};
  for (let i = 1; i <= n; i += 1) {
    const name = `${i % 3 === 0 ? 'ws' : 'srv'}${String(i).padStart(4, '0')}`;
    const h: LabHost = { name };
    const kinds: FindingKind[] = [];
    // the first hosts carry one plant each, so every kind is there; then a seeded mix
    const plants: Plant[] = [];
    if (i <= PLANTS.length) plants.push(PLANTS[i - 1]!);
    else if (rnd() < dirty) {
      plants.push(PLANTS[Math.floor(rnd() * PLANTS.length)]!);
      if (rnd() < 0.3) {
        const second = PLANTS[Math.floor(rnd() * PLANTS.length)]!;
        // one plant per area of the machine: a second one that overwrites the first is skipped
        const area = (p: Plant): string => (p.startsWith('server') ? 'server' : p.startsWith('client-credssp') ? 'client' : p === 'encryption-oracle-vulnerable' ? 'oracle' : p === 'unreachable' || p === 'access-denied' ? 'conn' : 'lists');
        if (area(second) !== area(plants[0]!) && area(second) !== 'conn' && area(plants[0]!) !== 'conn') plants.push(second);
      }
    }
    for (const p of plants) kinds.push(...plantHost(h, p, domain, 'srv0001'));
    hosts.push(h);
    const listed = rnd() < 0.3 ? `${name}.${domain}` : name;
    names.push(listed);
    expected[listed] = kinds.sort();
  }
  const missing = options.missing ?? Math.max(1, Math.floor(n / 25));
  for (let j = 1; j <= missing; j += 1) {
    const gone = `gone${String(j).padStart(3, '0')}`;
    names.push(gone);
    expected[gone] = ['not-found'];
  }
  const lab: Estate['lab'] = {
    domain,
    client: 'scan1',
    accounts: [{ name: 'ESTATE\\Administrator' }],
    hosts,
  };
  if (options.latencyMs !== undefined) lab.latencyMs = options.latencyMs;
  return { lab, names, expected };
}

// As a script: write a lab file (and the expected findings beside it).
if (process.argv[1] && /estate-lab\.ts$/.test(process.argv[1])) {
  const [hostsArg, seedArg, out, latencyArg] = process.argv.slice(2);
  if (!hostsArg || !out) {
    console.error('usage: npx tsx tests/support/estate-lab.ts <hosts> <seed> <out.json> [latencyMs]');
    process.exit(2);
  }
  const e = generateEstate({ hosts: Number(hostsArg), seed: Number(seedArg ?? 14), latencyMs: latencyArg ? Number(latencyArg) : undefined });
  writeFileSync(out, `${JSON.stringify({ description: `Generated estate: ${hostsArg} hosts, seed ${seedArg ?? 14} (tests/support/estate-lab.ts).`, ...e.lab }, null, 2)}\n`);
  writeFileSync(out.replace(/\.json$/, '.names.txt'), `# Machines of ${out}\n${e.names.join('\n')}\n`);
}
