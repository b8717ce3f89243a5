// IPC handlers for profiles and their secrets. The router has validated each request against the
// contract before it gets here, and validates (and strips) each response after; these handlers
// still never put a secret into a response, an error or a log line.
import { AppError } from '../errors';
import type { HandlerGroup } from '../ipc/handler';
import type { KeychainProblem } from '../../shared/contract/profiles';
import { accountForRole, fieldsFromInput, type HopProfile, type SecretRole } from '../../shared/domain/profile';
import { createKeychain, type Keychain } from '../vault/keychain';
import { createVault, type Vault, type VaultLogEntry } from '../vault/vault';
import { exportProfiles, importProfiles, type ImportExportContext } from './import-export';
import { ProfileStore } from './store';

export type ProfileChannel =
  | 'profilesList'
  | 'profilesGet'
  | 'profilesSave'
  | 'profilesDuplicate'
  | 'profilesRename'
  | 'profilesDelete'
  | 'profilesImport'
  | 'profilesExport'
  | 'secretStatus'
  | 'secretSet'
  | 'secretDelete';

export interface ProfileHandlerDeps {
  store: ProfileStore;
  vault: Vault;
  context?: ImportExportContext;
}

const ROLES: readonly SecretRole[] = ['jump', 'target'];

/** Roles whose account differs between two versions of a profile (their stored secret no longer fits). */
export function rolesWithChangedAccount(before: HopProfile, after: HopProfile): SecretRole[] {
  return ROLES.filter((role) => (accountForRole(before, role) ?? '').toLowerCase() !== (accountForRole(after, role) ?? '').toLowerCase());
}

/** Forgets secrets of accounts that changed; a keychain failure is reported, not thrown. */
async function forgetChanged(vault: Vault, profileId: string, roles: SecretRole[]): Promise<KeychainProblem | undefined> {
  for (const role of roles) {
    const { keychainProblem } = await vault.delete({ profileId, role });
    if (keychainProblem) return keychainProblem;
  }
  return undefined;
}

function withProblem<T extends object>(value: T, problem: KeychainProblem | undefined): T & { keychainProblem?: KeychainProblem } {
  return problem === undefined ? value : { ...value, keychainProblem: problem };
}

export function createProfileHandlers(deps: ProfileHandlerDeps): HandlerGroup<ProfileChannel> {
  const { store, vault } = deps;

  async function profileWithRole(profileId: string, role: SecretRole): Promise<{ profile: HopProfile; account: string | null }> {
    const profile = await store.get(profileId);
    return { profile, account: accountForRole(profile, role) };
  }

  return {
    async profilesList(request) {
      const profiles = await store.list(request.query);
      return { profiles, notices: store.notices() };
    },

    async profilesGet(request) {
      return { profile: await store.get(request.id) };
    },

    async profilesSave(request) {
      const fields = fieldsFromInput(request.profile);
      if (request.id === undefined) {
        const profile = await store.create(fields);
        return { profile, created: true, secretsForgotten: [] };
      }
      const { before, after } = await store.update(request.id, fields, request.expectedUpdatedAt);
      const changed = rolesWithChangedAccount(before, after);
      const problem = await forgetChanged(vault, after.id, changed);
      return withProblem({ profile: after, created: false, secretsForgotten: problem === undefined ? changed : [] }, problem);
    },

    async profilesDuplicate(request) {
      const { source, copy } = await store.duplicate(request.id, request.name);
      if (!request.copySecrets) return { profile: copy };
      let problem: KeychainProblem | undefined;
      for (const role of ROLES) {
        if (accountForRole(copy, role) === null) continue;
        try {
          await vault.copy({ profileId: source.id, role }, { profileId: copy.id, role });
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          problem ??= { code: error.code === 'timeout' ? 'timeout' : 'keychain-unavailable', message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
        }
      }
      return withProblem({ profile: copy }, problem);
    },

    async profilesRename(request) {
      // The keychain entry is keyed by the profile's id, which a rename keeps: the secret stays put.
      return { profile: await store.rename(request.id, request.name) };
    },

    async profilesDelete(request) {
      const gone = await store.remove(request.id);
      const { keychainProblem } = await vault.deleteProfile(gone.id);
      if (keychainProblem === undefined) return { deleted: true as const, secretsRemoved: true };
      return {
        deleted: true as const,
        secretsRemoved: false,
        keychainProblem: {
          ...keychainProblem,
          message: `The profile was deleted, but its saved password could not be removed. ${keychainProblem.message}`,
          hint: `Remove the entries "profile:${gone.id}:jump" and "profile:${gone.id}:target" of "CredHop" with your keyring manager (Credential Manager on Windows).`,
        },
      };
    },

    async profilesImport(request) {
      const outcome = await importProfiles(
        store,
        request.content,
        {
          onConflict: request.onConflict,
          dryRun: request.dryRun,
          ...(request.decisions === undefined ? {} : { decisions: request.decisions }),
        },
        deps.context,
      );
      const warnings = [...outcome.warnings];
      for (const { before, after } of outcome.replaced) {
        const problem = await forgetChanged(vault, after.id, rolesWithChangedAccount(before, after));
        if (problem !== undefined) warnings.push(`"${after.name}": ${problem.message}`);
      }
      return { dryRun: outcome.dryRun, items: outcome.items, invalid: outcome.invalid, warnings };
    },

    async profilesExport(request) {
      return exportProfiles(store, request.ids, deps.context);
    },

    async secretStatus(request) {
      const { account } = await profileWithRole(request.profileId, request.role);
      if (account === null) return { profileId: request.profileId, role: request.role, account: null, stored: 'none' as const };
      const status = await vault.status({ profileId: request.profileId, role: request.role });
      return withProblem({ profileId: request.profileId, role: request.role, account, stored: status.stored }, status.keychainProblem);
    },

    async secretSet(request) {
      const { account } = await profileWithRole(request.profileId, request.role);
      if (account === null) {
        throw new AppError(
          'refused',
          'This profile uses the jump server account for the target too, so there is no separate target password to set.',
          'Add a target account to the profile first, or set the jump server password.',
        );
      }
      const result = await vault.set({ profileId: request.profileId, role: request.role }, request.password, request.remember);
      return withProblem({ profileId: request.profileId, role: request.role, stored: result.stored }, result.keychainProblem);
    },

    async secretDelete(request) {
      const { removed, keychainProblem } = await vault.delete({ profileId: request.profileId, role: request.role });
      return { profileId: request.profileId, role: request.role, removed, ...(keychainProblem ? { keychainProblem } : {}) };
    },
  };
}

export interface ProfileServices {
  store: ProfileStore;
  vault: Vault;
  keychain: Keychain;
  handlers: HandlerGroup<ProfileChannel>;
}

/** Wires store, keychain, vault and handlers for one data folder (the app and the CLI use the same). */
export function createProfileServices(options: {
  dataDir: string;
  keychain?: Keychain;
  keychainTimeoutMs?: number;
  log?: (entry: { event: string; detail?: string } | VaultLogEntry) => void;
}): ProfileServices {
  const log = options.log;
  const store = new ProfileStore({ dataDir: options.dataDir, ...(log ? { log } : {}) });
  const keychain = options.keychain ?? createKeychain(options.keychainTimeoutMs === undefined ? {} : { timeoutMs: options.keychainTimeoutMs });
  const vault = createVault({ keychain, ...(log ? { log } : {}) });
  return { store, vault, keychain, handlers: createProfileHandlers({ store, vault }) };
}
