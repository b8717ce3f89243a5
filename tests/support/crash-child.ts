// A CredHop process that kills itself (SIGKILL: no clean-up, no flush beyond what the code already
// did) right after step k of a journal compaction or an audit rotation, so the crash tests can check
// what a real crash at each point leaves on disk. Run with `node --import tsx`.
//   compact <journalDir> <k> <nowIso>
//   rotate  <auditDir>   <k> <nowIso> <maxBytes> <entryJson>
//   restore <dataDir>    <k> <labFile>              (the password comes on stdin, never argv or a file)
//   apply   <dataDir>    <minutes> <labFile>         applies both steps of the article's hop (time box of
//                                                    <minutes>), then dies with SIGKILL: CredHop gone, changes on
import { readFileSync } from 'node:fs';
import { AuditLog, ROTATION_STEPS, type AuditEntry } from '../../src/main/hop/audit';
import { HopEngine } from '../../src/main/hop/engine';
import { COMPACTION_STEPS, Journal } from '../../src/main/hop/journal';
import { hopDataDir } from '../../src/main/hop/service';
import { createMainServices } from '../../src/main/services';

const [mode, dir, kText, ...rest] = process.argv.slice(2);
const k = Number(kText);
const killAt = (steps: readonly string[]) => (step: string) => {
  if (steps.indexOf(step) === k) process.kill(process.pid, 'SIGKILL');
};

async function main(): Promise<void> {
  if (!dir) throw new Error('usage: crash-child <mode> <dir> <k> ...');
  if (mode === 'compact') {
    new Journal(dir, { afterCompactionStep: killAt(COMPACTION_STEPS) }).compact(new Date(rest[0]!));
  } else if (mode === 'rotate') {
    const now = new Date(rest[0]!);
    const log = new AuditLog(dir, { now: () => now, maxBytes: Number(rest[1]), afterRotationStep: killAt(ROTATION_STEPS) });
    log.write(JSON.parse(rest[2]!) as AuditEntry);
  } else if (mode === 'restore') {
    const password = readFileSync(0, 'utf8');
    const services = createMainServices({ dataDir: dir, root: process.cwd(), practice: { labFile: rest[0]!, reset: false } });
    const practiceDir = hopDataDir(dir, true);
    const hop = new HopEngine({
      ps: services.engine()!,
      journal: new Journal(practiceDir, { afterCompactionStep: killAt(COMPACTION_STEPS) }),
      audit: new AuditLog(practiceDir),
      practice: true,
    });
    try {
      const report = await hop.restoreAll((b) => ({ userName: b.account, password }), 'crash test');
      if (!report.clean) throw new Error('the restore did not finish clean');
    } finally {
      await services.dispose();
    }
  } else if (mode === 'apply') {
    const password = readFileSync(0, 'utf8');
    const services = createMainServices({ dataDir: dir, root: process.cwd(), practice: { labFile: rest[0]!, reset: false } });
    const hop = services.hop()!;
    const t = { profileId: '00000000-0000-4000-8000-000000000001', profileName: 'Article lab', jumpServer: 'adfs1.company.pri', target: 'mem2.company.pri', account: 'COMPANY\\Administrator' };
    const credential = { userName: t.account, password };
    const checked = await hop.check(t, credential);
    const session = hop.beginSession(t, checked.snapshot!, k);
    await hop.apply('client', t, checked.plan!, session, credential);
    await hop.apply('server', t, checked.plan!, session, credential);
    process.kill(process.pid, 'SIGKILL');
  } else {
    throw new Error(`unknown mode ${String(mode)}`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(3);
  },
);
