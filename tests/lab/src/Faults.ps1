# CredHop lab: Injected faults.
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).

# ---------------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------------
function Invoke-LabWriteFault {
    # called AFTER a write took effect; consumes the fault persistently before acting
    param([string]$Command, [string]$Path)
    $state = Read-LabState
    $hit = $null
    foreach ($f in @($state.faults)) {
        if ($f.remaining -gt 0 -and $f.host -ieq $script:Ctx.Host -and $Command -like $f.command -and $Path -like $f.path) { $hit = $f; break }
    }
    if ($null -eq $hit) { return }
    $hit.remaining = [int]$hit.remaining - 1
    $hit.fired = [int]$hit.fired + 1
    Save-LabState $state
    if ($hit.action -eq 'exit') { [System.Environment]::Exit([int]$hit.exitCode) }
    $ex = [System.IO.IOException]::new("CredHop lab fault $($hit.id): $Command on '$Path' failed after its effect.")
    throw (New-LabErrorRecord $ex 'CredHopLabFault' 'WriteError' $Path)
}
