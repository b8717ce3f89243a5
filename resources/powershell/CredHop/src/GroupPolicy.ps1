# Group Policy refresh (gpupdate).
# Part of the CredHop module (loaded by CredHop.psm1); see README.md.

function Invoke-CredHopRefreshPolicy {
    param($P)
    Assert-CredHopFields $P @() 'payload'
    $r = Invoke-CredHopNative 'gpupdate' @('/target:computer', '/force')
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $code = $r.ExitCode
    if ($null -eq $code) { $code = 0 }
    $d['exitCode'] = [int]$code
    $script:Result = $d
}
