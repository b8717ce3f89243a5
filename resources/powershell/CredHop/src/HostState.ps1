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
    $winrm['clientCredSSP'] = Get-CredHopWinRMFlag 'Client'
    $winrm['serviceCredSSP'] = Get-CredHopWinRMFlag 'Service'
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
    $d['encryptionOracle'] = Read-CredHopRegDword 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters' 'AllowEncryptionOracle'
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
