#!/usr/bin/env node
// Runs Doyensec's Electronegativity on what CredHop ships (the built out/ plus package.json) and on
// its TypeScript sources, offline, and fails on every finding that security/electronegativity-accepted.json
// does not accept with a reason. It also fails when the scanner crashes, cannot parse a file, or finds
// nothing to scan: each of those would otherwise look like a clean pass.
//
//   node scripts/electronegativity.cjs            build (electron-vite), then scan
//   node scripts/electronegativity.cjs --no-build scan the out/ that is there
//
// Results: artifacts/electronegativity.json (every finding with its disposition) and one SARIF file
// per scan (artifacts/electronegativity-app.sarif, artifacts/electronegativity-src.sarif).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const ARTIFACTS = path.join(ROOT, 'artifacts');
const STAGE = path.join(ARTIFACTS, 'electronegativity', 'app');
const ACCEPTED_FILE = path.join(ROOT, 'security', 'electronegativity-accepted.json');
const PKG_DIR = path.dirname(require.resolve('@doyensec/electronegativity/package.json', { paths: [ROOT] }));

// The one check that needs the network: it downloads Electron's release list from GitHub and compares
// the app's Electron version to it (see dist/finder/checks/GlobalChecks/AvailableSecurityFixesGlobalCheck.js).
// ELECTRON_VERSION_JSON_CHECK, which it builds on, reads package.json only and stays on.
const NETWORK_CHECKS = ['AvailableSecurityFixesGlobalCheck'];

// Files of the built app the scan must have read, or it proves nothing.
const REQUIRED_BUILT = ['out/main/index.js', 'out/preload/index.js', 'out/renderer/index.html'];
// What electron-builder packages from out/ (electron-builder.json excludes out/e2e-preload, a test stand-in).
const SHIPPED_OUT_DIRS = ['main', 'preload', 'renderer'];

let finished = false;
process.on('exit', (code) => {
  if (!finished) {
    console.error(`Electronegativity: did not finish (exit code ${code}); treat this as a failure, not a pass.`);
    process.exitCode = code === 0 ? 1 : code;
  }
});

