<#
  Everything the Windows-behaviour spec and the loopback hop may change on a machine, as one snapshot:
  read, compared and put back with Windows' own commands only, so the same code runs against the lab
  here (tests/spec/Spec.PutBack.Tests.ps1) and against Windows on the CI runner.
  Runs on Windows PowerShell 5.1 and PowerShell 7 (no 7-only syntax or parameters).
#>

# Policy keys the spec and CredHop write (read and put back as whole trees).
$SpecPolicyKeys = @(
    'SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation',
    'SOFTWARE\Policies\Microsoft\Windows\WinRM'
)
# WinRM's own keys: recorded in the snapshot for the reader, never written (WinRM owns them; the WSMan: drive
# puts the flags back) and left out of the comparison unless asked (-WithWinRMRegistry): WinRM may keep a
# default it was set back to as an explicit value, which is the same setting.
$SpecWinRMKeys = @(
    'SOFTWARE\Microsoft\Windows\CurrentVersion\WSMAN\Client',
    'SOFTWARE\Microsoft\Windows\CurrentVersion\WSMAN\Service'
)
# Single values the loopback hop sets (key, name).
$SpecSingleValues = @(
    @{ key = 'SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System'; name = 'LocalAccountTokenFilterPolicy' }
)
$SpecTaskPattern = 'CredHop*'

# PowerShell 7 on Windows loads the WSMan: drive only with its module (5.1 has it at start; the lab has its own).
if ([System.Environment]::OSVersion.Platform -eq 'Win32NT' -and -not (Get-PSDrive -Name WSMan -ErrorAction SilentlyContinue)) {
    Import-Module Microsoft.WSMan.Management -ErrorAction SilentlyContinue
}

function ConvertTo-SpecRegData {
    param($Value, [string]$Kind)
    if ($Kind -eq 'Binary') { return [Convert]::ToBase64String([byte[]]$Value) }
    if ($Kind -eq 'MultiString') { return , @([string[]]$Value) }
    if ($Kind -eq 'DWord' -or $Kind -eq 'QWord') { return [long]$Value }
    [string]$Value
}

function ConvertFrom-SpecRegData {
    param($Data, [string]$Kind)
    if ($Kind -eq 'Binary') { return , [Convert]::FromBase64String([string]$Data) }
    if ($Kind -eq 'MultiString') { return , [string[]]@($Data) }
    if ($Kind -eq 'DWord') { $l = [long]$Data; if ($l -gt [int]::MaxValue) { $l = $l - 4294967296 }; return [int]$l }
    if ($Kind -eq 'QWord') { return [long]$Data }
    [string]$Data
}

