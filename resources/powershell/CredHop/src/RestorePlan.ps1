# RunRestorePlan: what a scheduled restore task runs (through Restore-CredHopSession.ps1). The steps were
# decided in TypeScript at apply time (the same restore operations CredHop's own restore would run on the
# state it left); each carries what CredHop left ('expect') and what to put back. A value still as CredHop
# left it is put back with the module's own primitives; one already back is left; one someone changed
# since is left alone and reported, as is an entry CredHop did not add. A kind this copy of the module
# does not know is reported, and the rest is restored. Adding a kind: one entry in $script:RestoreSteps.
# Part of the CredHop module (loaded by CredHop.psm1); see README.md.

function ConvertTo-CredHopStepPayload {
    # a primitive's payload object from step fields (the primitive validates it as it does any payload)
    param($Step, [string[]]$Names)
    $o = New-Object psobject
    foreach ($n in $Names) { if (Test-CredHopHas $Step $n) { Add-Member -InputObject $o -NotePropertyName $n -NotePropertyValue $Step.$n } }
    $o
}

function Invoke-CredHopStepPrimitive {
    param([string]$Name, $Payload)
    $script:Result = $null
    & "Invoke-CredHop$Name" $Payload 3>$null 4>$null 5>$null 6>$null | Out-Null
    $r = $script:Result
    $script:Result = $null
    $r
}

function Get-CredHopListFlags {
    param([string]$List, [string]$Store)
    if ($Store -eq 'local') { $l = Get-CredHopLocalList (Read-CredHopPol (Get-CredHopPolPath)) $List } else { $l = Get-CredHopEffectiveList $List }
    @{ allow = $l['allow']; concatenate = $l['concatenate']; entries = @($l['entries']) }
}

function Test-CredHopSameNullable { param($A, $B) if ($null -eq $A -or $null -eq $B) { return ($null -eq $A -and $null -eq $B) }; [long]$A -eq [long]$B }

function Get-CredHopListLabel { param([string]$List) if ($List -eq 'freshNtlm') { 'AllowFreshCredentialsWhenNTLMOnly' } else { 'AllowFreshCredentials' } }

