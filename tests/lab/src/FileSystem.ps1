# CredHop lab: NTFS ownership and junctions in a host's ProgramData, the parts code run as SYSTEM
# must check (ProgramData lets every user create folders, and junctions).
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).
#
# A junction is a real symbolic link in the host's folder (<state>/hosts/<host>/ProgramData/...): .NET
# reports it as a ReparsePoint, on Linux as on Windows. An owner is what Windows keeps per file and the
# lab's Linux has not: host.fileOwners maps a path relative to the host's ProgramData ('CredHop/Restore',
# case-insensitive, '/' separated) to the account that created it; anything else is owned by
# BUILTIN\Administrators, as a folder an elevated administrator or SYSTEM creates is. Get-Acl answers the
# owner for those paths (GetOwner and Owner, as a DirectorySecurity does) and forwards every other path.

$script:WellKnownSids = @{ 'BUILTIN\Administrators' = 'S-1-5-32-544'; 'NT AUTHORITY\SYSTEM' = 'S-1-5-18' }

function Get-LabAccountSid {
    # a well-known SID, or a stable made-up domain SID for a lab account
    param([string]$Account)
    foreach ($k in $script:WellKnownSids.Keys) { if ($k -ieq $Account) { return $script:WellKnownSids[$k] } }
    $n = 1000
    foreach ($c in $Account.ToLowerInvariant().ToCharArray()) { $n = ($n * 31 + [int]$c) % 100000 }
    "S-1-5-21-3623811015-3361044348-30300820-$n"
}

function Get-LabProgramDataRelative {
    # the path relative to the context host's ProgramData ('' for ProgramData itself), or $null
    param([string]$Path)
    if ($null -eq $script:Ctx -or [string]::IsNullOrEmpty($env:ProgramData)) { return $null }
    $full = [System.IO.Path]::GetFullPath($Path).TrimEnd('/', '\')
    $root = [System.IO.Path]::GetFullPath($env:ProgramData).TrimEnd('/', '\')
    if ($full -eq $root) { return '' }
    if (-not $full.StartsWith($root + [System.IO.Path]::DirectorySeparatorChar, [System.StringComparison]::Ordinal)) { return $null }
    $full.Substring($root.Length + 1).Replace('\', '/')
}

function Get-Acl {
    [CmdletBinding(DefaultParameterSetName = 'ByPath')]
    param([Parameter(ParameterSetName = 'ByPath', Position = 0)][string[]]$Path, [Parameter(ParameterSetName = 'ByLiteralPath')][Alias('PSPath')][string[]]$LiteralPath, [switch]$Audit)
    $paths = if ($PSCmdlet.ParameterSetName -eq 'ByLiteralPath') { $LiteralPath } else { $Path }
    foreach ($p in @($paths)) {
        $rel = Get-LabProgramDataRelative $p
        if ($null -eq $rel) { Microsoft.PowerShell.Security\Get-Acl @PSBoundParameters; return }
        if (-not [System.IO.Directory]::Exists($p) -and -not [System.IO.File]::Exists($p)) {
            $ex = [System.Management.Automation.ItemNotFoundException]::new("Cannot find path '$p' because it does not exist.")
            $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new($ex, 'GetAcl_PathNotFound_Exception,Microsoft.PowerShell.Commands.GetAclCommand', 'ObjectNotFound', $p))
            continue
        }
        $h = Get-LabCtxHost (Read-LabState -ReadOnly)
        $owner = 'BUILTIN\Administrators'
        if ($h.Contains('fileOwners') -and $null -ne $h.fileOwners) { foreach ($k in @($h.fileOwners.Keys)) { if ($k -ieq $rel) { $owner = [string]$h.fileOwners[$k] } } }
        $o = [pscustomobject]@{ Path = $p; Owner = $owner; CredHopLabOwnerSid = (Get-LabAccountSid $owner) }
        $o.PSObject.TypeNames.Insert(0, 'System.Security.AccessControl.DirectorySecurity')
        # .NET's SecurityIdentifier cannot be made off Windows: an object with its Value (and ToString) stands in
        Add-Member -InputObject $o -MemberType ScriptMethod -Name GetOwner -Value {
            param([type]$Type)
            $v = if ($Type -eq [System.Security.Principal.NTAccount]) { $this.Owner } else { $this.CredHopLabOwnerSid }
            $id = [pscustomobject]@{ Value = $v }
            Add-Member -InputObject $id -MemberType ScriptMethod -Name ToString -Value { $this.Value } -Force
            $id
        }
        $o
    }
}
