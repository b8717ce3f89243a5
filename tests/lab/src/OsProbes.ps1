# CredHop lab: Programs the product runs as OS probes: hostname, whoami.
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).

# ---------------------------------------------------------------------------------------------
# OS probes as external programs
# ---------------------------------------------------------------------------------------------
function hostname {
    $state = Read-LabState -ReadOnly
    $global:LASTEXITCODE = 0
    (Get-LabCtxHost $state).name
}

function whoami {
    $state = Read-LabState -ReadOnly
    $user = (Get-LabCtxUser $state).ToLowerInvariant()
    $global:LASTEXITCODE = 0
    $a = @($args | ForEach-Object { ([string]$_).ToLowerInvariant() })
    if ($a.Count -eq 0) { return $user }
    if ($a -contains '/upn') {
        return ($user.Split('\')[1] + '@' + $state.domain)
    }
    if ($a -contains '/groups') {
        $elev = Test-LabElevated $state
        $isAdmin = (@((Get-LabCtxHost $state).admins) -contains (Get-LabCtxUser $state)) -or (Get-LabCtxUser $state) -ieq 'NT AUTHORITY\SYSTEM'
        $adm = if ($elev -and $isAdmin) { 'Mandatory group, Enabled by default, Enabled group, Group owner' } else { 'Group used for deny only' }
        $lines = @(
            '', 'GROUP INFORMATION', '-----------------', '',
            'Group Name                                  Type             SID          Attributes',
            '=========================================== ================ ============ ===============================================================',
            'Everyone                                    Well-known group S-1-1-0      Mandatory group, Enabled by default, Enabled group'
        )
        if ($isAdmin) { $lines += 'BUILTIN\Administrators                      Alias            S-1-5-32-544 ' + $adm }
        $lines += 'BUILTIN\Users                               Alias            S-1-5-32-545 Mandatory group, Enabled by default, Enabled group'
        $lines += 'NT AUTHORITY\NETWORK                        Well-known group S-1-5-2      Mandatory group, Enabled by default, Enabled group'
        if ($elev -and $isAdmin) { $lines += 'Mandatory Label\High Mandatory Level        Label            S-1-16-12288' }
        else { $lines += 'Mandatory Label\Medium Mandatory Level      Label            S-1-16-8192' }
        return $lines
    }
    $global:LASTEXITCODE = 1
    "ERROR: Invalid argument/option - '$($args[0])'."
}

# ---------------------------------------------------------------------------------------------
# The execution policy a Group Policy sets for the computer (the MachinePolicy scope), per host
# ---------------------------------------------------------------------------------------------
function Get-ExecutionPolicy {
    # host.executionPolicy: what "Turn on Script Execution" sets for the computer (MachinePolicy; 'Undefined'
    # when not set). Every other scope, and calls outside a lab host, go to the real cmdlet.
    [CmdletBinding()]
    param([Parameter(Position = 0)][string]$Scope, [switch]$List)
    if ($null -eq $script:Ctx -or $List -or $Scope -ne 'MachinePolicy') { return (Microsoft.PowerShell.Security\Get-ExecutionPolicy @PSBoundParameters) }
    $h = Get-LabCtxHost (Read-LabState -ReadOnly)
    $p = 'Undefined'
    if ($h.Contains('executionPolicy') -and $h.executionPolicy) { $p = [string]$h.executionPolicy }
    [Microsoft.PowerShell.ExecutionPolicy]$p
}
