// The command line's words for a diagnosis, as a new user reads them: a fix CredHop can apply names the
// command that applies it (the step, and the confirmation a weaker authentication needs).
import { describe, expect, it } from 'vitest';
import { diagnosisLines } from '../../src/cli/report';
import { diagnose, trustedHostsDiagnosis, type DiagnoseContext } from '../../src/main/hop/diagnose';

const ctx: DiagnoseContext = { jumpServer: 'adfs1.company.pri', target: 'mem2.company.pri', stage: 'jump' };
const applies = (lines: string[]) => lines.find((l) => l.startsWith('CredHop can apply this fix'));

describe('diagnosis lines on the command line', () => {
  it.each([
    ['E2 (the delegation list)', diagnose({ message: '', errorCode: -2144108125 }, ctx), '"credhop apply ... --step client"'],
    ['E3 (the NTLM-only list)', diagnose({ message: '', errorCode: -2144108124 }, ctx), '"credhop apply ... --step client --confirm-ntlm-only"'],
    ['E4 (the jump server\'s flag)', diagnose({ message: '', errorCode: 5, fullyQualifiedErrorId: 'AccessDenied,PSSessionStateBroken' }, { ...ctx, serverCredSSP: false }), '"credhop apply ... --step server"'],
    ['E5 (the client\'s flag)', diagnose({ message: '', errorCode: -2144108126 }, ctx), '"credhop apply ... --step client"'],
    ['TrustedHosts', trustedHostsDiagnosis({ jumpServer: '192.168.3.11', target: 'mem2', stage: 'jump', trustedHostsPolicyOwned: false }), '"credhop apply ... --confirm-ntlm-only"'],
  ])('%s: names the command that applies the fix', (_name, d, command) => {
    expect(applies(diagnosisLines(d))).toBe(`CredHop can apply this fix: run ${command} with the same --jump, --target and --account (or --profile).`);
  });

  it('offers no command when CredHop cannot fix it (a domain GPO owns the list)', () => {
    const lines = diagnosisLines(diagnose({ message: '', errorCode: -2144108125 }, { ...ctx, delegationPolicyManaged: true }));
    expect(applies(lines)).toBeUndefined();
    expect(lines.join('\n')).not.toMatch(/CredHop can apply/);
  });
});
