# CredHop lab: Invoke-Command -ComputerName <many> -ThrottleLimit N: hosts answered concurrently, as WinRM does.
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).
#
# Windows opens up to ThrottleLimit connections at once and streams each host's results as they arrive.
# Here every host gets a fresh runspace of its own (opened, the lab imported and the host entered on a
# background thread, concurrently with the others) and waits its latency (lab file: `latencyMs` on a
# host, or the lab-wide default). The host's script then runs in that runspace on the caller's thread,
# one host at a time: the lab's Windows is one process whose environment ($env:SystemRoot, where the
# local GPO file lives) belongs to the host being run. So the network part is concurrent; the script
# part is serialized, which on Windows would be on N different machines.

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
       previous host's script left is removed, and its nested sessions are closed. The first call records
       what a fresh runspace holds. #>
    [CmdletBinding()]
    param()
    if ($null -eq $script:FreshBaseline) {
        $script:FreshBaseline = @{
            Vars = @(Microsoft.PowerShell.Utility\Get-Variable -Scope Global | ForEach-Object { $_.Name })
            Fns  = @(Microsoft.PowerShell.Management\Get-ChildItem -LiteralPath 'function:' | ForEach-Object { $_.Name })
        }
        return
    }
    foreach ($v in @(Microsoft.PowerShell.Utility\Get-Variable -Scope Global)) {
        if ($script:FreshBaseline.Vars -notcontains $v.Name) { Microsoft.PowerShell.Utility\Remove-Variable -Name $v.Name -Scope Global -Force -ErrorAction SilentlyContinue }
    }
    foreach ($f in @(Microsoft.PowerShell.Management\Get-ChildItem -LiteralPath 'function:')) {
        if ($script:FreshBaseline.Fns -notcontains $f.Name) { Microsoft.PowerShell.Management\Remove-Item -LiteralPath ('function:' + $f.Name) -Force -ErrorAction SilentlyContinue }
    }
    foreach ($k in @($script:Sessions.Keys)) { $script:Sessions[$k].Runspace.Dispose(); $script:Sessions.Remove($k) }
    $global:Error.Clear()
}

function Start-LabFanOutRunspace {
    # A runspace for one host: an idle one of this fan-out (made fresh), or a new one, opened on a background thread.
    param([hashtable]$Item, [System.Collections.Generic.Stack[object]]$Idle)
    if ($Idle.Count -gt 0) { $Item.Rs = $Idle.Pop(); $Item.New = $false }
    else {
        $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
        $Item.Rs = [System.Management.Automation.Runspaces.RunspaceFactory]::CreateRunspace($iss)
        $Item.New = $true
        $Item.Rs.Open()
    }
    $Item.Stage = 'opening'
}

function Step-LabFanOutRunspace {
    # Moves one host's runspace on: opened -> (lab imported,) made fresh, host entered (asynchronously) -> ready.
    param([hashtable]$Item, [string]$StateDir, [int]$Depth)
    if ($Item.Stage -eq 'opening') {
        $st = $Item.Rs.RunspaceStateInfo.State
        if ($st -eq 'Broken') { throw "CredHop lab: could not open a runspace for $($Item.Name): $($Item.Rs.RunspaceStateInfo.Reason)" }
        if ($st -ne 'Opened') { return }
        $ps = [powershell]::Create()
        $ps.Runspace = $Item.Rs
        if ($Item.New) { $null = $ps.AddCommand('Microsoft.PowerShell.Core\Import-Module').AddParameter('Name', $script:ManifestPath).AddParameter('Global').AddParameter('Force').AddStatement() }
        $null = $ps.AddCommand('Reset-CredHopLabRunspace')
        $c = $Item.Conn
        $null = $ps.AddStatement().AddCommand('Enter-CredHopLabHost').AddParameter('StateDir', $StateDir).AddParameter('HostName', $c.Host).AddParameter('User', $c.User).AddParameter('CanDelegate', [bool]$c.CanDelegate).AddParameter('Authentication', $c.Auth).AddParameter('Remote', $true).AddParameter('Depth', $Depth + 1).AddParameter('SharedState', $true)
        $Item.Ps = $ps
        $Item.Async = $ps.BeginInvoke()
        $Item.Stage = 'preparing'
        return
    }
    if ($Item.Stage -eq 'preparing' -and $Item.Async.IsCompleted) {
        try {
            $null = $Item.Ps.EndInvoke($Item.Async)
            if ($Item.Ps.HadErrors) { throw "CredHop lab: could not start the remote runspace: $($Item.Ps.Streams.Error[0])" }
        }
        finally { $Item.Ps.Dispose(); $Item.Ps = $null; $Item.Async = $null }
        $Item.Stage = 'ready'
    }
}

