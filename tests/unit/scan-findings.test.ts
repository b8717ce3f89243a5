// The scan's pure parts: the list of names (line numbers for bad lines, CSV columns), the findings from
// one machine's answer (including what the lab cannot show yet: CredHop's scheduled tasks), the export.
import { describe, expect, it } from 'vitest';
import { parseComputerList } from '../../src/main/scan/computers';
import { failureFinding, machineFindings } from '../../src/main/scan/findings';
import type { ScanItem } from '../../src/main/scan/raw';
import { scanCsv } from '../../src/shared/domain/scan-export';
import type { ScanReport } from '../../src/shared/domain/scan';

const item = (data: Record<string, unknown>, resolves: Record<string, boolean | null> = {}): ScanItem => ({ elapsedMs: 5, computer: 'srv1', ok: true, data: JSON.stringify({ computerName: 'srv1', ...data }), resolves });

describe('the list of machines', () => {
  it('reads one name a line, skips comments, blank lines and repeats, and reports bad lines by number', () => {
    const r = parseComputerList('# estate\nsrv1\n\nSRV1\nsrv2.company.pri\nbad name!\n10.0.0.1\n');
    expect(r.names).toEqual(['srv1', 'srv2.company.pri']);
    expect(r.problems.map((p) => p.line)).toEqual([6, 7]);
    expect(r.problems[1]!.message).toMatch(/Scan by computer name/);
  });
  it('reads the name column of a CSV (ComputerName or name), quotes and all', () => {
    expect(parseComputerList('Owner,ComputerName\nops,"srv1"\n"a, b",srv2\n').names).toEqual(['srv1', 'srv2']);
    expect(parseComputerList('name;site\nsrv3;x\n').names).toEqual(['srv3']);
    const none = parseComputerList('owner,site\nops,x\n');
    expect(none.names).toEqual([]);
    expect(none.problems[0]!.message).toMatch(/no column is called "name"/);
  });
});

describe('findings of one machine', () => {
  it('a clean machine has none', () => {
    const r = machineFindings('srv1', item({ serviceCredSSP: false, clientCredSSP: false, delegation: null, fresh: null, freshNtlm: null, oracle: null, localPolicy: [], tasks: [] }), []);
    expect(r.findings).toEqual([]);
    expect(r.credhopTasks).toEqual([]);
  });
  it('a CredHop restore task left on a machine is a finding with the exact unregister command', () => {
    const r = machineFindings('srv1', item({ tasks: ['CredHop restore 1234', 'Other task'] }), []);
    expect(r.findings.map((f) => f.kind)).toEqual(['credhop-task']);
    expect(r.findings[0]!.fix).toBe("Invoke-Command -ComputerName 'srv1' -ScriptBlock { Unregister-ScheduledTask -TaskName 'CredHop restore 1234' -Confirm:$false }");
  });
  it("the armed scheduled restore of a session still open is that session's, not a leftover", () => {
    const open = { session: '1234', profileName: 'Article lab', jumpServer: 'srv1', client: 'ws1' };
    const r = machineFindings('srv1', item({ tasks: ['CredHop restore 1234', 'CredHop restore 9999'] }), [open]);
    expect(r.findings.map((f) => [f.kind, f.kind === 'credhop-task' ? f.fix : f.session])).toEqual([
      ['credhop-task', "Invoke-Command -ComputerName 'srv1' -ScriptBlock { Unregister-ScheduledTask -TaskName 'CredHop restore 9999' -Confirm:$false }"],
      ['credhop-session', '1234'],
    ]);
  });
  it('quotes a hostile value name safely in the fix', () => {
    const r = machineFindings('srv1', item({ delegation: { AllowFreshCredentials: 1 }, fresh: { "1'; Remove-Item C:\\ -Recurse; '": 'wsman/*' } }), []);
    const w = r.findings.find((f) => f.kind === 'wildcard-entry')!;
    expect(w.fix).toContain("-Name '1''; Remove-Item C:\\ -Recurse; '''");
  });
  it('an entry whose name does not resolve is stale; one that resolves or cannot be told is not', () => {
    const data = { delegation: { AllowFreshCredentials: 1 }, fresh: { '1': 'wsman/gone.company.pri', '2': 'wsman/here.company.pri', '3': 'wsman/maybe.company.pri' } };
    const r = machineFindings('srv1', item(data, { 'gone.company.pri': false, 'here.company.pri': true, 'maybe.company.pri': null }), []);
    expect(r.findings.filter((f) => f.kind === 'stale-entry').map((f) => f.explanation)).toEqual([expect.stringContaining('gone.company.pri')]);
  });
  it('an answer that is not the scan script\'s is a failure, never a clean machine', () => {
    const r = machineFindings('srv1', { elapsedMs: 1, computer: 'srv1', ok: true, data: 'not json' }, []);
    expect(r.findings.map((f) => f.kind)).toEqual(['scan-failed']);
  });
  it('names a failure from its code, not its (localized) text', () => {
    expect(failureFinding('x', { message: 'Zugriff verweigert', errorCode: 5 }).kind).toBe('access-denied');
    expect(failureFinding('x', { message: '…', fullyQualifiedErrorId: 'ComputerNotFound,PSSessionStateBroken' }).kind).toBe('not-found');
    expect(failureFinding('x', { message: '…', errorCode: -2144108250 }).kind).toBe('unreachable');
  });
});

describe('the CSV export', () => {
  it('one row per finding, a row for a clean machine, and no cell a spreadsheet would run as a formula', () => {
    const report: ScanReport = {
      startedAt: 'a', finishedAt: 'b', practice: true, throttle: 32, total: 2, complete: true, inputProblems: [], stoppedBecause: null,
      machines: [
        { computer: 'srv1', status: 'answered', serviceCredSSP: true, clientCredSSP: false, entries: [], encryptionOracle: null, credhopTasks: null, elapsedMs: 1, findings: [{ kind: 'server-credssp', explanation: '=cmd|x', fix: 'fix "q"' }] },
        { computer: 'srv2', status: 'answered', serviceCredSSP: false, clientCredSSP: false, entries: [], encryptionOracle: null, credhopTasks: null, elapsedMs: 2, findings: [] },
      ],
    };
    const lines = scanCsv(report).trim().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toBe('"srv1","answered","server-credssp","Accepts CredSSP","\'=cmd|x","fix ""q"""');
    expect(lines[2]).toContain('"srv2","answered","none"');
  });
});