# Each handler: param($Step, $Report) where $Report has .Restored, .Unchanged, .LeftAlone (lists of text).
$script:RestoreSteps = @{
    'remove-delegation'    = {
        param($Step, $Report)
        $label = Get-CredHopListLabel ([string]$Step.list)
        $r = Invoke-CredHopStepPrimitive 'RemoveDelegation' (ConvertTo-CredHopStepPayload $Step @('list', 'entries'))
        foreach ($e in @($r['removed'])) { $Report.Restored.Add("Removed $($e['value']) (value $($e['name'])) from $label") }
        foreach ($e in @($r['missing'])) { $Report.Unchanged.Add("$($e['value']) (value $($e['name'])) was already gone from $label") }
        # Entries neither there before nor CredHop's: someone else's, left as they are.
        $known = @(@($Step.known) | ForEach-Object { ([string]$_).ToLowerInvariant() })
        $seen = @{}
        foreach ($store in 'local', 'effective') {
            foreach ($e in (Get-CredHopListFlags ([string]$Step.list) $store).entries) {
                $v = [string]$e['value']
                if ($known -contains $v.ToLowerInvariant() -or $seen.ContainsKey($v.ToLowerInvariant())) { continue }
                $seen[$v.ToLowerInvariant()] = $true
                $Report.LeftAlone.Add("$label lists $v (value $($e['name'])), which CredHop did not add: left as it is")
            }
        }
    }
    'set-delegation-flags' = {
        param($Step, $Report)
        $label = Get-CredHopListLabel ([string]$Step.list)
        $stores = @('local', 'effective')
        if ([string]$Step.store -eq 'local' -or [string]$Step.store -eq 'effective') { $stores = @([string]$Step.store) }
        $changed = @()
        foreach ($s in $stores) {
            $c = Get-CredHopListFlags ([string]$Step.list) $s
            $back = (Test-CredHopSameNullable $c.allow $Step.allow) -and (Test-CredHopSameNullable $c.concatenate $Step.concatenate)
            $left = (Test-CredHopSameNullable $c.allow $Step.expect.allow) -and (Test-CredHopSameNullable $c.concatenate $Step.expect.concatenate)
            if (-not $back -and -not $left) { $changed += "$s allow=$($c.allow) concatenate=$($c.concatenate)" }
        }
        if ($changed.Count -gt 0) {
            $Report.LeftAlone.Add("$label's switches were changed since CredHop set them (now $($changed -join '; ')): left as they are")
            return
        }
        # Never switch a list off under entries CredHop did not add (someone else's, or another session's).
        if ($null -ne $Step.known -and (($null -eq $Step.allow) -or [long]$Step.allow -eq 0)) {
            $known = @(@($Step.known) | ForEach-Object { ([string]$_).ToLowerInvariant() })
            $others = @()
            foreach ($s in $stores) { foreach ($e in (Get-CredHopListFlags ([string]$Step.list) $s).entries) { if ($known -notcontains ([string]$e['value']).ToLowerInvariant()) { $others += [string]$e['value'] } } }
            if ($others.Count -gt 0) {
                $Report.LeftAlone.Add("$label stays on: it still lists $((@($others | Select-Object -Unique)) -join ', '), which CredHop did not add")
                return
            }
        }
        [void](Invoke-CredHopStepPrimitive 'SetDelegationFlags' (ConvertTo-CredHopStepPayload $Step @('list', 'allow', 'concatenate', 'removeEmptyListKey', 'removeEmptyKey', 'store')))
        # 'absent' as CredHop's own restore says it: a value the snapshot did not have is removed, not blank
        $allow = 'absent'; if ($null -ne $Step.allow) { $allow = [string]$Step.allow }
        $concatenate = 'absent'; if ($null -ne $Step.concatenate) { $concatenate = [string]$Step.concatenate }
        $Report.Restored.Add("$label's switches set back (allow=$allow, concatenate=$concatenate)")
    }
    'client-credssp'       = { param($Step, $Report) Invoke-CredHopFlagStep 'client' $Step $Report }
    'server-credssp'       = { param($Step, $Report) Invoke-CredHopFlagStep 'service' $Step $Report }
    'winrm-service'        = {
        param($Step, $Report)
        $c = Get-CredHopWinRMService
        if ($null -eq $c) { throw 'The WinRM service could not be read on this computer.' }
        $want = 'Stopped'; if ($Step.running) { $want = 'Running' }
        if ($null -eq $Step.startType) {
            # started only so the flag can be set (not a final state)
            if ($c['status'] -ne 'Running') { Start-CredHopWinRMForStep $Report }
            return
        }
        $Report.ServiceSettled = $true
        if ($c['status'] -eq $want -and $c['startType'] -eq [string]$Step.startType) { $Report.Unchanged.Add("The WinRM service was already $want ($($Step.startType))"); return }
        # After a restart a Manual service is stopped again: only its start type tells whether someone changed it.
        $e = $Step.expect
        if ($null -ne $e -and $c['startType'] -ne [string]$e.startType) {
            $Report.LeftAlone.Add("The WinRM service's start type was changed since CredHop started it (now $($c['startType'])): left as it is")
            return
        }
        [void](Invoke-CredHopStepPrimitive 'SetWinRMService' (ConvertTo-CredHopStepPayload $Step @('running', 'startType')))
        $Report.Restored.Add("The WinRM service set back to $want ($($Step.startType))")
    }
    'trusted-hosts'        = {
        param($Step, $Report)
        $c = Get-CredHopTrustedHosts
        if ($null -eq $c['value']) { throw 'The TrustedHosts list could not be read on this computer.' }
        $current = [string]$c['value']
        $target = [string]$Step.value
        if ($current -ceq $target) { $Report.Unchanged.Add('TrustedHosts was already as it was before CredHop'); return }
        if ($current -cne [string]$Step.expect) {
            # Someone changed the list since CredHop left it: take out only CredHop's own entries, keep theirs.
            $mine = @(@($Step.known) | ForEach-Object { ([string]$_).Trim().ToLowerInvariant() })
            $target = (@($current.Split(',') | Where-Object { $_.Trim() -ne '' -and $mine -notcontains $_.Trim().ToLowerInvariant() })) -join ','
            $Report.LeftAlone.Add('TrustedHosts was changed since CredHop set it: only the entry CredHop added is taken out, the rest is left as it is')
            if ($target -ceq $current) { return }
        }
        if (-not $c['serviceRunning']) { Start-CredHopWinRMForStep $Report }
        $p = New-Object psobject
        Add-Member -InputObject $p -NotePropertyName value -NotePropertyValue $target
        Add-Member -InputObject $p -NotePropertyName expect -NotePropertyValue $current
        [void](Invoke-CredHopStepPrimitive 'SetTrustedHosts' $p)
        $Report.Restored.Add('TrustedHosts set back')
    }
}

