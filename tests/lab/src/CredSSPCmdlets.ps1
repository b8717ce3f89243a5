# CredHop lab: WinRM CredSSP flags, the CredentialsDelegation lists and Enable-/Disable-/Get-WSManCredSSP.
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).

# ---------------------------------------------------------------------------------------------
# WinRM flags and CredentialsDelegation helpers
# ---------------------------------------------------------------------------------------------
function Get-LabWinRMPolicy {
    param($HostState, [string]$Role)
    $k = if ($Role -eq 'Client') { $script:KeyWinRMPolicyClient } else { $script:KeyWinRMPolicyService }
    $v = Get-LabRegValue $HostState $k 'AllowCredSSP'
    if ($null -eq $v) { return $null }
    [int]$v.data
}

function Get-LabWinRMFlag {
    param($HostState, [string]$Role)
    $p = Get-LabWinRMPolicy $HostState $Role
    if ($null -ne $p) { return ($p -ne 0) }
    $k = if ($Role -eq 'Client') { $script:KeyWsmanClient } else { $script:KeyWsmanService }
    $v = Get-LabRegValue $HostState $k 'auth_credssp'
    ($null -ne $v -and [int]$v.data -ne 0)
}

function Set-LabWinRMFlagRaw {
    param($HostState, [string]$Role, [bool]$Enabled)
    $k = if ($Role -eq 'Client') { $script:KeyWsmanClient } else { $script:KeyWsmanService }
    Set-LabRegValue $HostState $k 'auth_credssp' 'DWord' ([int]$Enabled)
}