function die(message) {
  console.error(`electronegativity: ${message}`);
  finished = true;
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// No network. Electronegativity fetches updated translations from S3 on every run (locales/i18n.js,
// 1 s timeout, falls back to its bundled en-US) and the excluded check fetches Electron's releases.
// Both go through `got`; replace it, for the scanner's files only, with a stub that refuses at once
// and records what was asked, so an unexpected network use is a loud failure, not a hang.
const networkAttempts = [];
function refuse(url) {
  networkAttempts.push(String(url));
  return Promise.reject(new Error(`network disabled by scripts/electronegativity.cjs (${url})`));
}
const gotStub = Object.assign((url) => refuse(url), { head: refuse, get: refuse, stream: refuse });
const originalLoad = Module._load;
Module._load = function load(request, parent, isMain) {
  if (request === 'got' && parent && parent.filename && parent.filename.startsWith(PKG_DIR + path.sep)) return gotStub;
  return originalLoad.call(this, request, parent, isMain);
};
process.env.LANG = 'en-US';

// ---------------------------------------------------------------------------------------------
// Accepted findings.
function globToRegExp(glob) {
  let re = '';
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i += 1;
      if (glob[i + 1] === '/') i += 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function loadAccepted() {
  let raw;
  try {
    raw = JSON.parse(fs.readFileSync(ACCEPTED_FILE, 'utf8'));
  } catch (error) {
    die(`cannot read ${path.relative(ROOT, ACCEPTED_FILE)}: ${error.message}`);
  }
  if (!Array.isArray(raw)) die(`${path.relative(ROOT, ACCEPTED_FILE)} must be a JSON array`);
  return raw.map((entry, index) => {
    const where = `${path.relative(ROOT, ACCEPTED_FILE)}[${index}]`;
    if (typeof entry !== 'object' || entry === null) die(`${where} is not an object`);
    for (const key of ['check', 'file', 'reason']) {
      if (typeof entry[key] !== 'string' || entry[key].trim() === '') die(`${where} needs a non-empty "${key}"`);
    }
    if (entry.reason.trim().length < 20) die(`${where}: the reason is too short to explain anything`);
    if (entry.sample !== undefined && typeof entry.sample !== 'string') die(`${where}: "sample" must be a string`);
    return { ...entry, index, fileRe: globToRegExp(entry.file), used: 0 };
  });
}

// ---------------------------------------------------------------------------------------------
function build() {
  const pkg = require(path.join(ROOT, 'node_modules', 'electron-vite', 'package.json'));
  const bin = path.join(ROOT, 'node_modules', 'electron-vite', pkg.bin['electron-vite']);
  console.log('electronegativity: building with electron-vite');
  const result = spawnSync(process.execPath, [bin, 'build', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } });
  if (result.status !== 0) die(`electron-vite build failed (exit ${result.status}); nothing to scan`);
}

/** A copy of what the packaged app contains: package.json and the shipped parts of out/. */
function stageApp() {
  for (const rel of REQUIRED_BUILT) {
    if (!fs.existsSync(path.join(ROOT, rel))) die(`${rel} is missing; run \`npm run build\` first (or drop --no-build)`);
  }
  fs.rmSync(STAGE, { recursive: true, force: true });
  fs.mkdirSync(path.join(STAGE, 'out'), { recursive: true });
  for (const dir of SHIPPED_OUT_DIRS) fs.cpSync(path.join(ROOT, 'out', dir), path.join(STAGE, 'out', dir), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(STAGE, 'package.json'));
}

/**
 * Electronegativity 1.10.3 parses JavaScript with esprima, then Babel, then analyses scopes with
 * escope; that chain cannot read some ES2022 syntax (class private fields in Svelte's runtime).
 * A file it cannot read is a file it did not check, so such files are rewritten, in the staged copy
 * only, to ES2017 syntax with TypeScript's transpiler (same behaviour, older syntax) and scanned again.
 */
function lowerSyntax(file) {
  const ts = require(require.resolve('typescript', { paths: [ROOT] }));
  const source = fs.readFileSync(file, 'utf8');
  const out = ts.transpileModule(source, {
    fileName: path.basename(file),
    reportDiagnostics: false,
    compilerOptions: { target: ts.ScriptTarget.ES2017, module: ts.ModuleKind.ESNext, allowJs: true, removeComments: false, sourceMap: false },
  });
  fs.writeFileSync(file, out.outputText);
}

function electronVersion() {
  try {
    return require(require.resolve('electron/package.json', { paths: [ROOT] })).version;
  } catch {
    const pkg = require(path.join(ROOT, 'package.json'));
    const declared = (pkg.devDependencies && pkg.devDependencies.electron) || (pkg.dependencies && pkg.dependencies.electron);
    if (!declared) die('cannot tell which Electron version the app uses');
    return String(declared).replace(/^[^0-9]*/, '');
  }
}

async function listScannable(input) {
  const { list_files: listFiles } = require(path.join(PKG_DIR, 'dist', 'util'));
  const files = await listFiles(input);
  if (!Array.isArray(files)) die(`could not list the files under ${input}`);
  return files.map((f) => path.relative(input, f).split(path.sep).join('/'));
}

async function scanOnce(run, input, sarif, version) {
  const logged = [];
  const log = console.log;
  console.log = (...args) => {
    const line = args.join(' ');
    if (line !== 'Could not retrieve updated translations for the current locale') logged.push(line);
  };
  try {
    return await run({
      input,
      output: sarif,
      isSarif: true,
      customScan: [],
      excludeFromScan: NETWORK_CHECKS.map((c) => c.toLowerCase()),
      severitySet: undefined,
      confidenceSet: undefined,
      isRelative: true,
      isVerbose: true,
      electronUpgrade: undefined,
      electronVersionOverride: version,
      parserPlugins: [],
    });
  } finally {
    console.log = log;
    for (const line of logged) console.log(line);
  }
}

/** Scans `input` (a directory); `prefix` turns the scanner's relative paths into project paths. */
async function scan(name, input, prefix, options) {
  const run = require(PKG_DIR);
  const version = electronVersion();
  const files = await listScannable(input);
  if (files.length === 0) die(`${name}: found no files to scan under ${path.relative(ROOT, input) || '.'}`);
  for (const rel of options.required) {
    if (!files.includes(rel)) die(`${name}: ${prefix}${rel} was not among the scanned files`);
  }
  const sarif = path.join(ARTIFACTS, `electronegativity-${name}.sarif`);
  let result;
  const lowered = new Set();
  for (let attempt = 0; ; attempt += 1) {
    try {
      result = await scanOnce(run, input, sarif, version);
    } catch (error) {
      die(`${name}: Electronegativity crashed: ${error && error.stack ? error.stack : error}`);
    }
    if (!result || !Array.isArray(result.issues) || !Array.isArray(result.errors)) die(`${name}: Electronegativity returned no result`);
    if (result.atomicChecks === 0) die(`${name}: Electronegativity loaded no checks`);
    const unreadable = result.errors.filter((e) => !e.tolerable);
    if (unreadable.length === 0) break;
    const retry = unreadable.filter((e) => options.lower && !lowered.has(e.file));
    if (retry.length === 0 || attempt > 0) {
      for (const e of unreadable) console.error(`electronegativity: ${name}: could not read ${path.relative(ROOT, e.file)}: ${e.message}`);
      die(`${name}: ${unreadable.length} file(s) were not scanned; a partial scan is not a pass`);
    }
    for (const e of retry) {
      console.log(`electronegativity: ${name}: ${path.relative(input, e.file)} uses syntax the scanner cannot read (${e.message}); scanning an ES2017 copy`);
      lowerSyntax(e.file);
      lowered.add(e.file);
    }
  }
  for (const e of result.errors) console.log(`electronegativity: ${name}: parsed ${path.relative(ROOT, e.file)} with a warning: ${e.message}`);
  const loweredRel = new Set([...lowered].map((f) => path.relative(input, f).split(path.sep).join('/')));
  console.log(`electronegativity: ${name}: scanned ${files.length} files with ${result.atomicChecks} file checks and ${result.globalChecks} global checks (Electron ${version}; excluded: ${NETWORK_CHECKS.join(', ')})`);
  return result.issues.map((issue) => {
    const rel = issue.file === 'N/A' ? 'N/A' : String(issue.file).split(path.sep).join('/');
    return {
      scan: name,
      check: issue.id,
      file: rel === 'N/A' ? 'N/A' : prefix + rel,
      line: issue.location ? issue.location.line : 0,
      column: issue.location ? issue.location.column : 0,
      severity: issue.severity ? issue.severity.name : 'UNKNOWN',
      confidence: issue.confidence ? issue.confidence.name : 'UNKNOWN',
      manualReview: Boolean(issue.manualReview),
      description: String(issue.description || ''),
      sample: issue.sample ? String(issue.sample) : '',
      url: `https://github.com/doyensec/electronegativity/wiki/${issue.id}`,
      lowered: loweredRel.has(rel),
    };
  });
}

/** The flagged line as the scanner read it (the staged copy for the app scan, the source for src). */
function lineOf(finding) {
  if (finding.file === 'N/A' || !(finding.line > 0)) return finding.sample;
  const base = finding.scan === 'app' ? STAGE : ROOT;
  try {
    return fs.readFileSync(path.join(base, finding.file), 'utf8').split('\n')[finding.line - 1] || finding.sample;
  } catch {
    return finding.sample;
  }
}

async function main() {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--no-build');
  if (unknown.length > 0) die(`unknown argument(s): ${unknown.join(' ')}`);
  const accepted = loadAccepted();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  if (!args.includes('--no-build')) build();
  stageApp();

  const findings = [
    ...(await scan('app', STAGE, '', { required: [...REQUIRED_BUILT, 'package.json'], lower: true })),
    ...(await scan('src', path.join(ROOT, 'src'), 'src/', { required: ['main/index.ts', 'preload/index.ts', 'main/window/options.ts'], lower: false })),
  ];

  const unexpectedNetwork = networkAttempts.filter((url) => !url.includes('electronegativity-i18n'));
  if (unexpectedNetwork.length > 0) die(`a check tried to use the network although network checks are excluded: ${unexpectedNetwork.join(', ')}`);

  const results = findings.map((f) => {
    const code = lineOf(f);
    const match = accepted.find((a) => a.check === f.check && a.fileRe.test(f.file) && (a.sample === undefined || code.includes(a.sample)));
    if (match) match.used += 1;
    return { ...f, accepted: Boolean(match), reason: match ? match.reason : undefined, code: code.trim() };
  });

  const unaccepted = results.filter((r) => !r.accepted);
  const ok = results.filter((r) => r.accepted);
  const where = (r) => `${r.file}${r.file === 'N/A' ? '' : `:${r.line}:${r.column}`}${r.lowered ? ' (line in the ES2017 copy under artifacts/electronegativity/app)' : ''}`;

  for (const r of ok) {
    console.log(`accepted   ${r.check} at ${where(r)}\n           because: ${r.reason}`);
  }
  for (const r of unaccepted) {
    console.log(`UNACCEPTED ${r.check} (${r.severity}, ${r.confidence}${r.manualReview ? ', needs review' : ''}) at ${where(r)}`);
    console.log(`           ${r.description}`);
    if (r.code) console.log(`           code: ${r.code.slice(0, 200)}`);
    console.log(`           see ${r.url}; fix it, or accept it with a reason in security/electronegativity-accepted.json`);
  }
  for (const a of accepted.filter((x) => x.used === 0)) {
    console.log(`note: accepted entry ${a.index} (${a.check} in ${a.file}) matched nothing; remove it if the finding is gone`);
  }

  fs.writeFileSync(
    path.join(ARTIFACTS, 'electronegativity.json'),
    `${JSON.stringify({ tool: '@doyensec/electronegativity', excluded: NETWORK_CHECKS, findings: results }, null, 2)}\n`,
  );
  console.log(`Electronegativity: ${results.length} findings, ${ok.length} accepted, ${unaccepted.length} unaccepted`);
  finished = true;
  process.exitCode = unaccepted.length > 0 ? 1 : 0;
}

main().catch((error) => die(`crashed: ${error && error.stack ? error.stack : error}`));
