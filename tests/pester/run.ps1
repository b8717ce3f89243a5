<#
  Runs every *.Tests.ps1 in this folder with the project's Pester 5.7.1, except the lab's conformance files
  (Lab.*.Tests.ps1): they are the Windows-behaviour spec, which tests/spec/run.ps1 runs (once) against the lab.
  Usage (from the repo root): .tools/pwsh/pwsh -NoProfile -NonInteractive -File tests/pester/run.ps1
  Last line: "Pester: N passed, N failed" (", N skipped" only if any); exit code non-zero on any failure.
  -ResultFile <path> also writes {passed, failed, skipped} as JSON, for the test summary.
  Then the module's own test files run again with the lab's client as the other editions CredHop meets on
  Windows (Windows PowerShell 5.1 and PowerShell 7.4 LTS; CREDHOP_TEST_CLIENT_EDITION, see TestHelpers.ps1),
  each edition in a PowerShell of its own, started first so they use the second core while this one runs.
  -Edition runs only that pass (the child's call).
#>
param([string]$ResultFile, [ValidateSet('', '5.1', '7.4')][string]$Edition = '')
$ErrorActionPreference = 'Stop'
$repoRoot = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..'))
$pester = [System.IO.Path]::Combine($repoRoot, '.tools', 'nuget', 'pester', '5.7.1', 'tools', 'Pester.psd1')
if (-not [System.IO.File]::Exists($pester)) {
    [Console]::Out.WriteLine("Pester 5.7.1 not found at $pester (run: bash scripts/setup.sh)")
    [Console]::Out.WriteLine('Pester: 0 passed, 1 failed')
    exit 1
}
Import-Module $pester -Force
# The module's behaviour files, run again under each client edition (the promise flows run under every
# edition in the integration tests; these are the primitives one by one).
$editionFiles = @('CredHop.Module.Tests.ps1', 'CredHop.ScheduledRestore.Tests.ps1', 'CredHop.Secrets.Tests.ps1')
# The edition passes start now, in PowerShells of their own (their output is shown after this run's).
$children = @()
if (-not $Edition) {
    foreach ($e in '7.4', '5.1') {
        $base = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), "credhop-pester-$e-$PID")
        $p = Start-Process -FilePath ([System.IO.Path]::Combine($PSHOME, 'pwsh')) -ArgumentList @('-NoProfile', '-NonInteractive', '-File', ('"' + $PSCommandPath + '"'), '-Edition', $e, '-ResultFile', ('"' + $base + '.json"')) -RedirectStandardOutput ($base + '.out') -RedirectStandardError ($base + '.err') -NoNewWindow -PassThru
        $children += [pscustomobject]@{ Edition = $e; Process = $p; Base = $base }
    }
}
$cfg = New-PesterConfiguration
if ($Edition) {
    $env:CREDHOP_TEST_CLIENT_EDITION = $Edition
    $cfg.Run.Path = [string[]]@($editionFiles | ForEach-Object { [System.IO.Path]::Combine($PSScriptRoot, $_) })
}
else { $cfg.Run.Path = [string[]]@(Get-ChildItem -LiteralPath $PSScriptRoot -Filter '*.Tests.ps1' | Where-Object { $_.Name -notlike 'Lab.*' } | ForEach-Object FullName) }
$cfg.Run.PassThru = $true
$cfg.Output.Verbosity = 'Normal'
$result = Invoke-Pester -Configuration $cfg
$passed = [int]$result.PassedCount
$failed = [int]$result.FailedCount + [int]$result.FailedBlocksCount + [int]$result.FailedContainersCount
$skipped = [int]$result.SkippedCount
$ok = $failed -eq 0 -and $result.Result -eq 'Passed'
foreach ($c in $children) {
    $c.Process.WaitForExit()
    foreach ($f in @(('{0}.out' -f $c.Base), ('{0}.err' -f $c.Base))) { if ([System.IO.File]::Exists($f)) { [Console]::Out.Write([System.IO.File]::ReadAllText($f)); [System.IO.File]::Delete($f) } }
    $r = $null
    if ([System.IO.File]::Exists($c.Base + '.json')) { $r = Microsoft.PowerShell.Utility\ConvertFrom-Json -InputObject ([System.IO.File]::ReadAllText($c.Base + '.json')); [System.IO.File]::Delete($c.Base + '.json') }
    if ($null -eq $r) { $failed += 1; $ok = $false; [Console]::Out.WriteLine("Pester (client as $($c.Edition)): no result"); continue }
    $passed += [int]$r.passed; $failed += [int]$r.failed; $skipped += [int]$r.skipped
    if ([int]$r.failed -gt 0) { $ok = $false }
}
$label = if ($Edition) { "Pester (client as $Edition)" } else { 'Pester' }
$line = "${label}: $passed passed, $failed failed"
if ($skipped -gt 0) { $line += ", $skipped skipped" }
[Console]::Out.WriteLine($line)
if ($ResultFile) {
    $summary = [ordered]@{ passed = $passed; failed = $failed; skipped = $skipped }
    [System.IO.File]::WriteAllText([System.IO.Path]::GetFullPath($ResultFile), (ConvertTo-Json -Compress -InputObject $summary))
}
if (-not $ok) { exit 1 }
exit 0
