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