function Get-LabDelegationList {
    # effective list from the host's registry: @{ enabled; entries = @(values) }
    param($HostState, [string]$List)
    $n = $script:Lists[$List]
    $allow = Get-LabRegValue $HostState $script:KeyCD $n.Allow
    $entries = @()
    foreach ($vn in (Get-LabRegValueNames $HostState ($script:KeyCD + '\' + $n.Sub))) {
        $v = Get-LabRegValue $HostState ($script:KeyCD + '\' + $n.Sub) $vn
        if ($v.type -in 'String', 'ExpandString') { $entries += [string]$v.data }
    }
    @{ enabled = ($null -ne $allow -and [int]$allow.data -eq 1); entries = $entries }
}

function Test-LabSpnMatch {
    # Windows SPN matching for CredentialsDelegation: one wildcard, name as typed
    param([string]$Entry, [string]$Name)
    $i = $Entry.IndexOf('/')
    if ($i -lt 1) { return $false }
    $svc = $Entry.Substring(0, $i); $pat = $Entry.Substring($i + 1)
    if ($svc -ne '*' -and $svc -ine 'wsman') { return $false }
    if ($pat -eq '*') { return $true }
    if ($pat.StartsWith('*.')) {
        $suffix = $pat.Substring(1)
        return ($Name.Length -gt $suffix.Length -and $Name.EndsWith($suffix, [System.StringComparison]::OrdinalIgnoreCase))
    }
    $pat -ieq $Name
}

function Update-LabDelegationStore {
    # the cmdlets' own algorithms on the local GPO (a List of Registry.pol records); Group Policy then
    # copies the result into the effective registry (Invoke-LabGpUpdateCore)
    param($HostState, $PolRecords, [string]$Op, [string[]]$Delegates)
    $n = $script:Lists.fresh
    $sub = $script:KeyCD + '\' + $n.Sub
    if ($true) {
        if ($Op -eq 'enable') {
            Set-LabPolRecord $PolRecords $script:KeyCD $n.Allow 'DWord' 1
            Set-LabPolRecord $PolRecords $script:KeyCD $n.Concat 'DWord' 1
            $count = @($PolRecords | Where-Object { $_.key -ieq $sub -and $_.name -ne '' -and -not $_.name.StartsWith('**') }).Count
            foreach ($d in $Delegates) { $count++; Set-LabPolRecord $PolRecords $sub ([string]$count) 'String' ('wsman/' + $d) }
        }
        else {
            $vals = @($PolRecords | Where-Object { $_.key -ieq $sub -and $_.name -ne '' -and -not $_.name.StartsWith('**') })
            $surv = @($vals | Where-Object { -not ([string]$_.data).StartsWith('wsman', [System.StringComparison]::OrdinalIgnoreCase) } | ForEach-Object { [string]$_.data })
            if ($vals.Count -gt 0) {
                foreach ($v in $vals) { $null = $PolRecords.Remove($v) }
                $k = 0
                foreach ($s in $surv) { $k++; $PolRecords.Add([ordered]@{ key = $sub; name = [string]$k; type = 'String'; data = $s }) }
            }
            if ($surv.Count -eq 0) {
                foreach ($r in @($PolRecords)) {
                    if (($r.key -ieq $script:KeyCD -and ($r.name -ieq $n.Allow -or $r.name -ieq $n.Concat)) -or $r.key -ieq $sub) { $null = $PolRecords.Remove($r) }
                }
            }
        }
    }
}

# ---------------------------------------------------------------------------------------------
# Enable / Disable / Get-WSManCredSSP
# ---------------------------------------------------------------------------------------------
function Assert-LabElevated {
    param($State, [string]$CmdletType)
    if (-not (Test-LabElevated $State)) {
        $ex = [System.InvalidOperationException]::new($script:Texts.E10)
        throw (New-LabErrorRecord $ex "System.InvalidOperationException,Microsoft.WSMan.Management.$CmdletType" 'InvalidOperation' $null)
    }
}

function New-LabAuthXml {
    param([string]$Role, [bool]$CredSSP)
    $o = [pscustomobject]@{ cfg = "http://schemas.microsoft.com/wbem/wsman/1/config/$($Role.ToLowerInvariant())/auth"; lang = 'en-US'; Basic = 'false'; Digest = 'true'; Kerberos = 'true'; Negotiate = 'true'; Certificate = 'true'; CredSSP = ([string]$CredSSP).ToLowerInvariant() }
    $o.PSObject.TypeNames.Insert(0, 'System.Xml.XmlElement#http://schemas.microsoft.com/wbem/wsman/1/config/client/auth#Auth')
    $o
}

function Enable-WSManCredSSP {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)][ValidateSet('Client', 'Server')][string]$Role,
        [Parameter(Position = 1)][ValidateNotNullOrEmpty()][string[]]$DelegateComputer,
        [switch]$Force
    )
    trap { Stop-LabCommand $PSCmdlet $_ }   # its errors as the compiled cmdlet raises them (Errors.ps1)
    Import-LabCallerPreference $PSCmdlet $PSBoundParameters
    $state = Read-LabState
    $type = 'EnableWSManCredSSPCommand'
    Assert-LabElevated $state $type
    $id = "System.InvalidOperationException,Microsoft.WSMan.Management.$type"
    if ($null -ne $DelegateComputer -and $Role -ne 'Client') {
        throw (New-LabErrorRecord ([System.InvalidOperationException]::new("The DelegateComputer parameter cannot be used when the Role parameter is $Role. Use DelegateComputer only with Role Client.")) $id 'InvalidOperation' $null)
    }
    if ($Role -eq 'Client' -and $null -eq $DelegateComputer) {
        throw (New-LabErrorRecord ([System.InvalidOperationException]::new('The DelegateComputer parameter must be specified when the Role parameter is Client.')) $id 'InvalidOperation' $null)
    }
    $query = if ($Role -eq 'Client') { $script:Texts.ConsentQuery } else { $script:Texts.ConsentServer }
    if (-not $Force -and -not $PSCmdlet.ShouldContinue($query, $script:Texts.ConsentCaption)) { return }
    $h = Get-LabCtxHost $state
    Assert-LabWinRMRunning $h $type
    if ($null -ne (Get-LabWinRMPolicy $h $Role.Replace('Server', 'Service'))) {
        throw (New-LabErrorRecord ([System.InvalidOperationException]::new($script:Texts.W1)) "WsManError,Microsoft.WSMan.Management.$type" 'InvalidOperation' $null)
    }
    if ($Role -eq 'Server') {
        Set-LabWinRMFlagRaw $h 'Service' $true
        Save-LabState $state
        Invoke-LabWriteFault 'Enable-WSManCredSSP' 'Server'
        return (New-LabAuthXml 'service' $true)
    }
    Set-LabWinRMFlagRaw $h 'Client' $true
    # the cmdlet edits the local GPO only (IGroupPolicyObject), then Group Policy applies it (domain GPOs win)
    $recs = [System.Collections.Generic.List[object]]::new(); foreach ($r in (Read-LabPol (Get-LabPolPath $script:Ctx.StateDir $h.name))) { $recs.Add($r) }
    Update-LabDelegationStore $h $recs 'enable' $DelegateComputer
    Save-LabPol $script:Ctx.StateDir $h.name $recs.ToArray()
    Invoke-LabGpUpdateCore $state $h $script:Ctx.StateDir
    Save-LabState $state
    # then it checks that the effective policy lists every wsman/X, exactly as written (E9 when a domain GPO overrides)
    $eff = @((Get-LabDelegationList $h 'fresh').entries)
    $missing = @($DelegateComputer | Where-Object { $eff -cnotcontains ('wsman/' + $_) })
    if ($missing.Count -gt 0) {
        throw (New-LabErrorRecord ([System.InvalidOperationException]::new($script:Texts.E9Enable)) "WsManError,Microsoft.WSMan.Management.$type" 'InvalidOperation' $null)
    }
    Save-LabState $state
    Invoke-LabWriteFault 'Enable-WSManCredSSP' 'Client'
    New-LabAuthXml 'client' $true
}

