# CredHop lab: the WSMan: drive (WinRM's configuration provider) of the current host.
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).
#
# Modelled leaves: Client\Auth\CredSSP and Service\Auth\CredSSP (the DWORD auth_credssp under
# HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WSMAN\{Client,Service}), Client\TrustedHosts
# (the string trusted_hosts under ...\WSMAN\Client, or a GPO's list); the other leaves read fixed defaults and cannot be set. The drive needs the
# host's WinRM service (Services.ps1) and starts a stopped one itself, as PowerShell's provider does (Start-LabWsmanDriveService);
# when it cannot, the call fails with the reference's text.

$script:WsmanNodes = [ordered]@{
    ''                       = @{ Leaf = $false; Children = @('localhost') }
    'localhost'              = @{ Leaf = $false; Children = @('MaxEnvelopeSizekb', 'MaxTimeoutms', 'Client', 'Service') }
    'localhost\Client'       = @{ Leaf = $false; Children = @('NetworkDelayms', 'URLPrefix', 'AllowUnencrypted', 'Auth', 'TrustedHosts') }
    'localhost\Service'      = @{ Leaf = $false; Children = @('AllowUnencrypted', 'Auth', 'AllowRemoteAccess') }
    'localhost\Client\Auth'  = @{ Leaf = $false; Children = @('Basic', 'Digest', 'Kerberos', 'Negotiate', 'Certificate', 'CredSSP') }
    'localhost\Service\Auth' = @{ Leaf = $false; Children = @('Basic', 'Kerberos', 'Negotiate', 'Certificate', 'CredSSP', 'CbtHardeningLevel') }
}
$script:WsmanFixed = @{
    Basic = 'false'; Digest = 'true'; Kerberos = 'true'; Negotiate = 'true'; Certificate = 'false'; CbtHardeningLevel = 'Relaxed'
    MaxEnvelopeSizekb = '500'; MaxTimeoutms = '60000'; NetworkDelayms = '5000'; URLPrefix = 'wsman'; AllowUnencrypted = 'false'; AllowRemoteAccess = 'true'
}
$script:TrustedHostsCaption = 'WinRM Security Configuration.'
$script:TrustedHostsQuery = 'This command modifies the TrustedHosts list for the WinRM client. The computers in the TrustedHosts list might not be authenticated. The client might send credential information to these computers. Are you sure that you want to modify this list?'