function Read-SpecRegTree {
    # key -> (value name -> {kind, data}) for a key and every subkey; an absent key gives nothing
    param([string]$Key, [System.Collections.IDictionary]$Into)
    $path = 'HKLM:\' + $Key
    if (-not (Test-Path -Path $path)) { return }
    $item = Get-Item -Path $path
    $values = [ordered]@{}
    foreach ($n in @($item.GetValueNames() | Sort-Object)) {
        $kind = [string]$item.GetValueKind($n)
        # ExpandString as written, not expanded (the lab's GetValue ignores the option)
        $raw = $item.GetValue($n, $null, 'DoNotExpandEnvironmentNames')
        $values[$n] = [ordered]@{ kind = $kind; data = (ConvertTo-SpecRegData $raw $kind) }
    }
    $Into[$Key] = $values
    foreach ($sub in @($item.GetSubKeyNames() | Sort-Object)) { Read-SpecRegTree ($Key + '\' + $sub) $Into }
}

function Read-SpecFileBase64 {
    param([string]$Path)
    if ([System.IO.File]::Exists($Path)) { return [Convert]::ToBase64String([System.IO.File]::ReadAllBytes($Path)) }
    $null
}

function Get-SpecGpoPaths {
    $gp = [System.IO.Path]::Combine($env:SystemRoot, 'System32', 'GroupPolicy')
    [ordered]@{ registryPol = [System.IO.Path]::Combine($gp, 'Machine', 'Registry.pol'); gptIni = [System.IO.Path]::Combine($gp, 'gpt.ini') }
}

function Get-SpecMachineState {
    # One snapshot, JSON-serialisable (the CI uploads the before/after pair).
    $state = [ordered]@{}
    $reg = [ordered]@{}
    foreach ($k in $SpecPolicyKeys) { Read-SpecRegTree $k $reg }
    $state.registry = $reg
    $winrmReg = [ordered]@{}
    foreach ($k in $SpecWinRMKeys) { Read-SpecRegTree $k $winrmReg }
    $state.winrmRegistry = $winrmReg
    $single = [ordered]@{}
    foreach ($v in $SpecSingleValues) {
        $vals = [ordered]@{}
        $path = 'HKLM:\' + $v.key
        if (Test-Path -Path $path) {
            $item = Get-Item -Path $path
            if (@($item.GetValueNames()) -contains $v.name) {
                $kind = [string]$item.GetValueKind($v.name)
                $vals = [ordered]@{ kind = $kind; data = (ConvertTo-SpecRegData ($item.GetValue($v.name)) $kind) }
            }
        }
        $single[$v.key + '\' + $v.name] = $vals
    }
    $state.values = $single
    $gpo = Get-SpecGpoPaths
    $state.localGpo = [ordered]@{ registryPol = (Read-SpecFileBase64 $gpo.registryPol); gptIni = (Read-SpecFileBase64 $gpo.gptIni) }
    $svc = Get-Service -Name WinRM
    $state.winrmService = [ordered]@{ status = [string]$svc.Status; startType = [string]$svc.StartType }
    $wsman = [ordered]@{ clientCredSSP = $null; serviceCredSSP = $null; trustedHosts = $null }
    if ($state.winrmService.status -eq 'Running') {
        # the WSMan: drive answers only while WinRM runs
        $wsman.clientCredSSP = [string](Get-Item -Path WSMan:\localhost\Client\Auth\CredSSP).Value
        $wsman.serviceCredSSP = [string](Get-Item -Path WSMan:\localhost\Service\Auth\CredSSP).Value
        $wsman.trustedHosts = [string](Get-Item -Path WSMan:\localhost\Client\TrustedHosts).Value
    }
    $state.wsman = $wsman
    $state.tasks = @(Get-ScheduledTask -TaskName $SpecTaskPattern -ErrorAction SilentlyContinue | ForEach-Object { [string]$_.TaskName } | Sort-Object)
    $restoreDir = [System.IO.Path]::Combine($env:ProgramData, 'CredHop', 'Restore')
    $state.restoreFolders = @()
    if ([System.IO.Directory]::Exists($restoreDir)) { $state.restoreFolders = @([System.IO.Directory]::GetDirectories($restoreDir) | ForEach-Object { [System.IO.Path]::GetFileName($_) } | Sort-Object) }
    $state
}

function ConvertTo-SpecFlatState {
    # path -> canonical JSON text of the value, so two snapshots compare line by line
    param($State)
    $flat = [ordered]@{}
    $json = ConvertTo-Json -InputObject $State -Depth 10 -Compress
    $obj = ConvertFrom-Json -InputObject $json
    Add-SpecFlat $flat '' $obj
    $flat
}

function Add-SpecFlat {
    param([System.Collections.IDictionary]$Flat, [string]$Prefix, $Value)
    if ($Value -is [System.Management.Automation.PSCustomObject]) {
        $names = @($Value.PSObject.Properties | ForEach-Object { $_.Name })
        if ($names.Count -eq 0) { $Flat[$Prefix] = '{}'; return }
        foreach ($n in $names) {
            $p = $n
            if ($Prefix) { $p = $Prefix + ' > ' + $n }
            Add-SpecFlat $Flat $p $Value.$n
        }
        return
    }
    $Flat[$Prefix] = ConvertTo-Json -InputObject $Value -Depth 10 -Compress
}

function Compare-SpecMachineState {
    # The differences between two snapshots, one line each ("path: before -> after"); none when equal.
    param($Before, $After, [switch]$WithWinRMRegistry)
    $b = ConvertTo-SpecFlatState $Before
    $a = ConvertTo-SpecFlatState $After
    $keys = @(@($b.Keys) + @($a.Keys) | Sort-Object -Unique)
    foreach ($k in $keys) {
        if (-not $WithWinRMRegistry -and $k.StartsWith('winrmRegistry')) { continue }
        $x = '(absent)'; $y = '(absent)'
        if ($b.Contains($k)) { $x = $b[$k] }
        if ($a.Contains($k)) { $y = $a[$k] }
        if ($x -cne $y) { "${k}: $x -> $y" }
    }
}

function Write-SpecFileBase64 {
    param([string]$Path, $Base64)
    if ($null -eq $Base64) {
        if ([System.IO.File]::Exists($Path)) { [System.IO.File]::Delete($Path) }
        return
    }
    $null = [System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($Path))
    [System.IO.File]::WriteAllBytes($Path, [Convert]::FromBase64String([string]$Base64))
}

function Restore-SpecRegTree {
    # Makes the trees under $Roots equal $Want (key -> values), removing what is not in it.
    param([System.Collections.IDictionary]$Want, [string[]]$Roots)
    $have = [ordered]@{}
    foreach ($r in $Roots) { Read-SpecRegTree $r $have }
    # keys that were not there: deepest first
    foreach ($k in @($have.Keys | Sort-Object -Property Length -Descending)) {
        if (-not $Want.Contains($k) -and (Test-Path -Path ('HKLM:\' + $k))) { Remove-Item -Path ('HKLM:\' + $k) -Recurse -Force }
    }
    foreach ($k in @($Want.Keys | Sort-Object -Property Length)) {
        $under = $false
        foreach ($r in $Roots) { if ($k -eq $r -or $k.StartsWith($r + '\')) { $under = $true } }
        if (-not $under) { continue }
        $path = 'HKLM:\' + $k
        if (-not (Test-Path -Path $path)) { $null = New-Item -Path $path -Force }
        $wantValues = $Want[$k]
        $haveValues = [ordered]@{}
        if ($have.Contains($k)) { $haveValues = $have[$k] }
        foreach ($n in @($haveValues.Keys)) { if (-not $wantValues.Contains($n)) { Remove-ItemProperty -Path $path -Name $n -Force } }
        foreach ($n in @($wantValues.Keys)) {
            $w = $wantValues[$n]
            $same = $haveValues.Contains($n) -and $haveValues[$n].kind -eq $w.kind -and ((ConvertTo-Json -InputObject $haveValues[$n].data -Compress) -ceq (ConvertTo-Json -InputObject $w.data -Compress))
            if (-not $same) { $null = New-ItemProperty -Path $path -Name $n -Value (ConvertFrom-SpecRegData $w.data $w.kind) -PropertyType $w.kind -Force }
        }
    }
}

function Restore-SpecMachineState {
    # Puts a snapshot back and returns what still differs (nothing when all is back). Order matters:
    # WinRM must run for the WSMan: drive; the local GPO is put back and re-applied before the registry
    # trees are made exact; the service's start type and status come last.
    param($Snapshot)
    $svc = Get-Service -Name WinRM
    if ([string]$svc.Status -ne 'Running') {
        if ([string]$svc.StartType -eq 'Disabled') { Set-Service -Name WinRM -StartupType Manual }
        Start-Service -Name WinRM
    }
    foreach ($t in @(Get-ScheduledTask -TaskName $SpecTaskPattern -ErrorAction SilentlyContinue)) {
        if (@($Snapshot.tasks) -notcontains [string]$t.TaskName) { Unregister-ScheduledTask -TaskName $t.TaskName -Confirm:$false }
    }
    $gpo = Get-SpecGpoPaths
    Write-SpecFileBase64 $gpo.registryPol $Snapshot.localGpo.registryPol
    Write-SpecFileBase64 $gpo.gptIni $Snapshot.localGpo.gptIni
    $null = gpupdate /target:computer /force
    Restore-SpecRegTree $Snapshot.registry $SpecPolicyKeys
    foreach ($v in $SpecSingleValues) {
        $want = $Snapshot.values[$v.key + '\' + $v.name]
        $path = 'HKLM:\' + $v.key
        if ($want.Count -eq 0) {
            if ((Test-Path -Path $path) -and (@((Get-Item -Path $path).GetValueNames()) -contains $v.name)) { Remove-ItemProperty -Path $path -Name $v.name -Force }
        } else {
            $null = New-ItemProperty -Path $path -Name $v.name -Value (ConvertFrom-SpecRegData $want.data $want.kind) -PropertyType $want.kind -Force
        }
    }
    if ($null -ne $Snapshot.wsman.clientCredSSP) {
        Set-Item -Path WSMan:\localhost\Client\Auth\CredSSP -Value $Snapshot.wsman.clientCredSSP -Force
        Set-Item -Path WSMan:\localhost\Service\Auth\CredSSP -Value $Snapshot.wsman.serviceCredSSP -Force
        Set-Item -Path WSMan:\localhost\Client\TrustedHosts -Value $Snapshot.wsman.trustedHosts -Force
    }
    if ([string](Get-Service -Name WinRM).StartType -ne $Snapshot.winrmService.startType) { Set-Service -Name WinRM -StartupType $Snapshot.winrmService.startType }
    if ($Snapshot.winrmService.status -ne 'Running') { Stop-Service -Name WinRM -Force }
    @(Compare-SpecMachineState $Snapshot (Get-SpecMachineState))
}
