# CredHop lab: Invoke-Command -ComputerName <many> -ThrottleLimit N: hosts answered concurrently, as WinRM does.
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).
#
# Windows opens up to ThrottleLimit connections at once and streams each host's results as they arrive.
# Here a connection in flight is only a due time: it opens when a slot is free and answers after its
# latency (lab file: `latencyMs` on a host, or the lab-wide default), so the waits of up to ThrottleLimit
# hosts overlap. When a host is due its script runs in the fan-out's ONE runspace (opened and the lab
# imported once per call, made fresh and entered as that host before every script), on the caller's
# thread, one host at a time: the lab's Windows is one process whose environment ($env:SystemRoot, where
# the local GPO file lives) belongs to the host being run. So the network part is concurrent; the script
# part is serialized, which on Windows would run on N different machines. A runspace per connection (the
# lab imported into each) would cost more CPU than the scripts themselves and buy nothing: only one runs.

function Get-LabSessionTimeoutMs {
    # PSSessionOption.OpenTimeout / OperationTimeout (TimeSpan) in milliseconds; $null when not given.
    param($SessionOption, [string]$Name)
    if ($null -eq $SessionOption) { return $null }
    $p = $SessionOption.PSObject.Properties[$Name]
    if ($null -eq $p -or $null -eq $p.Value) { return $null }
    if ($p.Value -is [timespan]) { return [long]$p.Value.TotalMilliseconds }
    [long]$p.Value
}

function Get-LabConnectWait {
    <# How long a connection takes before its answer, and the time-out it ends in, if any: @{ Ms; Error }. #>
    param($State, [string]$ComputerName, [hashtable]$Conn, $SessionOption)
    $open = Get-LabSessionTimeoutMs $SessionOption 'OpenTimeout'
    $operation = Get-LabSessionTimeoutMs $SessionOption 'OperationTimeout'
    $latency = [long]$State.latencyMs
    $r = Resolve-LabComputer $State $ComputerName
    $h = $null
    if ($null -ne $r) { $h = $r.Host; if ($null -ne $h.latencyMs) { $latency = [long]$h.latencyMs } }
    if ($Conn.Kind -eq 'Timeout') {
        # A host that never answers is given up after the open time-out (when the caller set one).
        $ms = $latency; if ($null -ne $open) { $ms = $open }
        return @{ Ms = $ms; Error = $null }
    }
    if (-not $Conn.Ok) { return @{ Ms = $latency; Error = $null } }
    if ($null -ne $open -and $latency -gt $open) {
        return @{ Ms = $open; Error = (New-LabTransportError 'Timeout' $ComputerName 'PSSessionStateBroken') }
    }
    $op = 0; if ($null -ne $h -and $null -ne $h.operationMs) { $op = [long]$h.operationMs }
    if ($null -ne $operation -and $op -gt $operation) {
        return @{ Ms = $latency + $operation; Error = (New-LabTransportError 'Timeout' $ComputerName 'PSSessionStateBroken') }
    }
    @{ Ms = $latency + $op; Error = $null }
}

function Reset-CredHopLabRunspace {
    <# Internal: makes a pooled runspace fresh for the next host: every global variable and function the
       previous host's script left is removed, its nested sessions are closed, and the location (the lab's
       HKLM:/WSMan: one and the real one) is back where it started. The first call records what a fresh
       runspace holds. #>
    [CmdletBinding()]
    param()
    # (Functions are listed through the command table: the function: drive costs more than a host's script.)
    $cmds = $ExecutionContext.InvokeCommand
    $path = $ExecutionContext.SessionState.Path
    if ($null -eq $script:FreshBaseline) {
        $script:FreshBaseline = @{
            Vars     = [System.Collections.Generic.HashSet[string]]::new([string[]]@(Microsoft.PowerShell.Utility\Get-Variable -Scope Global | ForEach-Object { $_.Name }), [System.StringComparer]::OrdinalIgnoreCase)
            Fns      = [System.Collections.Generic.HashSet[string]]::new([string[]]@($cmds.GetCommands('*', 'Function', $true) | ForEach-Object { $_.Name }), [System.StringComparer]::OrdinalIgnoreCase)
            Location = $path.CurrentLocation.Path
        }
        return
    }
    $base = $script:FreshBaseline
    foreach ($v in @(Microsoft.PowerShell.Utility\Get-Variable -Scope Global)) {
        if (-not $base.Vars.Contains($v.Name)) { Microsoft.PowerShell.Utility\Remove-Variable -Name $v.Name -Scope Global -Force -ErrorAction SilentlyContinue }
    }
    foreach ($f in @($cmds.GetCommands('*', 'Function', $true))) {
        if (-not $base.Fns.Contains($f.Name)) { Microsoft.PowerShell.Management\Remove-Item -LiteralPath ('function:' + $f.Name) -Force -ErrorAction SilentlyContinue }
    }
    foreach ($k in @($script:Sessions.Keys)) { $script:Sessions[$k].Runspace.Dispose(); $script:Sessions.Remove($k) }
    $script:LabLocation = $null
    $script:LabLocationStack.Clear()
    if ($path.CurrentLocation.Path -ne $base.Location) { Microsoft.PowerShell.Management\Set-Location -LiteralPath $base.Location }
    $global:Error.Clear()
}

