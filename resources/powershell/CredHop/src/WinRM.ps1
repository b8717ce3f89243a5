# Primitives that change WinRM's own CredSSP flags on this computer.
# Part of the CredHop module (loaded by CredHop.psm1); see README.md.

function Invoke-CredHopSetWinRMFlag {
    param($P)
    Assert-CredHopFields $P @('role', 'enabled') 'payload'
    $role = Get-CredHopEnum $P 'role' 'payload' @('client', 'service')
    $enabled = Get-CredHopBool $P 'enabled' 'payload'
    $r = 'Client'; if ($role -eq 'service') { $r = 'Service' }
    $path = "WSMan:\localhost\$r\Auth\CredSSP"
    Assert-CredHopWinRMRunning "CredSSP in its WinRM $($r.ToLowerInvariant())"
    $before = Get-CredHopWinRMFlag $r
    $value = 'false'; if ($enabled) { $value = 'true' }
    Set-Item -Path $path -Value $value -Force -ErrorAction Stop | Out-Null
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $d['before'] = $before
    $d['after'] = Get-CredHopWinRMFlag $r
    $script:Result = $d
}

# The WinRM service itself. Windows 10/11 leave it on Manual and stopped; the WSMan: drive (the
# client flag, TrustedHosts) needs it running. CredHop starts it when its plan needs it and puts both
# its status and its start type back exactly on restore.

