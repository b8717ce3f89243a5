<#
  Runs every *.Tests.ps1 in this folder with the project's Pester 5.7.1, except the lab's conformance files
  (Lab.*.Tests.ps1): they are the Windows-behaviour spec, which tests/spec/run.ps1 runs (once) against the lab.
  Usage (from the repo root): .tools/pwsh/pwsh -NoProfile -NonInteractive -File tests/pester/run.ps1
  Last line: "Pester: N passed, N failed" (", N skipped" only if any); exit code non-zero on any failure.
  -ResultFile <path> also writes {passed, failed, skipped} as JSON, for the test summary.
#>
param([string]$ResultFile)
$ErrorActionPreference = 'Stop'
$repoRoot = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..'))
$pester = [System.IO.Path]::Combine($repoRoot, '.tools', 'nuget', 'pester', '5.7.1', 'tools', 'Pester.psd1')
if (-not [System.IO.File]::Exists($pester)) {
    [Console]::Out.WriteLine("Pester 5.7.1 not found at $pester (run: bash scripts/setup.sh)")
    [Console]::Out.WriteLine('Pester: 0 passed, 1 failed')
    exit 1
}
Import-Module $pester -Force
$cfg = New-PesterConfiguration
$cfg.Run.Path = [string[]]@(Get-ChildItem -LiteralPath $PSScriptRoot -Filter '*.Tests.ps1' | Where-Object { $_.Name -notlike 'Lab.*' } | ForEach-Object FullName)
$cfg.Run.PassThru = $true
$cfg.Output.Verbosity = 'Normal'
$result = Invoke-Pester -Configuration $cfg
$failed = [int]$result.FailedCount + [int]$result.FailedBlocksCount + [int]$result.FailedContainersCount
$line = "Pester: $($result.PassedCount) passed, $failed failed"
if ($result.SkippedCount -gt 0) { $line += ", $($result.SkippedCount) skipped" }
[Console]::Out.WriteLine($line)
if ($ResultFile) {
    $summary = [ordered]@{ passed = [int]$result.PassedCount; failed = $failed; skipped = [int]$result.SkippedCount }
    [System.IO.File]::WriteAllText([System.IO.Path]::GetFullPath($ResultFile), (ConvertTo-Json -Compress -InputObject $summary))
}
if ($failed -gt 0 -or $result.Result -ne 'Passed') { exit 1 }
exit 0