function Start-CredHopWinRMForStep {
    # WinRM stopped (e.g. after a restart): the WSMan: drive needs it for the next change. Remembered, so
    # the task stops it again at the end unless a winrm-service step settles it: a task never leaves
    # running a service it found stopped (another session's task may already have put it back).
    param($Report)
    $svc = Get-CredHopWinRMService
    if ($null -eq $svc -or $svc['status'] -eq 'Running' -or $svc['startType'] -eq 'Disabled') { return }
    $p = New-Object psobject; Add-Member -InputObject $p -NotePropertyName running -NotePropertyValue $true
    [void](Invoke-CredHopStepPrimitive 'SetWinRMService' $p)
    $Report.StartedWinRM = $true
}

function Invoke-CredHopFlagStep {
    param([string]$Role, $Step, $Report)
    $label = "CredSSP in this computer's WinRM client"; if ($Role -eq 'service') { $label = "CredSSP in this computer's WinRM service" }
    $r = 'Client'; if ($Role -eq 'service') { $r = 'Service' }
    $current = Read-CredHopWinRMFlag $r
    if ($null -ne $current -and $current -eq [bool]$Step.enabled) { $Report.Unchanged.Add("$label was already $(([string]$Step.enabled).ToLowerInvariant())"); return }
    if ($null -eq (Get-CredHopWinRMFlag $r)) { Start-CredHopWinRMForStep $Report }
    $p = New-Object psobject
    Add-Member -InputObject $p -NotePropertyName role -NotePropertyValue $Role
    Add-Member -InputObject $p -NotePropertyName enabled -NotePropertyValue ([bool]$Step.enabled)
    [void](Invoke-CredHopStepPrimitive 'SetWinRMFlag' $p)
    $Report.Restored.Add("$label set back to $(([string]$Step.enabled).ToLowerInvariant())")
}

function Invoke-CredHopRunRestorePlan {
    param($P)
    Assert-CredHopFields $P @('version', 'session', 'machine', 'computerName', 'expiresAt', 'steps') 'payload'
    $session = Get-CredHopSessionId $P 'payload'
    $report = [pscustomobject]@{
        Restored  = New-Object System.Collections.Generic.List[string]
        Unchanged = New-Object System.Collections.Generic.List[string]
        LeftAlone = New-Object System.Collections.Generic.List[string]
        NotKnown  = New-Object System.Collections.Generic.List[string]
        Failed    = New-Object System.Collections.Generic.List[string]
        StartedWinRM   = $false
        ServiceSettled = $false
    }
    foreach ($step in @($P.steps)) {
        $kind = [string]$step.kind
        if (-not $script:RestoreSteps.ContainsKey($kind)) {
            $shown = 'a change'; if ($kind -cmatch '\A[a-z][a-z-]{0,39}\z') { $shown = $kind }
            $report.NotKnown.Add("$shown`: this scheduled restore does not know how to put it back; CredHop restores it when it next runs")
            continue
        }
        try { & $script:RestoreSteps[$kind] $step $report }
        catch { $report.Failed.Add("${kind}: $($_.Exception.Message)") }
    }
    if ($report.StartedWinRM -and -not $report.ServiceSettled) {
        try {
            $p = New-Object psobject; Add-Member -InputObject $p -NotePropertyName running -NotePropertyValue $false
            [void](Invoke-CredHopStepPrimitive 'SetWinRMService' $p)
            $report.Restored.Add('The WinRM service stopped again (this restore started it only to make its change)')
        }
        catch { $report.Failed.Add("winrm-service: $($_.Exception.Message)") }
    }
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $d['session'] = $session
    $d['computerName'] = (@((Invoke-CredHopNative 'hostname' @()).Output) -join '').Trim()
    $d['restored'] = [object[]]$report.Restored.ToArray()
    $d['unchanged'] = [object[]]$report.Unchanged.ToArray()
    $d['leftAlone'] = [object[]]$report.LeftAlone.ToArray()
    $d['notKnown'] = [object[]]$report.NotKnown.ToArray()
    $d['failed'] = [object[]]$report.Failed.ToArray()
    $d['complete'] = ($report.Failed.Count -eq 0 -and $report.NotKnown.Count -eq 0 -and $report.LeftAlone.Count -eq 0)
    $script:Result = $d
}