function Read-CredHopWinRMFlag {
    # the flag through the WSMan: drive; while the service is stopped, from where WinRM keeps it (the
    # DWORD auth_credssp under ...\CurrentVersion\WSMAN\<Role>; absent means WinRM's default, off)
    param([string]$Role)
    $v = Get-CredHopWinRMFlag $Role
    if ($null -ne $v) { return $v }
    try {
        $vals = Get-CredHopRegValues ('HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WSMAN\' + $Role)
        if ($null -eq $vals -or -not $vals.Contains('auth_credssp')) { return $false }
        return ([long](ConvertTo-CredHopDwordValue $vals['auth_credssp']) -ne 0)
    }
    catch { return $null }
}

function Assert-CredHopWinRMRunning {
    # Set-Item -Force on the WSMan: drive starts a stopped WinRM by itself (PowerShell's WSMan provider runs
    # Restart-Service WinRM -Force), which no snapshot or restore plan would know about. CredHop starts the
    # service only as a planned, journaled step (SetWinRMService), so a write finding it stopped is refused.
    param([string]$What)
    $svc = Get-CredHopWinRMService
    if ($null -eq $svc -or $svc['status'] -eq 'Running') { return }
    throw (New-CredHopTypedError 'winrm-stopped' "The WinRM service is not running on this computer, so $What cannot be changed; CredHop does not let Windows start it unplanned. Run the check again (CredHop then plans to start WinRM and to stop it again on restore), or Start-Service WinRM.")
}

function Get-CredHopWinRMService {
    # {status, startType} of this computer's WinRM service, or $null when it cannot be read
    try {
        $s = Get-Service -Name 'WinRM' -ErrorAction Stop
        $d = New-Object System.Collections.Specialized.OrderedDictionary
        $d['status'] = [string]$s.Status
        $d['startType'] = [string]$s.StartType
        return $d
    }
    catch { return $null }
}

function Invoke-CredHopSetWinRMService {
    # {running, startType?}: start (or stop) WinRM, and set its start type when given. A disabled
    # service is not CredHop's to start (the plan blocks it), so it is refused here as well.
    param($P)
    Assert-CredHopFields $P @('running', 'startType') 'payload'
    $running = Get-CredHopBool $P 'running' 'payload'
    $startType = $null
    if ((Test-CredHopHas $P 'startType') -and $null -ne $P.startType) { $startType = Get-CredHopEnum $P 'startType' 'payload' @('Automatic', 'Manual', 'Disabled') }
    $before = Get-CredHopWinRMService
    if ($null -eq $before) { throw 'The WinRM service could not be read on this computer.' }
    if ($running -and $before['startType'] -eq 'Disabled' -and $startType -ne 'Manual' -and $startType -ne 'Automatic') {
        throw (New-CredHopPayloadError 'payload.running: the WinRM service is disabled on this computer; CredHop does not start a disabled service')
    }
    if ($null -ne $startType -and $startType -ne $before['startType']) { Set-Service -Name 'WinRM' -StartupType $startType -ErrorAction Stop }
    if ($running -and $before['status'] -ne 'Running') { Start-Service -Name 'WinRM' -ErrorAction Stop }
    if (-not $running -and $before['status'] -ne 'Stopped') { Stop-Service -Name 'WinRM' -Force -ErrorAction Stop }
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $d['before'] = $before
    $d['after'] = Get-CredHopWinRMService
    $script:Result = $d
}

# TrustedHosts: the client's list of machines WinRM may send credentials to without Kerberos
# (connecting by address, or to a host without a WSMAN SPN). A comma-separated string, possibly empty.
# CredHop adds exactly one entry (never a wildcard) and puts the whole string back on restore.

$script:TrustedHostsPath = 'WSMan:\localhost\Client\TrustedHosts'
$script:WinRMClientPolicyKey = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WinRM\Client'
$script:WinRMClientConfigKey = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WSMAN\Client'

function New-CredHopTypedError {
    # an error whose kind the TypeScript side can act on (not a payload error: the input was fine)
    param([string]$Kind, [string]$Message)
    $ex = New-Object System.InvalidOperationException -ArgumentList $Message
    $ex.Data['CredHopKind'] = $Kind
    $ex
}

function Get-CredHopTrustedHostsPolicy {
    # the GPO's list ('' when it sets none) when a Group Policy owns TrustedHosts, else $null. Only an
    # Enabled policy (TrustedHosts = 1) owns it: Disabled (0) is, per the WinRM ADMX, the same as Not
    # Configured ("you must configure the list of trusted hosts locally"), and the local list applies.
    $vals = Get-CredHopRegValues $script:WinRMClientPolicyKey
    if ($null -eq $vals -or -not $vals.Contains('TrustedHosts')) { return $null }
    $on = 0
    if (-not [int]::TryParse([string]$vals['TrustedHosts'], [ref]$on) -or $on -ne 1) { return $null }
    $list = ''
    if ($vals.Contains('TrustedHostsList')) { $list = [string]$vals['TrustedHostsList'] }
    $list
}

function Get-CredHopTrustedHosts {
    # {value, policyOwned, serviceRunning}: the string exactly as WinRM has it. While the service is
    # stopped the WSMan: drive fails, so it is read from where WinRM keeps it (the string trusted_hosts
    # under ...\CurrentVersion\WSMAN\Client; absent means empty); a GPO's list wins over both.
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $policy = $null
    try { $policy = Get-CredHopTrustedHostsPolicy } catch { $policy = $null }
    $d['policyOwned'] = ($null -ne $policy)
    $value = $null
    $running = $true
    try { $value = [string](Get-Item -Path $script:TrustedHostsPath -ErrorAction Stop).Value }
    catch {
        $running = $false
        if ($null -ne $policy) { $value = $policy }
        else {
            try {
                $vals = Get-CredHopRegValues $script:WinRMClientConfigKey
                $value = ''
                if ($null -ne $vals -and $vals.Contains('trusted_hosts')) { $value = [string]$vals['trusted_hosts'] }
            }
            catch { $value = $null }
        }
    }
    $d['value'] = $value
    $d['serviceRunning'] = $running
    $d
}

function Test-CredHopTrustedHostsHas {
    # WinRM matches each comma-separated entry against the name as typed; CredHop only counts an exact entry
    param([string]$List, [string]$Entry)
    foreach ($e in $List.Split(',')) { if ($e.Trim() -ieq $Entry) { return $true } }
    $false
}

function Invoke-CredHopSetTrustedHosts {
    # {add}: add exactly one entry (a host name or an IPv4 address; never * or a wildcard) to the end
    # of the list, unless it is there already. {value, expect}: put the whole string back (restore),
    # only while the list is still exactly 'expect' (otherwise someone changed it meanwhile: refused,
    # so their edit is never lost). Both read the list back to verify.
    param($P)
    Assert-CredHopFields $P @('add', 'value', 'expect') 'payload'
    $hasAdd = (Test-CredHopHas $P 'add') -and $null -ne $P.add
    $hasValue = (Test-CredHopHas $P 'value') -and $null -ne $P.value
    if ($hasAdd -eq $hasValue) { throw (New-CredHopPayloadError 'payload: give either add (one entry) or value and expect (the whole list)') }
    # the input first: a bad entry is refused whatever state the machine is in
    $entry = $null; $value = $null; $expect = $null
    if ($hasAdd) { $entry = Get-CredHopHostName $P 'add' 'payload' -AllowAddress }
    else {
        $value = Get-CredHopString $P 'value' 'payload' -MinLength 0 -MaxLength 8192
        $expect = Get-CredHopString $P 'expect' 'payload' -MinLength 0 -MaxLength 8192
        if ($value.IndexOfAny([char[]]"`r`n`0") -ge 0) { throw (New-CredHopPayloadError 'payload.value: must be one line') }
    }
    $before = Get-CredHopTrustedHosts
    if ($before['policyOwned']) { throw (New-CredHopTypedError 'policy-owned' 'A Group Policy sets TrustedHosts on this computer (Windows Remote Management > WinRM Client > Trusted Hosts), so it cannot be changed locally.') }
    if (-not $before['serviceRunning']) { throw (New-CredHopTypedError 'winrm-stopped' 'The WinRM service is not running on this computer, so its TrustedHosts list cannot be changed. Start it first (Start-Service WinRM).') }
    $current = [string]$before['value']
    $new = $null
    if ($hasAdd) {
        if (-not (Test-CredHopTrustedHostsHas $current $entry)) {
            if ($current -eq '') { $new = $entry } else { $new = $current + ',' + $entry }
        }
    }
    else {
        if ($current -cne $expect) { throw (New-CredHopTypedError 'changed-meanwhile' 'The TrustedHosts list changed since CredHop read it; it was left as it is.') }
        if ($current -cne $value) { $new = $value }
    }
    if ($null -ne $new) { Set-Item -Path $script:TrustedHostsPath -Value $new -Force -ErrorAction Stop | Out-Null }
    $after = Get-CredHopTrustedHosts
    if ($null -ne $new -and [string]$after['value'] -cne $new) { throw (New-CredHopTypedError 'not-verified' 'TrustedHosts did not read back as written.') }
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $d['changed'] = ($null -ne $new)
    $d['before'] = $current
    $d['after'] = [string]$after['value']
    $script:Result = $d
}
