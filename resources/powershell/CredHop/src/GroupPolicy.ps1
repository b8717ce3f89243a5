# Group Policy refresh (gpupdate).
# Part of the CredHop module (loaded by CredHop.psm1); see README.md.

# gpupdate's own limit (it waits up to 600 s without /wait), below the TypeScript per-call time-out of 60 s.
$script:GpUpdateWaitSeconds = 45

function Invoke-CredHopRefreshPolicy {
    param($P)
    Assert-CredHopFields $P @() 'payload'
    # /wait: gpupdate otherwise waits up to 600 s for the policy processing; CredHop's per-call time-out is
    # 60 s (src/main/powershell/engine.ts), so gpupdate gives up first and the call still answers.
    $r = Invoke-CredHopNative 'gpupdate' @('/target:computer', '/force', ('/wait:' + $script:GpUpdateWaitSeconds))
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $code = $r.ExitCode
    if ($null -eq $code) { $code = 0 }
    $d['exitCode'] = [int]$code
    $script:Result = $d
}

function Invoke-CredHopGetPolicyEditor {
    # whether the Local Group Policy Editor is open (it rewrites Registry.pol when it closes): {open: bool|null}
    param($P)
    Assert-CredHopFields $P @() 'payload'
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $d['open'] = Get-CredHopPolicyEditorOpen
    $script:Result = $d
}
