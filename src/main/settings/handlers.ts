// The settings channels. Practice mode and its lab file take effect at once: main restarts its
// PowerShell against the lab or the real machines (services.ts does the switch). Switching is refused
// while the current mode holds changes that are not restored, so nothing is left behind unseen.
import { statSync } from 'node:fs';
import type { EnvReport } from '../../shared/contract/env';
import type { Settings, SettingsView } from '../../shared/contract/settings';
import { AppError } from '../errors';
import type { HandlerGroup } from '../ipc/handler';
import type { SettingsStore } from './store';

export interface SettingsHandlerDeps {
  store: SettingsStore;
  /** Whether practice mode is on now. */
  practiceMode: () => boolean;
  /** The lab file practice mode uses (or would use with the given saved setting). */
  labFileFor: (saved: string | null) => string;
  /** The labs shipped with CredHop, with their files. */
  practiceLabs?: () => SettingsView['practiceLabs'];
  /** The environment report (PowerShell path and version). */
  environment: () => Promise<EnvReport>;
  /** How many journal sessions of the current mode are not yet restored. */
  openSessions: () => number;
  /** Restarts main's PowerShell in practice mode (with that lab file) or against real machines. */
  switchMode: (practice: { labFile: string } | false) => Promise<void>;
  /** True for the lab file check; injectable for tests. */
  isFile?: (path: string) => boolean;
}

function defaultIsFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function createSettingsHandlers(deps: SettingsHandlerDeps): HandlerGroup<'settingsGet' | 'settingsSave'> {
  const isFile = deps.isFile ?? defaultIsFile;

  const view = async (): Promise<SettingsView> => {
    const settings = deps.store.get();
    const env = await deps.environment();
    const notice = deps.store.notice;
    return {
      settings,
      practiceMode: deps.practiceMode(),
      effectiveLabFile: deps.labFileFor(settings.practiceLabFile),
      ...(deps.practiceLabs ? { practiceLabs: deps.practiceLabs() } : {}),
      powershell: env.powershell,
      file: deps.store.filePath,
      ...(notice ? { notice } : {}),
    };
  };

  return {
    settingsGet: async () => view(),

    settingsSave: async (request) => {
      const before = deps.store.get();
      const patch: Partial<Settings> = {};
      if (request.defaultTimeBoxMinutes !== undefined) patch.defaultTimeBoxMinutes = request.defaultTimeBoxMinutes;
      if (request.practiceLabFile !== undefined) {
        const path = request.practiceLabFile === null || request.practiceLabFile === '' ? null : request.practiceLabFile;
        if (path !== null && !isFile(path)) {
          throw new AppError('refused', `There is no lab file at ${path}.`, 'Check the path, or leave it empty to use the lab that comes with CredHop.');
        }
        patch.practiceLabFile = path;
      }
      if (request.practiceMode !== undefined) patch.practiceMode = request.practiceMode;
      if (request.auditRetentionDays !== undefined) patch.auditRetentionDays = request.auditRetentionDays;

      const wantPractice = patch.practiceMode ?? deps.practiceMode();
      const labChanged = patch.practiceLabFile !== undefined && patch.practiceLabFile !== before.practiceLabFile;
      const modeChanged = wantPractice !== deps.practiceMode();
      const restart = modeChanged || (wantPractice && labChanged);
      if (restart && deps.openSessions() > 0) {
        const where = deps.practiceMode() ? 'practice mode' : 'the real machines';
        throw new AppError(
          'refused',
          `CredHop still has changes on ${where} that are not restored, so it will not switch now.`,
          'Use Clean up now first, then switch.',
        );
      }
      const saved = await deps.store.update(patch);
      if (restart) await deps.switchMode(wantPractice ? { labFile: deps.labFileFor(saved.practiceLabFile) } : false);
      return view();
    },
  };
}
