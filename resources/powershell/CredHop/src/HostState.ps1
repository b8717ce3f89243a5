# Primitives that read: this computer's whole CredSSP state, and the familiar Get-WSManCredSSP view.
# Part of the CredHop module (loaded by CredHop.psm1); see README.md.

function Invoke-CredHopGetHostState {
    param($P)
    Assert-CredHopFields $P @() 'payload'
    $cn = Invoke-CredHopNative 'hostname' @()
    $who = Invoke-CredHopNative 'whoami' @()
    $groups = Invoke-CredHopNative 'whoami' @('/groups')
    $elevated = $false
    foreach ($l in $groups.Output) { if ($l -match '(^|\s)S-1-16-12288(\s|$)') { $elevated = $true } }
    $winrm = New-Object System.Collections.Specialized.OrderedDictionary
    $winrm['clientCredSSP'] = Read-CredHopWinRMFlag 'Client'
    $winrm['serviceCredSSP'] = Read-CredHopWinRMFlag 'Service'
    $winrm['clientPolicyAllowCredSSP'] = Read-CredHopRegDword 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WinRM\Client' 'AllowCredSSP'
    $winrm['servicePolicyAllowCredSSP'] = Read-CredHopRegDword 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WinRM\Service' 'AllowCredSSP'
    $pol = Read-CredHopPol (Get-CredHopPolPath)
    $deleg = New-Object System.Collections.Specialized.OrderedDictionary
    foreach ($ln in 'fresh', 'freshNtlm') {
        $v = New-Object System.Collections.Specialized.OrderedDictionary
        $v['effective'] = Get-CredHopEffectiveList $ln
        $v['local'] = Get-CredHopLocalList $pol $ln
        $deleg[$ln] = $v
    }
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $d['computerName'] = (@($cn.Output) -join '').Trim()
    $d['userName'] = (@($who.Output) -join '').Trim()
    $d['isElevated'] = $elevated
    $d['psVersion'] = $PSVersionTable.PSVersion.ToString()
    $d['psEdition'] = [string]$PSVersionTable.PSEdition
    $d['winrm'] = $winrm
    $d['delegation'] = $deleg
    $d['winrmService'] = Get-CredHopWinRMService
    $th = Get-CredHopTrustedHosts
    $t = New-Object System.Collections.Specialized.OrderedDictionary
    $t['value'] = $th['value']
    $t['policyOwned'] = $th['policyOwned']
    $d['trustedHosts'] = $t
    $d['policyOwners'] = Get-CredHopPolicyOwners
    $d['policyEditorOpen'] = Get-CredHopPolicyEditorOpen
    $d['encryptionOracle'] = Read-CredHopRegDword 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters' 'AllowEncryptionOracle'
    $script:Result = $d
}

function Invoke-CredHopGetCheckState {
    <# What the check reads of this computer, in one call: its whole state, the familiar Get-WSManCredSSP
       view and CredHop's scheduled restores here ({state, credSSPView, restoreTasks}). The view and the
       tasks are extras: either may be unreadable ($null) without failing the read of the state. #>
    param($P)
    Assert-CredHopFields $P @() 'payload'
    Invoke-CredHopGetHostState $P
    $state = $script:Result
    $view = $null
    try { Invoke-CredHopGetCredSSPView $P; $view = $script:Result['lines'] } catch { $view = $null }
    $tasks = $null
    try { Invoke-CredHopReadRestoreTasks $P; $tasks = $script:Result } catch { $tasks = $null }
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $d['state'] = $state
    $d['credSSPView'] = $view
    $d['restoreTasks'] = $tasks
    $script:Result = $d
}

function Invoke-CredHopGetCredSSPView {
    param($P)
    Assert-CredHopFields $P @() 'payload'
    $lines = New-Object System.Collections.Generic.List[string]
    foreach ($o in @(Get-WSManCredSSP -ErrorAction Stop)) {
        foreach ($l in ([string]$o -split "`r?`n")) { if ($l.Trim() -ne '') { $lines.Add($l.Trim()) } }
    }
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $d['lines'] = [object[]]$lines.ToArray()
    $script:Result = $d
}

function Get-CredHopPolicyOwners {
    # Who supplies each delegation list, from Windows' own record (RSoP: root\rsop\computer): a domain
    # GPO's {id, name}, or $null when none does (the local GPO, or a script writing the registry
    # directly: values with no RSoP record). rsopAvailable = $false when RSoP has no data to go by: it
    # cannot be read, or it answers nothing at all (logging turned off by policy, or nothing logged yet:
    # the namespace is then empty and silent, not an error). Every logged refresh records at least the
    # local GPO in RSOP_GPO, so no RSOP_GPO instance means no evidence, and CredHop says "unknown".
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $d['rsopAvailable'] = $false
    $d['fresh'] = $null
    $d['freshNtlm'] = $null
    $names = @{}
    $settings = $null
    try {
        foreach ($g in @(Get-CimInstance -Namespace 'root\rsop\computer' -ClassName 'RSOP_GPO' -ErrorAction Stop)) { $names[[string]$g.id] = [string]$g.name }
        if ($names.Count -eq 0) { return $d }
        $settings = @(Get-CimInstance -Namespace 'root\rsop\computer' -ClassName 'RSOP_RegistryPolicySetting' -ErrorAction Stop)
    }
    catch { return $d }
    $d['rsopAvailable'] = $true
    $base = 'Software\Policies\Microsoft\Windows\CredentialsDelegation'
    foreach ($ln in 'fresh', 'freshNtlm') {
        $n = $script:Lists[$ln]
        foreach ($s in $settings) {
            if ([string]$s.GPOID -ieq 'LocalGPO' -or [int]$s.precedence -ne 1 -or $s.deleted -eq $true) { continue }
            $key = ([string]$s.registryKey).TrimStart('\')
            $vn = [string]$s.valueName
            $mine = ($key -ieq ($base + '\' + $n.Sub)) -or ($key -ieq $base -and ($vn -ieq $n.Allow -or $vn -ieq $n.Concat))
            if (-not $mine) { continue }
            $o = New-Object System.Collections.Specialized.OrderedDictionary
            $o['id'] = [string]$s.GPOID
            $o['name'] = $names[[string]$s.GPOID]
            $d[$ln] = $o
            break
        }
    }
    $d
}