function Invoke-LabFanOut {
    param($Cmdlet, [string[]]$ComputerName, [string]$Authentication, [pscredential]$Credential, [hashtable]$Script, [object[]]$Arguments, [int]$ThrottleLimit, $SessionOption, [switch]$HideComputerName)
    $throttle = 32
    if ($ThrottleLimit -gt 0) { $throttle = $ThrottleLimit }
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
    foreach ($it in $items) {
        $it.Conn = Connect-LabHost $it.Name $Authentication $Credential 'PSSessionStateBroken' -CountedState $state -Previous $it.Prev
        $it.Wait = Get-LabConnectWait $state $it.Name $it.Conn $SessionOption
    }
    $stateDir = $script:Ctx.StateDir
    $depth = [int]$script:Ctx.Depth
    $active = [System.Collections.Generic.List[hashtable]]::new()
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $next = 0
    $idle = [System.Collections.Generic.Stack[object]]::new()
    $all = [System.Collections.Generic.List[object]]::new()
    try {
        while ($next -lt $items.Count -or $active.Count -gt 0) {
            while ($active.Count -lt $throttle -and $next -lt $items.Count) {
                $it = $items[$next]; $next++
                $it.Due = $clock.ElapsedMilliseconds + $it.Wait.Ms
                $it.Stage = 'waiting'
                if ($it.Conn.Ok -and $null -eq $it.Wait.Error) {
                    # the latency runs once the host's runspace is up (the connection is open)
                    $it.Due = [long]::MaxValue
                    Start-LabFanOutRunspace $it $idle
                    if ($it.New) { $all.Add($it.Rs) }
                }
                $active.Add($it)
            }
            $done = $null
            $now = $clock.ElapsedMilliseconds
            foreach ($a in $active) {
                if ($a.Stage -eq 'opening' -or $a.Stage -eq 'preparing') {
                    Step-LabFanOutRunspace $a $stateDir $depth
                    if ($a.Stage -eq 'ready') { $a.Due = $now + $a.Wait.Ms }
                }
                if ($null -eq $done -and $now -ge $a.Due -and ($a.Stage -eq 'waiting' -or $a.Stage -eq 'ready')) { $done = $a }
            }
            if ($null -eq $done) {
                # Sleep until the next host is due or a runspace finishes preparing (no busy polling).
                $handles = [System.Collections.Generic.List[System.Threading.WaitHandle]]::new()
                $timeout = 1000
                foreach ($a in $active) {
                    if ($a.Stage -eq 'preparing' -and $handles.Count -lt 63) { $handles.Add($a.Async.AsyncWaitHandle) }
                    elseif ($a.Stage -eq 'opening') { $timeout = 2 }
                    elseif ($a.Due -ne [long]::MaxValue) { $timeout = [Math]::Min($timeout, [Math]::Max(1, $a.Due - $now)) }
                }
                if ($handles.Count -gt 0) { $null = [System.Threading.WaitHandle]::WaitAny($handles.ToArray(), [int]$timeout) }
                else { [System.Threading.Thread]::Sleep([int]$timeout) }
                continue
            }
            $null = $active.Remove($done)
            if ($done.Stage -eq 'waiting') {
                # unreachable, not found, access denied, ... or a time-out: the host's error record
                $err = $done.Wait.Error
                if ($null -eq $err) { $err = $done.Conn.Error }
                Write-LabError $Cmdlet $err
                continue
            }
            try { Invoke-LabInRunspace $Cmdlet $done.Rs $done.Conn $done.Name $Script $Arguments -HideComputerName:$HideComputerName -State $state }
            finally { $idle.Push($done.Rs); $done.Rs = $null }
        }
    }
    finally {
        # Stopped (the caller cancelled): close whatever is still connecting.
        foreach ($a in $active) {
            if ($null -ne $a.Ps) { try { $a.Ps.Stop() } catch { $null = $_ }; $a.Ps.Dispose() }
        }
        foreach ($rs in $all) { $rs.Dispose() }
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
