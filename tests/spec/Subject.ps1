<#
  The subject of the Windows-behaviour spec: the lab (the default) or the Windows machine this runs on.
  A spec file dot-sources this in BeforeDiscovery (so -Skip can use $SpecSkipLabOnly/$SpecSkipWindowsOnly)
  and gets the rest through TestHelpers.ps1. How a file joins the spec: tests/spec/README.md.
  Runs on Windows PowerShell 5.1 and PowerShell 7 (no 7-only syntax or parameters).
#>
$SpecSubject = 'lab'
if ($env:CREDHOP_SPEC_SUBJECT) { $SpecSubject = $env:CREDHOP_SPEC_SUBJECT.ToLowerInvariant() }
if ($SpecSubject -ne 'lab' -and $SpecSubject -ne 'windows') {
    throw "CREDHOP_SPEC_SUBJECT is 'lab' or 'windows', not '$($env:CREDHOP_SPEC_SUBJECT)'."
}
# 'Desktop' is Windows PowerShell 5.1, 'Core' is PowerShell 7. The lab runs on 7 here; its client then
# behaves as the edition the lab file gives it (tests/lab/README.md).
$SpecEdition = [string]$PSVersionTable.PSEdition
if (-not $SpecEdition) { $SpecEdition = 'Desktop' }
$SpecSkipLabOnly = $SpecSubject -ne 'lab'
$SpecSkipWindowsOnly = $SpecSubject -ne 'windows'

. ([System.IO.Path]::Combine($PSScriptRoot, 'MachineState.ps1'))

function Assert-SpecWindows {
    # The Windows subject changes machine policy: only on Windows, only elevated, only where asked to.
    if ([System.Environment]::OSVersion.Platform -ne 'Win32NT') { throw 'The Windows subject runs only on Windows (CREDHOP_SPEC_SUBJECT=windows).' }
    $id = [System.Security.Principal.WindowsIdentity]::GetCurrent()
    if (-not ([System.Security.Principal.WindowsPrincipal]$id).IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)) {
        throw 'The Windows subject needs an elevated PowerShell (it changes machine policy and puts it back).'
    }
    if ($env:CREDHOP_SPEC_DISPOSABLE -ne '1') {
        throw 'The Windows subject changes this machine and puts it back; run it only on a disposable machine and say so with CREDHOP_SPEC_DISPOSABLE=1.'
    }
}

function Initialize-SpecSubject {
    # Before a block: the lab gets a fresh default lab (this runspace is its client, dc1); Windows keeps a
    # snapshot of everything the spec may change, which Restore-SpecSubject puts back.
    if ($SpecSubject -eq 'lab') { $null = New-TestLab; return }
    Assert-SpecWindows
    # a stack: a BeforeEach snapshot inside a BeforeAll one (no $null from an unset variable)
    $script:SpecSnapshots = @($script:SpecSnapshots | Where-Object { $null -ne $_ }) + @(, (Get-SpecMachineState))
}

function Restore-SpecSubject {
    # After a block: Windows puts back the snapshot Initialize-SpecSubject took (the lab's state is thrown away).
    if ($SpecSubject -ne 'windows') { return }
    $all = @($script:SpecSnapshots | Where-Object { $null -ne $_ })
    if ($all.Count -eq 0) { return }
    $snap = $all[$all.Count - 1]
    $script:SpecSnapshots = @($all | Select-Object -First ($all.Count - 1))
    $left = @(Restore-SpecMachineState $snap)
    if ($left.Count -gt 0) { throw ("The spec could not put this machine back: " + ($left -join '; ')) }
}

function Get-SpecRegValues {
    # A registry key's values as name -> data, read with the item cmdlets (the lab's or Windows' own).
    param([string]$Key)
    $out = [ordered]@{}
    $path = 'HKLM:\' + $Key
    if (-not (Test-Path -Path $path)) { return $out }
    $item = Get-Item -Path $path
    foreach ($n in @($item.GetValueNames())) { $out[$n] = $item.GetValue($n) }
    $out
}

function Test-SpecRegKey { param([string]$Key) Test-Path -Path ('HKLM:\' + $Key) }

function Get-SpecPolRecords {
    # The local GPO's Registry.pol records as {key, name, data}, read from the file with CredHop's own reader.
    $product = Import-Module $script:ProductManifest -PassThru -Force
    $path = & $product { Get-CredHopPolPath }
    if (-not [System.IO.File]::Exists($path)) { return @() }
    $parsed = & $product { param($p) ConvertFrom-CredHopPolBytes ([System.IO.File]::ReadAllBytes($p)) $p } $path
    foreach ($r in $parsed.Records) {
        $data = $null
        if ($r.Type -eq 4 -and $r.Data.Length -eq 4) { $data = [BitConverter]::ToInt32($r.Data, 0) }
        elseif ($r.Type -eq 1 -or $r.Type -eq 2) { $data = [System.Text.Encoding]::Unicode.GetString($r.Data).TrimEnd([char]0) }
        [pscustomobject]@{ key = $r.Key; name = $r.Name; data = $data }
    }
}

function Get-SpecGptIni {
    $p = [System.IO.Path]::Combine($env:SystemRoot, 'System32', 'GroupPolicy', 'gpt.ini')
    if ([System.IO.File]::Exists($p)) { [System.IO.File]::ReadAllText($p) } else { '' }
}