function Disable-WSManCredSSP {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)][ValidateSet('Client', 'Server')][string]$Role
    )
    # Windows' Disable-WSManCredSSP has no -Force and does not prompt (read from CredSSP.cs).
    trap { Stop-LabCommand $PSCmdlet $_ }   # its errors as the compiled cmdlet raises them (Errors.ps1)
    Import-LabCallerPreference $PSCmdlet $PSBoundParameters
    $state = Read-LabState
    $type = 'DisableWSManCredSSPCommand'
    Assert-LabElevated $state $type
    $h = Get-LabCtxHost $state
    Assert-LabWinRMRunning $h $type
    if ($null -ne (Get-LabWinRMPolicy $h $Role.Replace('Server', 'Service'))) {
        throw (New-LabErrorRecord ([System.InvalidOperationException]::new($script:Texts.W1)) "WsManError,Microsoft.WSMan.Management.$type" 'InvalidOperation' $null)
    }
    if ($Role -eq 'Server') {
        Set-LabWinRMFlagRaw $h 'Service' $false
        Save-LabState $state
        Invoke-LabWriteFault 'Disable-WSManCredSSP' 'Server'
        return
    }
    Set-LabWinRMFlagRaw $h 'Client' $false
    $recs = [System.Collections.Generic.List[object]]::new(); foreach ($r in (Read-LabPol (Get-LabPolPath $script:Ctx.StateDir $h.name))) { $recs.Add($r) }
    Update-LabDelegationStore $h $recs 'disable' @()
    Save-LabPol $script:Ctx.StateDir $h.name $recs.ToArray()
    Invoke-LabGpUpdateCore $state $h $script:Ctx.StateDir
    Save-LabState $state
    # Then it checks the EFFECTIVE registry (not who wrote it) until no wsman* value is left, for up to 60 s,
    # and fails with E9 (disable) when one is: a domain GPO's entry, or one a script wrote straight into
    # HKLM:\SOFTWARE\Policies (no policy behind it, so the local-GPO edit did not remove it). Read from
    # PowerShell's CredSSP.cs; the lab gives the outcome at once instead of waiting 60 s.
    if (@((Get-LabDelegationList $h 'fresh').entries | Where-Object { $_ -like 'wsman*' }).Count -gt 0) {
        throw (New-LabErrorRecord ([System.InvalidOperationException]::new($script:Texts.E9Disable)) "WsManError,Microsoft.WSMan.Management.$type" 'InvalidOperation' $null)
    }
    Save-LabState $state
    Invoke-LabWriteFault 'Disable-WSManCredSSP' 'Client'
}

function Get-LabGetCredSSPPrefix {
    # Line 1's resource text: PowerShell 7's ends at the colon ("...target(s):wsman/x", as its own
    # CredSSP.Tests.ps1 expects); Windows PowerShell 5.1's ends in a space. The edition of the PowerShell
    # running this command comes from Editions.ps1 (Get-LabEdition, '5.1' | '7.4' | '7.6') once it exists; 7 until then.
    $edition = '7'
    if ($null -ne ${function:Get-LabEdition}) { $edition = [string](Get-LabEdition) }
    if ($edition.StartsWith('5')) { return $script:Texts.GetConfigured + ' ' }
    $script:Texts.GetConfigured
}

function Get-WSManCredSSP {
    [CmdletBinding()]
    param()
    trap { Stop-LabCommand $PSCmdlet $_ }   # its errors as the compiled cmdlet raises them (Errors.ps1)
    Import-LabCallerPreference $PSCmdlet $PSBoundParameters
    $state = Read-LabState
    Assert-LabElevated $state 'GetWSManCredSSPCommand'
    $h = Get-LabCtxHost $state
    Assert-LabWinRMRunning $h 'GetWSManCredSSPCommand'
    # line 1: the wsman* values of the effective AllowFreshCredentials list, whatever the DWORD and the client flag say
    # (CredSSP.cs GetDelegateSettings: each wsman* value is PREPENDED with the culture's list separator, so
    # they come out in reverse registry enumeration order, joined by ',' in en-US, no space)
    $l = Get-LabDelegationList $h 'fresh'
    $ws = @($l.entries | Where-Object { $_ -like 'wsman*' })
    [array]::Reverse($ws)
    if ($ws.Count -gt 0) { (Get-LabGetCredSSPPrefix) + ($ws -join [System.Globalization.CultureInfo]::CurrentCulture.TextInfo.ListSeparator) } else { $script:Texts.GetNotConfig }
    if (Get-LabWinRMFlag $h 'Service') { $script:Texts.GetReceive } else { $script:Texts.GetNoReceive }
}
