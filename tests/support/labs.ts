// Lab files for tests: the article's lab (dc1 client, adfs1 jump server, mem2 target in company.pri)
// with per-host overrides. The format is documented in tests/lab/README.md.
export type LabHost = Record<string, unknown>;

export interface LabFile {
  domain?: string;
  client?: string;
  accounts?: ({ name: string; password?: string } | { name: string; salt: string; passwordSha256: string })[];
  hosts?: LabHost[];
}

export function articleLab(overrides: Record<string, LabHost> = {}, extra: Partial<LabFile> = {}): LabFile {
  const base: LabHost[] = [
    { name: 'dc1', address: '192.168.3.10' },
    { name: 'adfs1', address: '192.168.3.11' },
    { name: 'mem2', address: '192.168.3.12' },
  ];
  return {
    domain: 'company.pri',
    client: 'dc1',
    accounts: [{ name: 'COMPANY\\Administrator' }],
    hosts: base.map((h) => ({ ...h, ...(overrides[h.name as string] ?? {}) })),
    ...extra,
  };
}
