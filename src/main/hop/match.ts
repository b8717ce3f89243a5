// How Windows matches a delegation entry against the name CredHop connects with.
import type { DelegationList } from '../../shared/domain/hop';

/** `wsman/<name>` exactly as the user connects: Windows matches the name as typed, not its FQDN. */
export function spnFor(jumpServer: string): string {
  return `wsman/${jumpServer}`;
}

/** Does one policy entry (e.g. `wsman/*.company.pri`) allow delegating to `spn`? Case-insensitive, one wildcard. */
export function entryAllows(entry: string, spn: string): boolean {
  const e = entry.toLowerCase();
  const s = spn.toLowerCase();
  const slash = e.indexOf('/');
  if (slash < 0) return false;
  const [service, host] = [e.slice(0, slash), e.slice(slash + 1)];
  const [sService, sHost] = [s.slice(0, s.indexOf('/')), s.slice(s.indexOf('/') + 1)];
  if (service !== sService && service !== '*') return false;
  if (host === '*') return true;
  if (host.startsWith('*.')) return sHost.endsWith(host.slice(1)) && sHost.length > host.length - 1;
  return host === sHost;
}

/** Whether a list, as Windows reads it, allows delegating fresh credentials to `spn`. */
export function listAllows(list: DelegationList, spn: string): boolean {
  return list.allow === 1 && list.entries.some((e) => entryAllows(e.value, spn));
}

/** Entries exactly equal (case-insensitive) to `spn`. */
export function exactEntries(list: DelegationList, spn: string): DelegationList['entries'] {
  return list.entries.filter((e) => e.value.toLowerCase() === spn.toLowerCase());
}

function key(list: DelegationList): string {
  const entries = [...list.entries].map((e) => `${e.name}=${e.value.toLowerCase()}`).sort();
  return JSON.stringify([list.allow, list.concatenate, entries]);
}

/** True when the effective list is not what the local policy says: a domain GPO (or another tool) owns it. */
export function controlledElsewhere(effective: DelegationList, local: DelegationList): boolean {
  return key(effective) !== key(local);
}
