# CredHop lab: the Service Control Manager, for the one service the lab models: WinRM.
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).
#
# Host state: host.winrm (bool, the service is Running) and host.winrmStartType
# ('Automatic' | 'Manual' | 'Disabled'). While WinRM is stopped on a host, connections TO it fail
# (CannotConnect) and its own WSMan: drive, Enable-/Disable-/Get-WSManCredSSP and TrustedHosts fail
# (see WSManDrive.ps1); outbound Invoke-Command/New-PSSession from it still work.
# Other service names: "Cannot find any service with service name '<name>'." (NoServiceFoundForGivenName).

$script:WinRMDisplayName = 'Windows Remote Management (WS-Management)'

function New-LabServiceObject {
    param($HostState)
    $status = if ($HostState.winrm) { 'Running' } else { 'Stopped' }
    $start = if ($HostState.winrmStartType) { [string]$HostState.winrmStartType } else { 'Automatic' }
    $o = [pscustomobject]@{
        Name                = 'WinRM'
        ServiceName         = 'WinRM'
        DisplayName         = $script:WinRMDisplayName
        Status              = [System.ServiceProcess.ServiceControllerStatus]$status
        StartType           = [System.ServiceProcess.ServiceStartMode]$start
        ServiceType         = 'Win32ShareProcess'
        CanStop             = ($status -eq 'Running')
        CanPauseAndContinue = $false
        MachineName         = '.'
        DependentServices   = @()
        ServicesDependedOn  = @('RPCSS', 'HTTP')
    }
    $o.PSObject.TypeNames.Insert(0, 'System.ServiceProcess.ServiceController')
    $o
}

function Get-LabServiceNames {
    # the names a -Name/-DisplayName/-InputObject argument refers to; $null entries = not the WinRM service
    param($Bound)
    $out = @()
    if ($Bound.ContainsKey('InputObject')) { foreach ($i in @($Bound.InputObject)) { $out += [string]$i.Name } }
    elseif ($Bound.ContainsKey('DisplayName')) { foreach ($n in @($Bound.DisplayName)) { if ($script:WinRMDisplayName -like $n) { $out += 'WinRM' } else { $out += "?$n" } } }
    elseif ($Bound.ContainsKey('Name')) { $out = @($Bound.Name | ForEach-Object { [string]$_ }) }
    $out
}

function New-LabNoServiceError {
    param([string]$Name, [string]$CmdType)
    $ex = [System.InvalidOperationException]::new("Cannot find any service with service name '$Name'.")
    New-LabErrorRecord $ex "NoServiceFoundForGivenName,Microsoft.PowerShell.Commands.$CmdType" 'ObjectNotFound' $Name
}

function New-LabServiceError {
    # ServiceCommandException does not exist in PowerShell on Linux; its message and id are kept
    param([string]$Verb, [string]$Inner, [string]$Id, [string]$CmdType, [int]$Win32)
    $w32 = [System.ComponentModel.Win32Exception]::new($Win32)
    $io = [System.InvalidOperationException]::new($Inner, $w32)
    $ex = [System.InvalidOperationException]::new("Service '$($script:WinRMDisplayName) (WinRM)' cannot be $Verb due to the following error: $Inner", $io)
    New-LabErrorRecord $ex "$Id,Microsoft.PowerShell.Commands.$CmdType" 'OpenError' 'WinRM'
}

