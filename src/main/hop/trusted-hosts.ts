// The client's WinRM TrustedHosts list as pure string operations. WinRM keeps it as one comma-separated
// string; CredHop adds exactly one entry at the end and, on restore, puts the string back exactly —
// or, when someone else changed it meanwhile, takes out only its own entry and keeps their edit.

/** The entries of a list, trimmed, without empty ones. */
export function trustedHostsEntries(list: string): string[] {
  return list.split(',').map((e) => e.trim()).filter((e) => e !== '');
}

/** Whether the list has exactly this entry (case-insensitive), as CredHop adds it. */
export function trustedHostsHas(list: string, entry: string): boolean {
  return trustedHostsEntries(list).some((e) => e.toLowerCase() === entry.toLowerCase());
}

/** Whether WinRM would trust `name` (as typed): an exact entry or a wildcard entry such as `*.company.pri` or `*`. */
export function trustedHostsAllows(list: string, name: string): boolean {
  const n = name.toLowerCase();
  return trustedHostsEntries(list).some((e) => {
    const p = e.toLowerCase();
    if (!p.includes('*')) return p === n;
    const re = new RegExp(`^${p.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    return re.test(n);
  });
}

/** The list with one entry added at the end, exactly as the module's SetTrustedHosts writes it. */
export function withTrustedHost(list: string, entry: string): string {
  if (trustedHostsHas(list, entry)) return list;
  return list === '' ? entry : `${list},${entry}`;
}

/** The list without these entries; every other entry stays exactly as written. */
export function withoutTrustedHosts(list: string, entries: readonly string[]): string {
  const drop = new Set(entries.map((e) => e.toLowerCase()));
  return list.split(',').filter((e) => !drop.has(e.trim().toLowerCase())).join(',');
}
