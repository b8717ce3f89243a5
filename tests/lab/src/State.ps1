# CredHop lab: The lab state: one JSON file per state dir (written atomically), host lookup, and which host this runspace is.
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).

# ---------------------------------------------------------------------------------------------
# State: one JSON file per lab state dir, written atomically; Registry.pol files per host.
# ---------------------------------------------------------------------------------------------
function Get-LabStateDir {
    if ($null -eq $script:Ctx) { throw 'CredHop lab: not initialized in this runspace (call Initialize-CredHopLab).' }
    $script:Ctx.StateDir
}

function ConvertFrom-LabJson {
    param([string]$Text)
    Microsoft.PowerShell.Utility\ConvertFrom-Json -InputObject $Text -AsHashtable -Depth 100
}

function Read-LabJson {
    param([string]$Path)
    ConvertFrom-LabJson ([System.IO.File]::ReadAllText($Path))
}

function Write-LabBytesAtomic {
    param([string]$Path, [byte[]]$Bytes)
    $dir = [System.IO.Path]::GetDirectoryName($Path)
    if (-not [System.IO.Directory]::Exists($dir)) { $null = [System.IO.Directory]::CreateDirectory($dir) }
    $tmp = $Path + '.' + [guid]::NewGuid().ToString('N') + '.tmp'
    [System.IO.File]::WriteAllBytes($tmp, $Bytes)
    [System.IO.File]::Move($tmp, $Path, $true)
}

function Get-LabStateStamp {
    param([string]$Path)
    $fi = [System.IO.FileInfo]::new($Path)
    '{0}:{1}' -f $fi.LastWriteTimeUtc.Ticks, $fi.Length
}

function Read-LabState {
    # -ReadOnly: the caller only reads (never changes the state it gets), so it may share one parsed state.
    param([string]$StateDir, [switch]$ReadOnly)
    if (-not $StateDir) { $StateDir = Get-LabStateDir }
    $p = Join-LabPath $StateDir 'state.json'
    if (-not [System.IO.File]::Exists($p)) { throw "CredHop lab: no lab state in '$StateDir' (call Initialize-CredHopLab)." }
    # The runspaces of a fan-out (Invoke-Command -ComputerName <many>) share one parsed state per process,
    # re-read only when the file changes: parsing the state of a 500-host lab in every remote call would
    # make the lab, not the network, the bottleneck. Their scripts run one at a time (see Invoke-LabFanOut).
    if ($null -ne $script:Ctx -and $script:Ctx.SharedState) {
        $key = 'CredHopLab.SharedState:' + $p
        $stamp = Get-LabStateStamp $p
        $c = [System.AppDomain]::CurrentDomain.GetData($key)
        if ($null -ne $c -and $c.Stamp -eq $stamp) { return $c.State }
        $st = Read-LabJson $p
        [System.AppDomain]::CurrentDomain.SetData($key, @{ Stamp = $stamp; State = $st })
        return $st
    }
    # A reader elsewhere (the item cmdlets, whoami, Get-Service: dozens per CredHop call) shares the parse
    # while the file's text is unchanged. The text, not its time stamp, decides: another process (a
    # scheduled task, a second CredHop) may write a state of the same length within one clock tick.
    # Reading 5 KB and comparing it costs a tenth of parsing it; on Windows these reads are native calls.
    $text = [System.IO.File]::ReadAllText($p)
    if ($ReadOnly) {
        $key = 'CredHopLab.ReadCache:' + $p
        $c = [System.AppDomain]::CurrentDomain.GetData($key)
        if ($null -ne $c -and [string]::Equals($c.Text, $text, [System.StringComparison]::Ordinal)) { return $c.State }
        $st = ConvertFrom-LabJson $text
        [System.AppDomain]::CurrentDomain.SetData($key, @{ Text = $text; State = $st })
        return $st
    }
    # A writer gets its own copy: it changes it before Save-LabState, and may fail before saving.
    ConvertFrom-LabJson $text
}

