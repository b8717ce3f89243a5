# Several of this computer's effects in one call, then (if asked) this computer's state read back: one
# round trip where a restore would make one per effect and one more to verify.
# Part of the CredHop module (loaded by CredHop.psm1); see README.md.

# Only this computer's effects (and the read of its scheduled restores): nothing remote, nothing that
# takes a password.
$script:BatchPrimitives = @('AddDelegation', 'RemoveDelegation', 'SetDelegationFlags', 'SetWinRMFlag', 'SetWinRMService', 'SetTrustedHosts', 'DisarmRestoreTask', 'ReadRestoreTasks')
$script:Primitives += 'Batch'

function Invoke-CredHopBatch {
    <# payload {steps: [{primitive, payload}], readBack?} -> {done, results, error, after}. The steps run in
       order and stop at the first that fails: 'done' counts those that took effect, 'error' is the failing
       one's (as a single call would answer it), 'after' the state read back (also after a failure, so the
       caller sees what is in place; $null when even the read fails). #>
    param($P)
    Assert-CredHopFields $P @('steps', 'readBack') 'payload'
    if (-not (Test-CredHopHas $P 'steps') -or $P.steps -isnot [System.Array] -or $P.steps.Count -gt 20) { throw (New-CredHopPayloadError 'payload.steps: expected a list of at most 20 steps') }
    $steps = New-Object System.Collections.Generic.List[object]
    for ($i = 0; $i -lt $P.steps.Count; $i++) {
        $s = $P.steps[$i]
        $path = "payload.steps[$i]"
        if ($s -isnot [System.Management.Automation.PSCustomObject]) { throw (New-CredHopPayloadError "${path}: expected an object {primitive, payload}") }
        Assert-CredHopFields $s @('primitive', 'payload') $path
        # Every name is checked before anything runs: a batch with one step it may not run runs none.
        $name = Get-CredHopEnum $s 'primitive' $path $script:BatchPrimitives
        if (-not (Test-CredHopHas $s 'payload') -or $s.payload -isnot [System.Management.Automation.PSCustomObject]) { throw (New-CredHopPayloadError "${path}.payload: expected an object") }
        $steps.Add(@{ Name = $name; Payload = $s.payload })
    }
    $readBack = Get-CredHopBool $P 'readBack' 'payload' -Optional -Default $false
    $results = New-Object System.Collections.Generic.List[object]
    $failure = $null
    foreach ($s in $steps) {
        $script:Result = $null
        try { & ('Invoke-CredHop' + $s.Name) $s.Payload 3>$null 4>$null 5>$null 6>$null | Out-Null }
        catch { $failure = ConvertTo-CredHopFailure $_; break }
        $results.Add($script:Result)
    }
    $after = $null
    if ($readBack) {
        $script:Result = $null
        try { Invoke-CredHopGetHostState (New-Object psobject); $after = $script:Result } catch { $after = $null }
    }
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $d['done'] = $results.Count
    $d['results'] = [object[]]$results.ToArray()
    $d['error'] = $failure
    $d['after'] = $after
    $script:Result = $d
}