function Get-LabWsmanNode {
    # @{ Path; Leaf; Name; Parent; Role } with canonical case, or $null
    param([string]$Sub)
    foreach ($k in $script:WsmanNodes.Keys) { if ($k -ieq $Sub) { return @{ Path = $k; Leaf = $false; Name = $(if ($k) { $k.Substring($k.LastIndexOf('\') + 1) } else { '' }); Parent = $null } } }
    $i = $Sub.LastIndexOf('\')
    if ($i -lt 0) { return $null }
    $parent = $Sub.Substring(0, $i); $leaf = $Sub.Substring($i + 1)
    foreach ($k in $script:WsmanNodes.Keys) {
        if ($k -ine $parent) { continue }
        foreach ($c in $script:WsmanNodes[$k].Children) {
            if ($c -ieq $leaf) {
                return @{ Path = "$k\$c"; Leaf = $true; Name = $c; Parent = $k; Role = $(if ($k -like 'localhost\Client*') { 'Client' } else { 'Service' }) }
            }
        }
    }
    $null
}

function Get-LabTrustedHostsPolicy {
    # the GPO-owned list (HKLM\SOFTWARE\Policies\Microsoft\Windows\WinRM\Client TrustedHosts=1 + TrustedHostsList) or $null
    param($HostState)
    $on = Get-LabRegValue $HostState $script:KeyWinRMPolicyClient 'TrustedHosts'
    if ($null -eq $on -or [int]$on.data -ne 1) { return $null }
    $l = Get-LabRegValue $HostState $script:KeyWinRMPolicyClient 'TrustedHostsList'
    if ($null -eq $l) { return '' }
    [string]$l.data
}

function Get-LabTrustedHosts {
    param($HostState)
    $p = Get-LabTrustedHostsPolicy $HostState
    if ($null -ne $p) { return $p }
    $v = Get-LabRegValue $HostState $script:KeyWsmanClient 'trusted_hosts'
    if ($null -eq $v) { return '' }
    [string]$v.data
}

function Set-LabTrustedHostsRaw {
    # the local list, stored as WinRM keeps it: the string trusted_hosts under ...\WSMAN\Client (an
    # empty list is stored as no value, so a list set back to empty leaves the registry as it was)
    param($HostState, [string]$Value)
    if ($Value -eq '') { $null = Remove-LabRegValue $HostState $script:KeyWsmanClient 'trusted_hosts'; return }
    Set-LabRegValue $HostState $script:KeyWsmanClient 'trusted_hosts' 'String' $Value
}

function Test-LabTrustedHost {
    # WinRM matches the destination name as typed against each comma-separated entry (wildcards allowed)
    param($HostState, [string]$Name)
    foreach ($e in (Get-LabTrustedHosts $HostState).Split(',')) {
        $t = $e.Trim()
        if ($t -and $Name -like $t) { return $true }
    }
    $false
}

function New-LabWsmanObject {
    param($HostState, $Node)
    if ($Node.Leaf) {
        $src = ''
        if ($Node.Name -eq 'CredSSP') {
            $val = ([string](Get-LabWinRMFlag $HostState $Node.Role)).ToLowerInvariant()
            if ($null -ne (Get-LabWinRMPolicy $HostState $Node.Role)) { $src = 'GPO' }
        }
        elseif ($Node.Path -eq 'localhost\Client\TrustedHosts') {
            $val = Get-LabTrustedHosts $HostState
            if ($null -ne (Get-LabTrustedHostsPolicy $HostState)) { $src = 'GPO' }
        }
        else { $val = $script:WsmanFixed[$Node.Name] }
        $o = [pscustomobject]@{ WSManConfig = "Microsoft.WSMan.Management\WSMan::$($Node.Parent)"; Name = $Node.Name; Value = $val; Type = 'System.String'; SourceOfValue = $src; PSPath = "Microsoft.WSMan.Management\WSMan::$($Node.Path)"; PSChildName = $Node.Name; PSIsContainer = $false }
        $o.PSObject.TypeNames.Insert(0, 'Microsoft.WSMan.Management.WSManConfigLeafElement')
        return $o
    }
    $o = [pscustomobject]@{ Name = $Node.Name; Type = 'Container'; Keys = @(); PSPath = "Microsoft.WSMan.Management\WSMan::$($Node.Path)"; PSChildName = $Node.Name; PSIsContainer = $true }
    $o.PSObject.TypeNames.Insert(0, 'Microsoft.WSMan.Management.WSManConfigContainerElement')
    $o
}

function Assert-LabWsmanService {
    # the drive talks to the local WinRM service; stopped -> the reference's text (ERROR_WSMAN_DESTINATION_UNREACHABLE)
    param($Cmdlet, $HostState, [string]$Display, [string]$CmdType)
    if ($HostState.winrm) { return $true }
    $ex = [System.InvalidOperationException]::new($script:Texts.NoService)
    Write-LabError $Cmdlet (New-LabErrorRecord $ex "System.InvalidOperationException,Microsoft.PowerShell.Commands.$CmdType" 'InvalidOperation' $Display)
    $false
}

function Start-LabWsmanDriveService {
    # PowerShell's WSMan provider (ConfigProvider.cs: CheckValidContainerOrPath, which ItemExists runs for
    # every cmdlet that resolves a path, and NewItem/SetItem/RemoveItem/GetChildItems) starts a stopped
    # WinRM on this computer by running `Restart-Service WinRM -Force` (StartWSManService): at once when
    # the call has -Force, otherwise after a ShouldContinue "Start WinRM Service" prompt; not elevated, the
    # elevation error comes first. "No" ends the call with WinRMServiceError. A prompt that cannot be shown
    # (a -NonInteractive or host-less PowerShell: "PowerShell is in NonInteractive mode...") throws, and the
    # provider swallows that throw (catch CmdletInvocationException), so the service stays stopped and the
    # call goes on to fail as if nothing was tried. A Disabled service: Restart-Service fails inside that
    # script, the provider does not look, and the call fails the same way. $false: an error was raised.
    param($Cmdlet, $State, $HostState, $Bound, [string]$Display, [string]$CmdType)
    if ($HostState.winrm) { return $true }
    $id = "System.InvalidOperationException,Microsoft.PowerShell.Commands.$CmdType"
    if (-not (Test-LabElevated $State)) {
        Stop-LabCommand $Cmdlet (New-LabErrorRecord ([System.InvalidOperationException]::new($script:Texts.E10)) $id 'InvalidOperation' $Display)
    }
    $go = [bool]$Bound.Force
    if (-not $go) {
        try { $go = $Cmdlet.ShouldContinue($script:Texts.WinRMStartQuery, $script:Texts.WinRMStartCaption) }
        catch { return $true }
        if (-not $go) { Stop-LabCommand $Cmdlet (New-LabErrorRecord ([System.InvalidOperationException]::new($script:Texts.WinRMServiceError)) $id 'InvalidOperation' $Display) }
    }
    $w = Read-LabState
    $wh = Get-LabCtxHost $w
    if ([string]$wh.winrmStartType -eq 'Disabled') { return $true }
    $wh.winrm = $true
    Save-LabState $w
    $HostState.winrm = $true
    $true
}

function Set-LabTrustedHosts {
    param($Cmdlet, $State, $HostState, $Bound, [string]$Display, [string]$CmdType, [switch]$Clear)
    # WinRM takes TrustedHosts only as a string (ConfigProvider.SetItem: TrustedHostValueTypeError for an
    # array, a bool, a number...; the text names System.Object[] whatever the type was)
    if (-not $Clear -and -not ($Bound.Value -is [string])) {
        Stop-LabCommand $Cmdlet (New-LabErrorRecord ([System.InvalidOperationException]::new($script:Texts.TrustedHostType)) "System.InvalidOperationException,Microsoft.PowerShell.Commands.$CmdType" 'InvalidOperation' $Display)
    }
    if (-not (Test-LabElevated $State)) {
        Write-LabError $Cmdlet (New-LabErrorRecord ([System.UnauthorizedAccessException]::new('Access is denied.')) "System.UnauthorizedAccessException,Microsoft.PowerShell.Commands.$CmdType" 'PermissionDenied' $Display); return $false
    }
    if ($null -ne (Get-LabTrustedHostsPolicy $HostState)) {
        $ex = [System.InvalidOperationException]::new($script:Texts.W1.Replace('CredSSP', 'TrustedHosts'))
        Write-LabError $Cmdlet (New-LabErrorRecord $ex "System.InvalidOperationException,Microsoft.PowerShell.Commands.$CmdType" 'InvalidOperation' $Display); return $false
    }
    if (-not $Bound.Force -and -not $Cmdlet.ShouldContinue($script:TrustedHostsQuery, $script:TrustedHostsCaption)) { return $false }
    $new = if ($Clear) { '' } else { [string]$Bound.Value }
    $cur = Get-LabTrustedHosts $HostState
    if ($Bound.Concatenate -and $cur -ne '' -and $new -ne '') { $new = $cur + ',' + $new }
    elseif ($Bound.Concatenate -and $new -eq '') { $new = $cur }
    Set-LabTrustedHostsRaw $HostState $new
    $true
}

function Invoke-LabWsmanItem {
    # writes go to the host state; each one adds its path to $FaultChecks (the caller saves when any did)
    param([string]$Verb, $Cmdlet, $Bound, $State, $HostState, $PathInfo, [System.Collections.Generic.List[string]]$FaultChecks)
    $cmdType = ($Verb -replace '-', '') + 'Command'
    $disp = $PathInfo.Display
    $node = Get-LabWsmanNode $PathInfo.Sub
    # every path this computer's WinRM answers for (not the drive's root) goes through the provider's ItemExists first
    if ($PathInfo.Sub -like 'localhost*' -and -not (Start-LabWsmanDriveService $Cmdlet $State $HostState $Bound $disp $cmdType)) { return }
    if ($Verb -eq 'Test-Path') {
        $ok = ($null -ne $node) -and [bool]$HostState.winrm
        if ($ok -and $Bound.PathType -eq 'Leaf') { $ok = $node.Leaf }
        if ($ok -and $Bound.PathType -eq 'Container') { $ok = -not $node.Leaf }
        $Cmdlet.WriteObject($ok); return
    }
    if (-not (Assert-LabWsmanService $Cmdlet $HostState $disp $cmdType)) { return }
    if ($null -eq $node) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType); return }
    switch ($Verb) {
        'Get-Item' { $Cmdlet.WriteObject((New-LabWsmanObject $HostState $node)); return }
        'Get-ChildItem' {
            if ($node.Leaf) { $Cmdlet.WriteObject((New-LabWsmanObject $HostState $node)); return }
            foreach ($c in $script:WsmanNodes[$node.Path].Children) {
                $p = if ($node.Path) { "$($node.Path)\$c" } else { $c }
                $o = New-LabWsmanObject $HostState (Get-LabWsmanNode $p)
                if ($Bound.Name) { $Cmdlet.WriteObject($o.Name) } else { $Cmdlet.WriteObject($o) }
            }
            return
        }
        'Get-ItemPropertyValue' {
            # WSMan:\...\Auth -Name CredSSP reads the leaf's Value; a leaf path with -Name Value reads its own
            foreach ($n in @($Bound.Name)) {
                $leaf = if ($node.Leaf) { $node } else { Get-LabWsmanNode ($node.Path + '\' + $n) }
                if ($null -eq $leaf -or ($node.Leaf -and $n -ine 'Value')) {
                    Write-LabError $Cmdlet (New-LabErrorRecord ([System.Management.Automation.PSArgumentException]::new("Property $n does not exist at path $disp.")) "System.Management.Automation.PSArgumentException,Microsoft.PowerShell.Commands.$cmdType" 'InvalidArgument' $n); continue
                }
                $Cmdlet.WriteObject((New-LabWsmanObject $HostState $leaf).Value)
            }
            return
        }
        { $_ -in 'Set-Item', 'Clear-Item' } {
            # ConfigProvider.SetItem, in its order: no value; the drive's root or a host (not a setting);
            # ShouldProcess (-WhatIf/-Confirm); then the setting's own checks (Clear-Item sets '' unchecked)
            $setId = "System.InvalidOperationException,Microsoft.PowerShell.Commands.$cmdType"
            if ($Verb -eq 'Set-Item' -and $null -eq $Bound.Value) {
                Stop-LabCommand $Cmdlet (New-LabErrorRecord ([System.ArgumentException]::new($script:Texts.SetItemNoValue)) "System.ArgumentException,Microsoft.PowerShell.Commands.$cmdType" 'InvalidArgument' $disp)
            }
            if ($node.Path -notlike '*\*') {
                Stop-LabCommand $Cmdlet (New-LabErrorRecord ([System.InvalidOperationException]::new($script:Texts.SetItemNotSupported)) $setId 'InvalidOperation' $disp)
            }
            $shown = if ($Verb -eq 'Clear-Item') { '' } else { [string]$Bound.Value }
            if (-not $Cmdlet.ShouldProcess(($script:Texts.SetItemWhatIf -f $node.Path, $shown), '', '')) { return }
            if ($node.Path -eq 'localhost\Client\TrustedHosts') {
                if (-not (Set-LabTrustedHosts $Cmdlet $State $HostState $Bound $disp $cmdType -Clear:($Verb -eq 'Clear-Item'))) { return }
                $FaultChecks.Add("WSMan:\$($node.Path)"); return
            }
            if (-not $node.Leaf -or $node.Name -ne 'CredSSP' -or $Verb -eq 'Clear-Item') {
                Write-LabError $Cmdlet (New-LabErrorRecord ([System.NotSupportedException]::new("CredHop lab: only ...\Auth\CredSSP and Client\TrustedHosts can be set on the WSMan: drive (not '$disp').")) 'CredHopLabNotModelled' 'NotImplemented' $disp); return
            }
            if (-not (Test-LabElevated $State)) {
                Write-LabError $Cmdlet (New-LabErrorRecord ([System.UnauthorizedAccessException]::new('Access is denied.')) 'System.UnauthorizedAccessException,Microsoft.PowerShell.Commands.SetItemCommand' 'PermissionDenied' $disp); return
            }
            $v = $Bound.Value
            $b = $null
            if ($v -is [bool]) { $b = $v } elseif ("$v" -match '^(?i:true|1)$') { $b = $true } elseif ("$v" -match '^(?i:false|0)$') { $b = $false }
            if ($null -eq $b) {
                Write-LabError $Cmdlet (New-LabErrorRecord ([System.ArgumentException]::new("The WS-Management service cannot process the request because the value '$v' is not valid for CredSSP (true or false).")) 'System.ArgumentException,Microsoft.PowerShell.Commands.SetItemCommand' 'InvalidArgument' $disp); return
            }
            if ($null -ne (Get-LabWinRMPolicy $HostState $node.Role)) {
                Write-LabError $Cmdlet (New-LabErrorRecord ([System.InvalidOperationException]::new($script:Texts.W1)) 'System.InvalidOperationException,Microsoft.PowerShell.Commands.SetItemCommand' 'InvalidOperation' $disp); return
            }
            Set-LabWinRMFlagRaw $HostState $node.Role $b
            $FaultChecks.Add("WSMan:\$($node.Path)"); return
        }
        default {
            Write-LabError $Cmdlet (New-LabErrorRecord ([System.NotSupportedException]::new("CredHop lab: $Verb is not modelled on the WSMan: drive ('$disp').")) 'CredHopLabNotModelled' 'NotImplemented' $disp)
            return
        }
    }
}

function Assert-LabWinRMRunning {
    # Enable-/Disable-/Get-WSManCredSSP talk to the local WinRM service (as WSManHelper does): stopped ->
    # WsManError with the fault XML of ERROR_WSMAN_DESTINATION_UNREACHABLE (Code 2150858770 = 0x80338012).
    param($HostState, [string]$CmdType)
    if ($HostState.winrm) { return }
    $xml = "<f:WSManFault xmlns:f=""http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"" Code=""2150858770"" Machine=""localhost""><f:Message>$($script:Texts.NoService) </f:Message></f:WSManFault>"
    throw (New-LabErrorRecord ([System.InvalidOperationException]::new($xml)) "WsManError,Microsoft.WSMan.Management.$CmdType" 'InvalidOperation' $null)
}
