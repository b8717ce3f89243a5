<#
  Runs the Windows-behaviour spec against a subject, with the project's Pester 5.7.1.
    -Subject lab      (default) the lab, on any machine with PowerShell 7: every spec file.
    -Subject windows  this Windows machine (elevated, disposable; CREDHOP_SPEC_DISPOSABLE=1): the spec files
                      that joined the Windows subject (tests/spec/README.md); run it in powershell.exe (5.1) and pwsh (7).
  The spec: tests/pester/Lab.*.Tests.ps1 (the lab's conformance files, statements about Windows) and tests/spec/*.Tests.ps1.
  Every test skipped on this subject is listed with its reason. On Windows the whole run is also bracketed by a
  machine snapshot: what differs afterwards fails the run and is written to <ReportDir>.
  Last line: "Spec (<subject>, <edition>): N passed, N failed, N skipped". Exit code non-zero on any failure.
  Runs on Windows PowerShell 5.1 and PowerShell 7.
#>
param(
    [ValidateSet('lab', 'windows')][string]$Subject = 'lab',
    [string]$ResultFile,
    [string]$ReportDir,
    # Discovery only: lists what would run and what is skipped (with its reason) on the subject, changes
    # nothing and needs no Windows, so the Windows subject's selection can be checked anywhere.
    [switch]$ListOnly
)
$ErrorActionPreference = 'Stop'
$repoRoot = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..'))
$pester = [System.IO.Path]::Combine($repoRoot, '.tools', 'nuget', 'pester', '5.7.1', 'tools', 'Pester.psd1')
$edition = [string]$PSVersionTable.PSEdition
$label = "Spec ($Subject, PowerShell $($PSVersionTable.PSVersion) $edition)"
if (-not [System.IO.File]::Exists($pester)) {
    [Console]::Out.WriteLine("Pester 5.7.1 not found at $pester (Linux: bash scripts/setup.sh; Windows: see .github/workflows/windows.yml)")
    [Console]::Out.WriteLine("${label}: 0 passed, 1 failed")
    exit 1
}
$env:CREDHOP_SPEC_SUBJECT = $Subject

# The spec's files. On Windows only the files that joined the Windows subject (they dot-source Subject.ps1);
# the others are named, loudly, as not yet part of it.
$files = @(Get-ChildItem -LiteralPath ([System.IO.Path]::Combine($repoRoot, 'tests', 'pester')) -Filter 'Lab.*.Tests.ps1') +
         @(Get-ChildItem -LiteralPath $PSScriptRoot -Filter '*.Tests.ps1')
$run = @()
foreach ($f in $files) {
    $joined = [System.IO.File]::ReadAllText($f.FullName).Contains('Subject.ps1')
    if ($Subject -eq 'windows' -and -not $joined) {
        [Console]::Out.WriteLine("*** NOT RUN on Windows: $($f.Name) has not joined the Windows subject (tests/spec/README.md says how). ***")
        continue
    }
    $run += $f.FullName
}

if ($ReportDir) { $null = [System.IO.Directory]::CreateDirectory($ReportDir) }
$before = $null
if ($Subject -eq 'windows' -and -not $ListOnly) {
    . ([System.IO.Path]::Combine($PSScriptRoot, 'Subject.ps1'))
    Assert-SpecWindows
    $before = Get-SpecMachineState
    if ($ReportDir) { [System.IO.File]::WriteAllText([System.IO.Path]::Combine($ReportDir, "machine-before-$edition.json"), (ConvertTo-Json -InputObject $before -Depth 10)) }
}

Import-Module $pester -Force
$cfg = New-PesterConfiguration
$cfg.Run.Path = [string[]]$run
$cfg.Run.PassThru = $true
$cfg.Output.Verbosity = 'Normal'
if ($ListOnly) { $cfg.Run.SkipRun = $true; $cfg.Output.Verbosity = 'None' }
if ($ReportDir) {
    $cfg.TestResult.Enabled = $true
    $cfg.TestResult.OutputFormat = 'JUnitXml'
    $cfg.TestResult.OutputPath = [System.IO.Path]::Combine($ReportDir, "spec-$Subject-$edition.xml")
}
$result = Invoke-Pester -Configuration $cfg

function Get-SpecSkipReason {
    param($Test)
    $why = @()
    $node = $Test
    while ($null -ne $node) {
        $why += @($node.Tag | Where-Object { $_ -like 'Why:*' })
        $parent = $null
        if ($node.PSObject.Properties['Block']) { $parent = $node.Block } elseif ($node.PSObject.Properties['Parent']) { $parent = $node.Parent }
        $node = $parent
    }
    if ($why.Count -gt 0) { return $why[0].Substring(4).Trim() }
    'no reason given (add a ''Why: ...'' tag)'
}

if ($ListOnly) {
    $runs = 0; $skips = 0
    foreach ($t in @($result.Tests)) {
        if ($t.Skip) { $skips++; [Console]::Out.WriteLine("SKIP on ${Subject}: $($t.ExpandedPath) - $(Get-SpecSkipReason $t)") }
        else { $runs++; [Console]::Out.WriteLine("RUN  on ${Subject}: $($t.ExpandedPath)") }
    }
    [Console]::Out.WriteLine("${label}, list only: $runs would run, $skips skipped")
    exit 0
}

# Every skipped test with the reason its block gives (a 'Why: ...' tag), so a skip is never silent.
foreach ($t in @($result.Skipped)) {
    [Console]::Out.WriteLine("SKIPPED on ${Subject}: $($t.ExpandedPath) - $(Get-SpecSkipReason $t)")
}

$failed = [int]$result.FailedCount + [int]$result.FailedBlocksCount + [int]$result.FailedContainersCount
if ($null -ne $before) {
    # The whole run must leave the machine as it found it.
    $after = Get-SpecMachineState
    $left = @(Compare-SpecMachineState $before $after)
    if ($ReportDir) { [System.IO.File]::WriteAllText([System.IO.Path]::Combine($ReportDir, "machine-after-$edition.json"), (ConvertTo-Json -InputObject $after -Depth 10)) }
    if ($left.Count -gt 0) {
        $failed += 1
        [Console]::Out.WriteLine('*** The spec left this machine changed: ***')
        foreach ($l in $left) { [Console]::Out.WriteLine("  $l") }
    }
}
$line = "${label}: $($result.PassedCount) passed, $failed failed"
if ($result.SkippedCount -gt 0) { $line += ", $($result.SkippedCount) skipped" }
[Console]::Out.WriteLine($line)
if ($ResultFile) {
    $summary = New-Object System.Collections.Specialized.OrderedDictionary
    $summary['passed'] = [int]$result.PassedCount; $summary['failed'] = $failed; $summary['skipped'] = [int]$result.SkippedCount
    [System.IO.File]::WriteAllText([System.IO.Path]::GetFullPath($ResultFile), (ConvertTo-Json -Compress -InputObject $summary))
}
if ($failed -gt 0 -or $result.Result -ne 'Passed') { exit 1 }
exit 0