function Invoke-LabService {
    param([string]$Verb, $Cmdlet, $Bound)
    Import-LabCallerPreference $Cmdlet $Bound
    $cmdType = ($Verb -replace '-', '') + 'Command'
    $state = Read-LabState -ReadOnly:($Verb -eq 'Get-Service')
    $h = Get-LabCtxHost $state
    $names = @(Get-LabServiceNames $Bound)
    if ($Verb -eq 'Get-Service' -and $names.Count -eq 0) { $names = @('*') }
    foreach ($n in $names) {
        $isWinRM = ('WinRM' -like $n) -and -not $n.StartsWith('?')
        if (-not $isWinRM) {
            if ([System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($n)) { continue }   # a wildcard that matches nothing: no error (as Windows)
            Write-LabError $Cmdlet (New-LabNoServiceError $n.TrimStart('?') $cmdType); continue
        }
        if ($Verb -eq 'Get-Service') { New-LabServiceObject $h; continue }
        if (-not (Test-LabElevated $state)) {
            $what = @{ 'Start-Service' = 'started'; 'Stop-Service' = 'stopped'; 'Set-Service' = 'configured' }[$Verb]
            $id = @{ 'Start-Service' = 'CouldNotStartService'; 'Stop-Service' = 'CouldNotStopService'; 'Set-Service' = 'CouldNotSetService' }[$Verb]
            Write-LabError $Cmdlet (New-LabServiceError $what "Cannot open WinRM service on computer '.'." $id $cmdType 5); continue
        }
        $want = $null
        if ($Verb -eq 'Start-Service') { $want = $true }
        elseif ($Verb -eq 'Stop-Service') { $want = $false }
        if ($Verb -eq 'Set-Service') {
            if ($Bound.ContainsKey('StartupType')) {
                $st = [string]$Bound.StartupType
                if ($st -eq 'AutomaticDelayedStart') { $st = 'Automatic' }
                if ($st -notin 'Automatic', 'Manual', 'Disabled') { Write-LabError $Cmdlet (New-LabErrorRecord ([System.ArgumentException]::new("The startup type '$st' is not modelled by the lab.")) 'CredHopLabNotModelled' 'NotImplemented' 'WinRM'); continue }
                $h.winrmStartType = $st
            }
            if ($Bound.ContainsKey('Status')) { $want = ([string]$Bound.Status -eq 'Running') }
        }
        if ($want -eq $true -and -not $h.winrm) {
            $start = if ($h.winrmStartType) { [string]$h.winrmStartType } else { 'Automatic' }
            if ($start -eq 'Disabled') {
                Save-LabState $state
                $id = if ($Verb -eq 'Set-Service') { 'CouldNotStartService' } else { 'CouldNotStartService' }
                Write-LabError $Cmdlet (New-LabServiceError 'started' "Cannot start service WinRM on computer '.'." $id $cmdType 1058); continue
            }
            $h.winrm = $true
        }
        elseif ($want -eq $false) { $h.winrm = $false }
        Save-LabState $state
        # fault injection (Add-CredHopLabFault {command: 'Start-Service'|'Stop-Service'|'Set-Service', path: 'WinRM'}): after the effect
        Invoke-LabWriteFault $Verb 'WinRM'
        if ($Bound.PassThru) { New-LabServiceObject $h }
    }
}

function Get-Service {
    [CmdletBinding(DefaultParameterSetName = 'Default')]
    param(
        [Parameter(ParameterSetName = 'Default', Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)][Alias('ServiceName')][string[]]$Name,
        [Parameter(ParameterSetName = 'DisplayName', Mandatory)][string[]]$DisplayName,
        [Parameter(ParameterSetName = 'InputObject', ValueFromPipeline)][object[]]$InputObject,
        [switch]$DependentServices, [switch]$RequiredServices, [string[]]$Include, [string[]]$Exclude
    )
    process { Invoke-LabService 'Get-Service' $PSCmdlet $PSBoundParameters }
}

function Start-Service {
    [CmdletBinding(DefaultParameterSetName = 'Default', SupportsShouldProcess)]
    param(
        [Parameter(ParameterSetName = 'Default', Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)][Alias('ServiceName')][string[]]$Name,
        [Parameter(ParameterSetName = 'DisplayName', Mandatory)][string[]]$DisplayName,
        [Parameter(ParameterSetName = 'InputObject', Mandatory, Position = 0, ValueFromPipeline)][object[]]$InputObject,
        [switch]$PassThru, [string[]]$Include, [string[]]$Exclude
    )
    process { Invoke-LabService 'Start-Service' $PSCmdlet $PSBoundParameters }
}

function Stop-Service {
    [CmdletBinding(DefaultParameterSetName = 'Default', SupportsShouldProcess)]
    param(
        [Parameter(ParameterSetName = 'Default', Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)][Alias('ServiceName')][string[]]$Name,
        [Parameter(ParameterSetName = 'DisplayName', Mandatory)][string[]]$DisplayName,
        [Parameter(ParameterSetName = 'InputObject', Mandatory, Position = 0, ValueFromPipeline)][object[]]$InputObject,
        [switch]$PassThru, [switch]$Force, [switch]$NoWait, [string[]]$Include, [string[]]$Exclude
    )
    process { Invoke-LabService 'Stop-Service' $PSCmdlet $PSBoundParameters }
}

function Set-Service {
    [CmdletBinding(DefaultParameterSetName = 'Name', SupportsShouldProcess)]
    param(
        [Parameter(ParameterSetName = 'Name', Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)][Alias('ServiceName', 'SN')][string]$Name,
        [Parameter(ParameterSetName = 'InputObject', Mandatory, Position = 0, ValueFromPipeline)][object]$InputObject,
        [Alias('StartMode', 'SM', 'ST', 'StartType')][ValidateSet('Automatic', 'Manual', 'Disabled', 'AutomaticDelayedStart')][string]$StartupType,
        [ValidateSet('Running', 'Stopped', 'Paused')][string]$Status,
        [string]$DisplayName, [string]$Description, [switch]$PassThru, [switch]$Force
    )
    process { Invoke-LabService 'Set-Service' $PSCmdlet $PSBoundParameters }
}
