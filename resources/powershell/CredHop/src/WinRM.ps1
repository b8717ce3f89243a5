# Primitives that change WinRM's own CredSSP flags on this computer.
# Part of the CredHop module (loaded by CredHop.psm1); see README.md.

function Invoke-CredHopSetWinRMFlag {
    param($P)
    Assert-CredHopFields $P @('role', 'enabled') 'payload'
    $role = Get-CredHopEnum $P 'role' 'payload' @('client', 'service')
    $enabled = Get-CredHopBool $P 'enabled' 'payload'
    $r = 'Client'; if ($role -eq 'service') { $r = 'Service' }
    $path = "WSMan:\localhost\$r\Auth\CredSSP"
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