function Start-LabFanOutRunspace {
    # The fan-out's runspace for host scripts: opened here, the lab imported on a background thread while
    # the first connections wait their latency. @{ Rs; Ps; Async } until Wait-LabFanOutRunspace.
    $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
    $rs = [System.Management.Automation.Runspaces.RunspaceFactory]::CreateRunspace($iss)
    # One thread for all its invocations (the default starts a new thread for each: two per host).
    $rs.ThreadOptions = [System.Management.Automation.Runspaces.PSThreadOptions]::ReuseThread
    $rs.Open()
    $ps = [powershell]::Create()
    $ps.Runspace = $rs
    # One statement only: with ReuseThread, PowerShell 7.6 never completes a BeginInvoke of several.
    # (The first Reset-CredHopLabRunspace, before the first host, records what fresh means.)
    $null = $ps.AddCommand('Microsoft.PowerShell.Core\Import-Module').AddParameter('Name', $script:ManifestPath).AddParameter('Global').AddParameter('Force')
    @{ Rs = $rs; Ps = $ps; Async = $ps.BeginInvoke() }
}

function Wait-LabFanOutRunspace {
    # The runspace, once the lab is imported into it.
    param([hashtable]$Pool)
    if ($null -ne $Pool.Ps) {
        try {
            $null = $Pool.Ps.EndInvoke($Pool.Async)
            if ($Pool.Ps.HadErrors) { throw "CredHop lab: could not start the remote runspace: $($Pool.Ps.Streams.Error[0])" }
        }
        finally { $Pool.Ps.Dispose(); $Pool.Ps = $null; $Pool.Async = $null }
    }
    $Pool.Rs
}

function Enter-LabFanOutHost {
    # Makes the pooled runspace fresh and the given host (as whom, how far down the hops).
    param($Runspace, [hashtable]$Conn, [string]$StateDir, [int]$Depth)
    $Conn.Edition = Get-LabHostEdition (Get-LabHost (Read-LabState -ReadOnly) $Conn.Host) 'endpoint'
    $ps = [powershell]::Create()
    try {
        $ps.Runspace = $Runspace
        $null = $ps.AddCommand('Reset-CredHopLabRunspace')
        $null = $ps.AddStatement().AddCommand('Enter-CredHopLabHost').AddParameter('StateDir', $StateDir).AddParameter('HostName', $Conn.Host).AddParameter('User', $Conn.User).AddParameter('CanDelegate', [bool]$Conn.CanDelegate).AddParameter('Authentication', $Conn.Auth).AddParameter('Remote', $true).AddParameter('Depth', $Depth + 1).AddParameter('SharedState', $true).AddParameter('Edition', $Conn.Edition)
        $null = $ps.Invoke()
        if ($ps.HadErrors) { throw "CredHop lab: could not enter host $($Conn.Host): $($ps.Streams.Error[0])" }
    }
    finally { $ps.Dispose() }
}

function Write-LabFanOutAccount {
    # The lab's own account of its last fan-out (fanout.json in the state dir, read by Get-CredHopLabState
    # {fanOut:true}): how long the host scripts ran one after another on the caller's thread (runMs, with
    # entering each host and copying its results) against the whole call (wallMs) -- where the time went.
    param([string]$StateDir, [hashtable]$Account)
    $json = Microsoft.PowerShell.Utility\ConvertTo-Json -InputObject $Account -Compress
    Write-LabBytesAtomic (Join-LabPath $StateDir 'fanout.json') ([System.Text.UTF8Encoding]::new($false).GetBytes($json))
}

