#!/usr/bin/env bash
# Sets up (if needed) and runs every test CredHop has, in one go, then prints one total line.
# Layers: type checks, vitest (unit + integration on real pwsh, the lab and a real keychain inside a
# private D-Bus session), Pester (the lab and the PowerShell module on real pwsh), Playwright (the
# built renderer in Debian's Chromium; the Electron test reports itself skipped without a binary).
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh || { echo "test: setup failed"; exit 1; }
mkdir -p artifacts
export ELECTRON_SKIP_BINARY_DOWNLOAD=1

declare -a failed_layers=()
run_layer() {
  local name=$1; shift
  printf '\n== %s\n' "$name"
  if ! "$@"; then failed_layers+=("$name"); fi
}

run_layer "type checks" npm run --silent typecheck
run_layer "electronegativity" node scripts/electronegativity.cjs
run_layer "vitest (unit + integration, real keychain)" bash scripts/with-keyring.sh npx vitest run --reporter=default --reporter=json --outputFile.json=artifacts/vitest.json
run_layer "pester (lab + PowerShell module)" .tools/pwsh/pwsh -NoProfile -NonInteractive -File tests/pester/run.ps1 -ResultFile artifacts/pester.json
# The Windows-behaviour spec (the lab's conformance files) with the lab as its subject: the same files and runner
# the Windows workflow runs against Windows (.github/workflows/windows.yml). pester/run.ps1 leaves them out.
run_layer "spec (Windows behaviour, the lab as subject)" .tools/pwsh/pwsh -NoProfile -NonInteractive -File tests/spec/run.ps1 -Subject lab -ResultFile artifacts/spec.json
run_layer "workflow files (schema)" node scripts/validate-workflows.cjs
run_layer "playwright (renderer in Chromium, Electron)" npx playwright test
# The benchmark measures (bench/latest.md); it fails only if the flow itself breaks, never on a number.
# Five runs of both flows (the per-phase medians), a short soak (20 flows) and start-up over a simulated
# year; `npm run bench` runs the full 500-flow soak.
run_layer "benchmark" env BENCH_RUNS=5 BENCH_SOAK_FLOWS=20 BENCH_STARTUP_RUNS=5 BENCH_SCAN_HOSTS=20 BENCH_SCAN_LATENCY_MS=100 npx tsx --expose-gc scripts/bench.ts --no-build

node scripts/test-summary.cjs artifacts/vitest.json artifacts/pester.json artifacts/playwright.json artifacts/spec.json
if [ ${#failed_layers[@]} -gt 0 ]; then
  printf 'test: failed layers: %s\n' "${failed_layers[*]}"
  exit 1
fi
