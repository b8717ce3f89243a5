// Adds up the results of every test layer into one closing line: "Total: N passed, N failed, N skipped".
const { existsSync, readFileSync } = require('node:fs');

const [vitestFile, pesterFile, playwrightFile, specFile] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
const lines = [];

function read(file) {
  if (!file || !existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

const v = read(vitestFile);
if (v) {
  passed += v.numPassedTests;
  failed += v.numFailedTests;
  skipped += v.numPendingTests + (v.numTodoTests ?? 0);
  lines.push(`vitest: ${v.numPassedTests} passed, ${v.numFailedTests} failed, ${v.numPendingTests} skipped`);
} else {
  failed += 1;
  lines.push('vitest: no results (the layer did not run)');
}

// Pester's two runs: the module's tests, and the Windows-behaviour spec against the lab (same summary format).
for (const [name, file] of [['pester', pesterFile], ['spec (lab)', specFile]]) {
  if (name !== 'pester' && file === undefined) continue;
  const p = read(file);
  if (p) {
    passed += p.passed;
    failed += p.failed;
    skipped += p.skipped ?? 0;
    lines.push(`${name}: ${p.passed} passed, ${p.failed} failed, ${p.skipped ?? 0} skipped`);
  } else {
    failed += 1;
    lines.push(`${name}: no results (the layer did not run)`);
  }
}

const w = read(playwrightFile);
if (w && w.stats) {
  const s = w.stats;
  passed += s.expected;
  failed += s.unexpected + (s.flaky ?? 0);
  skipped += s.skipped;
  lines.push(`playwright: ${s.expected} passed, ${s.unexpected + (s.flaky ?? 0)} failed, ${s.skipped} skipped`);
} else {
  failed += 1;
  lines.push('playwright: no results (the layer did not run)');
}

console.log('\n== Summary');
for (const line of lines) console.log(`  ${line}`);
console.log(`Total: ${passed} passed, ${failed} failed, ${skipped} skipped`);