function Save-LabState {
    param($State, [string]$StateDir)
    if (-not $StateDir) { $StateDir = Get-LabStateDir }
    $json = Microsoft.PowerShell.Utility\ConvertTo-Json -InputObject $State -Depth 100
    $p = Join-LabPath $StateDir 'state.json'
    Write-LabBytesAtomic $p ([System.Text.UTF8Encoding]::new($false).GetBytes($json))
    [System.AppDomain]::CurrentDomain.SetData('CredHopLab.ReadCache:' + $p, $null)
    $key = 'CredHopLab.SharedState:' + $p
    if ($null -ne [System.AppDomain]::CurrentDomain.GetData($key)) {
        if ($null -ne $script:Ctx -and $script:Ctx.SharedState) { [System.AppDomain]::CurrentDomain.SetData($key, @{ Stamp = (Get-LabStateStamp $p); State = $State }) }
        else { [System.AppDomain]::CurrentDomain.SetData($key, $null) }
    }
}

function Get-LabHostRoot { param([string]$StateDir, [string]$HostName) Join-LabPath $StateDir 'hosts' $HostName.ToLowerInvariant() 'Windows' }
function Get-LabPolPath { param([string]$StateDir, [string]$HostName) Join-LabPath (Get-LabHostRoot $StateDir $HostName) 'System32' 'GroupPolicy' 'Machine' 'Registry.pol' }
function Get-LabGptPath { param([string]$StateDir, [string]$HostName) Join-LabPath (Get-LabHostRoot $StateDir $HostName) 'System32' 'GroupPolicy' 'gpt.ini' }

function Get-LabHost {
    param($State, [string]$Name)
    # Direct lookup first: a 500-host lab is looked up many times per remote call.
    if ($State.hosts.Contains($Name)) { return $State.hosts[$Name] }
    foreach ($k in $State.hosts.Keys) { if ($k -ieq $Name) { return $State.hosts[$k] } }
    $null
}

function Get-LabPayloadHost {
    # the host an entry point's payload names ({host: ...}), or the entry point's plain error
    param($State, $Payload)
    $h = Get-LabHost $State ([string]$Payload['host'])
    if ($null -eq $h) { throw "unknown host '$($Payload['host'])'" }
    $h
}

# ---------------------------------------------------------------------------------------------
# Runspace context ("which machine am I")
# ---------------------------------------------------------------------------------------------
function Enter-CredHopLabHost {
    <# Internal: makes this runspace the given host (used for the client and for remote runspaces). #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][string]$StateDir,
        [Parameter(Mandatory)][string]$HostName,
        [string]$User,
        [bool]$CanDelegate = $true,
        [string]$Authentication = 'Local',
        [bool]$Remote = $false,
        [int]$Depth = 0,
        [bool]$SharedState = $false,
        # The PowerShell edition this runspace runs as (Editions.ps1); not given: left as it is.
        [string]$Edition
    )
    if ($PSBoundParameters.ContainsKey('Edition')) { Set-LabEdition $Edition }
    $script:Ctx = [ordered]@{
        StateDir       = $StateDir
        Host           = $HostName
        User           = $User
        CanDelegate    = $CanDelegate
        Authentication = $Authentication
        Remote         = $Remote
        Depth          = $Depth
        SharedState    = $SharedState
    }
}

function Get-LabCtxHost { param($State) Get-LabHost $State $script:Ctx.Host }

function Get-LabCtxUser {
    param($State)
    if ($script:Ctx.User) { return $script:Ctx.User }
    (Get-LabCtxHost $State).currentUser
}

function Test-LabElevated {
    param($State)
    if ($script:Ctx.Remote) { return $true }  # remote sessions of administrators run elevated
    if ($script:Ctx.User -ieq 'NT AUTHORITY\SYSTEM') { return $true }  # a scheduled task running as SYSTEM
    [bool](Get-LabCtxHost $State).elevated
}

function Set-LabProcessEnv {
    param($State, [string]$HostName, [string]$User)
    $h = Get-LabHost $State $HostName
    $env:SystemRoot = Get-LabHostRoot $script:Ctx.StateDir $h.name
    $env:windir = $env:SystemRoot
    $env:COMPUTERNAME = $h.name.ToUpperInvariant()
    # C:\ProgramData of this host (where a program keeps machine-wide data, e.g. a scheduled task's files)
    $env:ProgramData = Join-LabPath $script:Ctx.StateDir 'hosts' $h.name.ToLowerInvariant() 'ProgramData'
    if ($User) { $env:USERDOMAIN = $User.Split('\')[0]; $env:USERNAME = $User.Split('\')[1] }
}
