// Practice mode's shipped labs: both files exist where the layout says (source tree and packaged names
// match electron-builder's copy), and each lab keeps its own state folder, so choosing the managed
// workstation runs on it instead of on the state the article's lab left.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHIPPED_LABS, shippedLabFile } from '../../src/main/hop/practice';
import { appLayout } from '../../src/main/paths';
import { labStateDir } from '../../src/main/services';

describe('the shipped practice labs', () => {
  it('are the article lab, the managed workstation and the workstation without PowerShell 7, with their files in the app', () => {
    expect(SHIPPED_LABS.map((l) => l.id)).toEqual(['article', 'managed-workstation', 'windows-powershell-only']);
    const layout = appLayout(process.cwd());
    expect(existsSync(layout.defaultLabFile)).toBe(true);
    expect(existsSync(layout.managedLabFile)).toBe(true);
    expect(existsSync(layout.windowsPowerShellLabFile)).toBe(true);
    for (const l of SHIPPED_LABS) expect(existsSync(shippedLabFile(layout, l.id))).toBe(true);
    expect(appLayout('/app', true).managedLabFile).toBe(join('/app', 'lab', 'managed-workstation.json'));
  });

  it('each lab file has its own state folder; the article lab keeps the plain one', () => {
    const layout = appLayout('/app');
    expect(labStateDir('/data/practice', layout.defaultLabFile, layout.defaultLabFile)).toBe(join('/data/practice', 'lab-state'));
    const managed = labStateDir('/data/practice', layout.managedLabFile, layout.defaultLabFile);
    expect(managed).toMatch(/^\/data\/practice\/lab-state-[0-9a-f]{16}$/);
    expect(labStateDir('/data/practice', layout.managedLabFile, layout.defaultLabFile)).toBe(managed);
    expect(labStateDir('/data/practice', '/labs/mine.json', layout.defaultLabFile)).not.toBe(managed);
  });
});