function Invoke-LabFanOut {
    param($Cmdlet, [string[]]$ComputerName, [string]$Authentication, [pscredential]$Credential, [hashtable]$Script, [object[]]$Arguments, [int]$ThrottleLimit, $SessionOption, [switch]$HideComputerName)
    $throttle = 32
    if ($ThrottleLimit -gt 0) { $throttle = $ThrottleLimit }
    $clock0 = [System.Diagnostics.Stopwatch]::StartNew()
    $state = Read-LabState
    # Every connection attempt is counted, in one save (not one per host).
    $cnt = $state.counters.connections
    $items = [System.Collections.Generic.List[hashtable]]::new()
    foreach ($cn in $ComputerName) {
        $r = Resolve-LabComputer $state $cn
        $prev = 0
        if ($null -ne $r -and -not ($Authentication -ieq 'Credssp' -and $null -eq $Credential)) {
            $hn = $r.Host.name
            if ($cnt.Contains($hn)) { $prev = [int]$cnt[$hn] }
            $cnt[$hn] = $prev + 1
        }
        $items.Add(@{ Name = $cn; Prev = $prev })
    }
    Save-LabState $state
    $anyOpen = $false
    foreach ($it in $items) {
        $it.Conn = Connect-LabHost $it.Name $Authentication $Credential 'PSSessionStateBroken' -CountedState $state -Previous $it.Prev
        $it.Wait = Get-LabConnectWait $state $it.Name $it.Conn $SessionOption
        $it.Runs = ($it.Conn.Ok -and $null -eq $it.Wait.Error)
        if ($it.Runs) { $anyOpen = $true }
    }
    $prepMs = $clock0.Elapsed.TotalMilliseconds
    $stateDir = $script:Ctx.StateDir
    $depth = [int]$script:Ctx.Depth
    # Connections in flight (at most $throttle): each is only the time its answer is due.
    $active = [System.Collections.Generic.List[hashtable]]::new()
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $next = 0
    $pool = $null
    $clean = $false
    $runMs = 0.0; $ran = 0
    try {
        if ($anyOpen) { $pool = Start-LabFanOutRunspace }
        while ($next -lt $items.Count -or $active.Count -gt 0) {
            while ($active.Count -lt $throttle -and $next -lt $items.Count) {
                $it = $items[$next]; $next++
                $it.Due = $clock.ElapsedMilliseconds + $it.Wait.Ms
                $active.Add($it)
            }
            # The host that answers first (ties: the one connected first).
            $done = $active[0]
            foreach ($a in $active) { if ($a.Due -lt $done.Due) { $done = $a } }
            $wait = $done.Due - $clock.ElapsedMilliseconds
            if ($wait -gt 0) {
                # Start-Sleep, not a raw wait: it ends at once when the caller stops the pipeline.
                Microsoft.PowerShell.Utility\Start-Sleep -Milliseconds ([int][Math]::Min($wait, [int]::MaxValue))
                continue
            }
            $null = $active.Remove($done)
            if (-not $done.Runs) {
                # unreachable, not found, access denied, ... or a time-out: the host's error record
                $err = $done.Wait.Error
                if ($null -eq $err) { $err = $done.Conn.Error }
                Write-LabError $Cmdlet $err
                continue
            }
            $rs = Wait-LabFanOutRunspace $pool
            $t0 = $clock.Elapsed.TotalMilliseconds
            Enter-LabFanOutHost $rs $done.Conn $stateDir $depth
            Invoke-LabInRunspace $Cmdlet $rs $done.Conn $done.Name $Script $Arguments -HideComputerName:$HideComputerName -State $state
            $runMs += $clock.Elapsed.TotalMilliseconds - $t0
            $ran++
        }
        $clean = $true
        Write-LabFanOutAccount $stateDir @{ hosts = $items.Count; ran = $ran; runMs = [long]$runMs; prepMs = [long]$prepMs; wallMs = [long]$clock0.Elapsed.TotalMilliseconds; throttle = $throttle }
    }
    finally {
        # Done, or stopped (the caller cancelled): close the runspace; a host's script still running in it is stopped.
        if ($null -ne $pool) {
            if ($null -ne $pool.Ps) { if (-not $clean) { try { $pool.Ps.Stop() } catch { $null = $_ } }; $pool.Ps.Dispose() }
            $pool.Rs.Dispose()
        }
    }
}

function New-PSSessionOption {
    <# Windows' parameters (PowerShell on Linux has only -SkipCACheck/-SkipCNCheck); returns a real PSSessionOption.
       Times are in milliseconds, as on Windows. The lab honours OpenTimeout and OperationTimeout. #>
    [CmdletBinding()]
    param(
        [int]$OpenTimeout, [int]$OperationTimeout, [int]$CancelTimeout, [int]$IdleTimeout,
        [switch]$NoMachineProfile, [switch]$IncludePortInSPN, [switch]$SkipCACheck, [switch]$SkipCNCheck, [switch]$SkipRevocationCheck,
        [int]$MaximumReceivedDataSizePerCommand, [int]$MaximumReceivedObjectSize, [int]$MaximumRedirection, [switch]$NoCompression, [switch]$NoEncryption, [switch]$UseUTF16
    )
    $o = [System.Management.Automation.Remoting.PSSessionOption]::new()
    if ($PSBoundParameters.ContainsKey('OpenTimeout')) { $o.OpenTimeout = [timespan]::FromMilliseconds($OpenTimeout) }
    if ($PSBoundParameters.ContainsKey('OperationTimeout')) { $o.OperationTimeout = [timespan]::FromMilliseconds($OperationTimeout) }
    if ($PSBoundParameters.ContainsKey('CancelTimeout')) { $o.CancelTimeout = [timespan]::FromMilliseconds($CancelTimeout) }
    if ($PSBoundParameters.ContainsKey('IdleTimeout')) { $o.IdleTimeout = [timespan]::FromMilliseconds($IdleTimeout) }
    $o.NoMachineProfile = [bool]$NoMachineProfile; $o.IncludePortInSPN = [bool]$IncludePortInSPN
    $o.SkipCACheck = [bool]$SkipCACheck; $o.SkipCNCheck = [bool]$SkipCNCheck; $o.SkipRevocationCheck = [bool]$SkipRevocationCheck
    $o
}
