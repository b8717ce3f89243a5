import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args';
import { hostileStrings } from '../support/hostile';

const hostile = hostileStrings('/tmp/credhop-cli-canary');

describe('command-line arguments', () => {
  it('takes file paths relative to the working directory (PowerShell runs in CredHop\'s own folder)', () => {
    const parsed = parseArgs(['status', '--lab', 'tests/lab/default-lab.json', '--computers', 'tests/lab/practice-estate.names.txt']);
    expect(parsed).toMatchObject({ ok: true, args: { lab: resolve('tests/lab/default-lab.json'), computers: resolve('tests/lab/practice-estate.names.txt'), practice: true } });
  });

  it('reads --version (and -V) as the version command', () => {
    expect(parseArgs(['--version'])).toMatchObject({ ok: true, args: { command: 'version' } });
    expect(parseArgs(['-V'])).toMatchObject({ ok: true, args: { command: 'version' } });
  });

  it('reads a full apply command', () => {
    const parsed = parseArgs(['apply', '--jump', 'adfs1.company.pri', '--target', 'mem2.company.pri', '--account', 'COMPANY\\Administrator', '--step', 'client', '--timebox=30', '--json', '--password-stdin']);
    expect(parsed).toMatchObject({ ok: true, args: { command: 'apply', jump: 'adfs1.company.pri', step: 'client', timebox: 30, json: true, passwordStdin: true, practice: false } });
  });

  it.each([
    [['frobnicate'], /Unknown command/],
    [['apply', '--jump'], /needs a value/],
    [['apply', '--jump', 'a', '--jump', 'b'], /twice/],
    [['apply', '--password', 'hunter2'], /Unknown option/],
    [['apply', '--timebox', '0'], /between 1 and 480/],
    [['apply', '--timebox', '481'], /between 1 and 480/],
    [['apply', '--timebox', '1e3'], /whole number/],
    [['apply', '--step', 'all'], /client, server or both/],
    [['apply', '--wildcard', 'wsman/adfs*'], /wsman\/\*\.company\.pri/],
    [['practice', '--lab', '/nonexistent/lab.json'], /no lab file/],
  ])('refuses %j with a message that says what is wrong', (argv, message) => {
    const parsed = parseArgs(argv);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it.each(['--jump', '--target', '--account', '--target-account', '--profile', '--lab', '--wildcard', '--timebox', '--step', '--pwsh'])(
    'refuses every hostile value for %s, or takes it only as a well-formed value',
    (flag) => {
      for (const value of hostile) {
        const parsed = parseArgs(['plan', flag, value]);
        if (parsed.ok) {
          // A profile name is free text that is only looked up, never run; it must still be one line.
          if (flag === '--profile') expect(value).not.toMatch(/[\0-\x1f]/);
          // Anything else is accepted only when it is a plain, valid value (e.g. a wildcard SPN).
          else expect(value).not.toMatch(/[\0\r\n;|&$`'"]/);
        } else {
          expect(parsed.message.length).toBeGreaterThan(5);
          expect(parsed.message).not.toContain('\n');
          expect(parsed.message).not.toContain('\0');
        }
      }
    },
  );

  it('never echoes a hostile value raw in its message', () => {
    const parsed = parseArgs(['plan', '--lab', 'x\u0000\n; rm -rf /']);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain('\\x00');
  });
});

describe('the command line speaks in commands and options', () => {
  it('turns the wizard\'s button words in hints into commands', async () => {
    const { cliHint } = await import('../../src/cli/run');
    expect(cliHint('Check that the machines answer, then try again. Clean up now puts back anything already changed.')).toBe(
      'Check that the machines answer, then try again. `credhop restore` puts back anything already changed.',
    );
    expect(cliHint('Enter it in the profile step (it can be kept for this run only).')).toBe('Pass it with --password-stdin.');
  });

  it('names the option a value refused by the module came from', async () => {
    const { refusedValue } = await import('../../src/cli/run');
    const parsed = parseArgs(['check', '--jump-server', 'adfs1.company.pri', '--target', 'mem2', '--account', 'COMPANY\\x']);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(refusedValue('payload.computerName: expected a DNS or NetBIOS name', parsed.args)).toBe('--jump: the value was refused: expected a DNS or NetBIOS name');
    expect(refusedValue('payload.arguments.target: expected a host name', parsed.args)).toMatch(/^--target: /);
    expect(refusedValue('payload.spn: expected wsman/<host>', parsed.args)).toMatch(/^--jump: /);
    expect(refusedValue('something else', parsed.args)).toBe('something else');
  });

  it('takes --jump-server as the same option as --jump, and names it as typed when refused', () => {
    const ok = parseArgs(['check', '--jump-server', 'adfs1.company.pri']);
    expect(ok.ok && ok.args.jump).toBe('adfs1.company.pri');
    const bad = parseArgs(['check', '--jump-server=adfs1..x']);
    expect(!bad.ok && bad.message).toMatch(/^--jump-server: /);
    expect(parseArgs(['check', '--jump', 'a', '--jump-server', 'b']).ok).toBe(false);
  });
});
