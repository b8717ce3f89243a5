# CredHop lab: Task Scheduler (the ScheduledTasks module's cmdlets CredHop uses), each host's clock,
# and a host being switched off and on.
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).
#
# Host state: host.tasks (ordered: task name -> {name, path, execute, arguments, atUtc, userId, runLevel,
# startWhenAvailable, allowOnBatteries, stopOnBatteries, executionTimeLimit, wakeToRun, state, lastRunUtc,
# lastResult, lastOutput}), host.clockOffsetMs (the host's time is real time plus this; 0 = real time),
# host.off (switched off: unreachable, its tasks do not run), host.power ('ac' or 'battery': a task that
# may not start on batteries does not start; the others run).
# A task becomes due when its host's time passes its trigger; the lab runs due tasks only when asked
# (Move-CredHopLabClock, Start-CredHopLabHost), as 'NT AUTHORITY\SYSTEM' in a fresh runspace of that
# host, so the task's script really runs on the lab's Windows with whatever files it was given.
# Texts: Windows' as commonly printed (not in the reference): duplicate name "Cannot create a file when
# that file already exists." (HRESULT 0x800700b7), access "Access is denied." (0x80070005), not found
# "No MSFT_ScheduledTask objects found with property 'TaskName' equal to '<name>'.  Verify the value of
# the property and retry." (CmdletizationQuery_NotFound_TaskName).

$script:SystemUser = 'NT AUTHORITY\SYSTEM'
$script:TaskNs = 'Root/Microsoft/Windows/TaskScheduler'

function Get-LabHostNow {
    param($HostState)
    $off = 0; if ($HostState.Contains('clockOffsetMs') -and $null -ne $HostState.clockOffsetMs) { $off = [double]$HostState.clockOffsetMs }
    [datetime]::UtcNow.AddMilliseconds($off)
}

function Get-Date {
    # The host's clock (real time plus the offset Move-CredHopLabClock set): what a task reads as "now".
    # Every parameter goes to the real cmdlet; only the default -Date changes.
    [CmdletBinding()]
    param(
        [Parameter(Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)][Alias('LastWriteTime')][datetime]$Date,
        [int]$Year, [int]$Month, [int]$Day, [int]$Hour, [int]$Minute, [int]$Second, [int]$Millisecond,
        [Microsoft.PowerShell.Commands.DisplayHintType]$DisplayHint, [string]$Format, [string]$UFormat, [switch]$AsUTC, [long]$UnixTimeSeconds
    )
    process {
        $b = @{} + $PSBoundParameters
        if (-not $b.ContainsKey('Date') -and -not $b.ContainsKey('UnixTimeSeconds') -and $null -ne $script:Ctx) {
            $h = Get-LabCtxHost (Read-LabState)
            if ($null -ne $h) { $b['Date'] = (Get-LabHostNow $h).ToLocalTime() }
        }
        Microsoft.PowerShell.Utility\Get-Date @b
    }
}

function New-LabCimObject {
    param([string]$Class, [hashtable]$Props)
    $o = [pscustomobject]$Props
    $o.PSObject.TypeNames.Insert(0, "Microsoft.Management.Infrastructure.CimInstance#$($script:TaskNs)/$Class")
    $o
}

function New-LabTaskError {
    param([string]$Text, [string]$Hresult, [string]$Cmd, [string]$Category, $Target)
    $ex = [Microsoft.Management.Infrastructure.CimException]::new($Text)
    New-LabErrorRecord $ex "HRESULT $Hresult,$Cmd" $Category $Target
}

function New-LabTaskNotFound {
    param([string]$Name, [string]$Cmd)
    $ex = [Microsoft.Management.Infrastructure.CimException]::new("No MSFT_ScheduledTask objects found with property 'TaskName' equal to '$Name'.  Verify the value of the property and retry.")
    New-LabErrorRecord $ex "CmdletizationQuery_NotFound_TaskName,$Cmd" 'ObjectNotFound' $Name
}

function New-ScheduledTaskAction {
    [CmdletBinding()]
    param([Parameter(Mandatory, Position = 0)][string]$Execute, [Parameter(Position = 1)][string]$Argument, [Parameter(Position = 2)][string]$WorkingDirectory, [string]$Id)
    New-LabCimObject 'MSFT_TaskExecAction' @{ Execute = $Execute; Arguments = $Argument; WorkingDirectory = $WorkingDirectory; Id = $Id }
}

function New-ScheduledTaskTrigger {
    [CmdletBinding(DefaultParameterSetName = 'Once')]
    param(
        [Parameter(ParameterSetName = 'Once', Mandatory)][switch]$Once,
        [Parameter(ParameterSetName = 'Once', Mandatory)][datetime]$At,
        [Parameter(ParameterSetName = 'Once')][timespan]$RandomDelay
    )
    # Only -Once -At is modelled (what CredHop uses). An unspecified Kind is local time, as in Windows.
    $utc = if ($At.Kind -eq [System.DateTimeKind]::Utc) { $At } else { $At.ToUniversalTime() }
    $o = New-LabCimObject 'MSFT_TaskTimeTrigger' @{ StartBoundary = $At.ToLocalTime().ToString('yyyy-MM-ddTHH:mm:sszzz'); Enabled = $true }
    Add-Member -InputObject $o -NotePropertyName CredHopLabAtUtc -NotePropertyValue $utc.ToString('o')
    $o
}

function New-ScheduledTaskPrincipal {
    [CmdletBinding(DefaultParameterSetName = 'User')]
    param([Parameter(Mandatory, ParameterSetName = 'User')][string]$UserId, [ValidateSet('Highest', 'Limited')][string]$RunLevel = 'Limited', [string]$LogonType, [string]$Id)
    New-LabCimObject 'MSFT_TaskPrincipal2' @{ UserId = $UserId; RunLevel = $RunLevel; LogonType = $LogonType; Id = $Id }
}

function New-ScheduledTaskSettingsSet {
    # Windows' defaults: do not start on batteries, stop when going on batteries, a 72-hour limit, no wake.
    [CmdletBinding()]
    param([switch]$StartWhenAvailable, [switch]$AllowStartIfOnBatteries, [switch]$DontStopIfGoingOnBatteries, [timespan]$ExecutionTimeLimit = [timespan]::FromHours(72), [timespan]$DeleteExpiredTaskAfter, [switch]$WakeToRun, [switch]$Hidden)
    New-LabCimObject 'MSFT_TaskSettings3' @{
        StartWhenAvailable = [bool]$StartWhenAvailable; DisallowStartIfOnBatteries = -not $AllowStartIfOnBatteries; StopIfGoingOnBatteries = -not $DontStopIfGoingOnBatteries
        ExecutionTimeLimit = [System.Xml.XmlConvert]::ToString($ExecutionTimeLimit); WakeToRun = [bool]$WakeToRun; Hidden = [bool]$Hidden
    }
}

function ConvertTo-LabTaskObject {
    param($Task)
    $trigger = New-LabCimObject 'MSFT_TaskTimeTrigger' @{ StartBoundary = ([datetime]::Parse($Task.atUtc, $null, 'RoundtripKind')).ToLocalTime().ToString('yyyy-MM-ddTHH:mm:sszzz'); Enabled = $true }
    New-LabCimObject 'MSFT_ScheduledTask' @{
        TaskName  = $Task.name
        TaskPath  = $Task.path
        State     = $Task.state
        Actions   = @(New-LabCimObject 'MSFT_TaskExecAction' @{ Execute = $Task.execute; Arguments = $Task.arguments; WorkingDirectory = $null; Id = $null })
        Triggers  = @($trigger)
        Principal = New-LabCimObject 'MSFT_TaskPrincipal2' @{ UserId = $Task.userId; RunLevel = $Task.runLevel; LogonType = $null; Id = $null }
        Settings  = New-LabCimObject 'MSFT_TaskSettings3' @{ StartWhenAvailable = [bool]$Task.startWhenAvailable; DisallowStartIfOnBatteries = -not $Task.allowOnBatteries; StopIfGoingOnBatteries = [bool]$Task.stopOnBatteries; ExecutionTimeLimit = $Task.executionTimeLimit; WakeToRun = [bool]$Task.wakeToRun }
        Description = $Task.description
    }
}

function Get-LabHostTasks {
    param($HostState)
    if (-not $HostState.Contains('tasks') -or $null -eq $HostState.tasks) { $HostState.tasks = [ordered]@{} }
    $HostState.tasks
}

function Register-ScheduledTask {
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory, Position = 0)][string]$TaskName,
        [Parameter(Position = 1)][string]$TaskPath = '\',
        [Parameter(Mandatory, Position = 2)][object[]]$Action,
        [object[]]$Trigger,
        [object]$Principal,
        [object]$Settings,
        [string]$Description,
        [switch]$Force
    )
    Import-LabCallerPreference $PSCmdlet $PSBoundParameters
    $state = Read-LabState
    $h = Get-LabCtxHost $state
    $cmd = 'Register-ScheduledTask'
    # Registering a task that runs as SYSTEM (or with highest privileges) needs an elevated administrator.
    if (-not (Test-LabElevated $state)) { Write-LabError $PSCmdlet (New-LabTaskError 'Access is denied.' '0x80070005' $cmd 'PermissionDenied' $null); return }
    if (@($Action).Count -ne 1 -or @($Trigger).Count -ne 1) { throw "CredHop lab: only one action and one -Once trigger per task are modelled." }
    $tasks = Get-LabHostTasks $h
    $existing = $null; foreach ($k in @($tasks.Keys)) { if ($k -ieq $TaskName) { $existing = $k } }
    if ($null -ne $existing -and -not $Force) { Write-LabError $PSCmdlet (New-LabTaskError 'Cannot create a file when that file already exists.' '0x800700b7' $cmd 'ResourceExists' $null); return }
    if ($null -ne $existing) { $tasks.Remove($existing) }
    $a = @($Action)[0]; $t = @($Trigger)[0]
    if (-not $t.PSObject.Properties['CredHopLabAtUtc']) { throw 'CredHop lab: the trigger must come from New-ScheduledTaskTrigger -Once -At.' }
    $user = if ($null -ne $Principal) { [string]$Principal.UserId } else { Get-LabCtxUser $state }
    if ($user -ieq 'SYSTEM' -or $user -ieq 'NT AUTHORITY\SYSTEM') { $user = $script:SystemUser }
    $tasks[$TaskName] = [ordered]@{
        name = $TaskName; path = $TaskPath; execute = [string]$a.Execute; arguments = [string]$a.Arguments
        atUtc = [string]$t.CredHopLabAtUtc; userId = $user
        runLevel = $(if ($null -ne $Principal) { [string]$Principal.RunLevel } else { 'Limited' })
        startWhenAvailable = ($null -ne $Settings -and [bool]$Settings.StartWhenAvailable)
        # no -Settings: Windows' defaults (see New-ScheduledTaskSettingsSet)
        allowOnBatteries = ($null -ne $Settings -and -not [bool]$Settings.DisallowStartIfOnBatteries)
        stopOnBatteries = ($null -eq $Settings -or [bool]$Settings.StopIfGoingOnBatteries)
        executionTimeLimit = $(if ($null -ne $Settings -and $Settings.ExecutionTimeLimit) { [string]$Settings.ExecutionTimeLimit } else { 'PT72H' })
        wakeToRun = ($null -ne $Settings -and [bool]$Settings.WakeToRun)
        description = $Description; state = 'Ready'; lastRunUtc = $null; lastResult = 267011; lastOutput = $null
    }
    Add-LabCount $state 'taskRegistrations' $h.name
    Save-LabState $state
    Invoke-LabWriteFault 'Register-ScheduledTask' $TaskName
    ConvertTo-LabTaskObject $tasks[$TaskName]
}

function Get-ScheduledTask {
    [CmdletBinding()]
    param([Parameter(Position = 0)][string[]]$TaskName, [Parameter(Position = 1)][string[]]$TaskPath)
    Import-LabCallerPreference $PSCmdlet $PSBoundParameters
    $state = Read-LabState -ReadOnly
    # A shared (read-only) state: read the host's tasks without adding the empty list Get-LabHostTasks would.
    $hs = Get-LabCtxHost $state
    $tasks = if ($hs.Contains('tasks') -and $null -ne $hs.tasks) { $hs.tasks } else { @{} }
    $names = if ($TaskName) { $TaskName } else { @('*') }
    foreach ($n in $names) {
        $found = @($tasks.Values | Where-Object { $_.name -like $n -and (-not $TaskPath -or @($TaskPath) -contains $_.path) })
        if ($found.Count -eq 0 -and -not [System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($n)) {
            Write-LabError $PSCmdlet (New-LabTaskNotFound $n 'Get-ScheduledTask'); continue
        }
        foreach ($t in $found) { ConvertTo-LabTaskObject $t }
    }
}

function Unregister-ScheduledTask {
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    param([Parameter(Position = 0, ValueFromPipelineByPropertyName)][string[]]$TaskName, [Parameter(Position = 1, ValueFromPipelineByPropertyName)][string[]]$TaskPath)
    begin { Import-LabCallerPreference $PSCmdlet $PSBoundParameters }
    process {
        foreach ($n in @($TaskName)) {
            $state = Read-LabState
            $h = Get-LabCtxHost $state
            $tasks = Get-LabHostTasks $h
            $key = $null; foreach ($k in @($tasks.Keys)) { if ($k -like $n) { $key = $k } }
            if ($null -eq $key) { Write-LabError $PSCmdlet (New-LabTaskNotFound $n 'Unregister-ScheduledTask'); continue }
            if (-not (Test-LabElevated $state)) { Write-LabError $PSCmdlet (New-LabTaskError 'Access is denied.' '0x80070005' 'Unregister-ScheduledTask' 'PermissionDenied' $key); continue }
            if (-not $PSCmdlet.ShouldProcess($key, 'Delete')) { continue }
            $tasks.Remove($key)
            Save-LabState $state
            Invoke-LabWriteFault 'Unregister-ScheduledTask' $key
        }
    }
}

# ---------------------------------------------------------------------------------------------
# Running a task: SYSTEM, a fresh runspace of its host, the action's program interpreted
# ---------------------------------------------------------------------------------------------
function Get-LabTaskScriptPath {
    # powershell.exe/pwsh.exe with -File <path>: the script to run; anything else is not modelled
    param($Task)
    $exe = [System.IO.Path]::GetFileName(([string]$Task.execute).Replace('\', '/'))
    if ($exe -notin 'powershell.exe', 'powershell', 'pwsh.exe', 'pwsh') { return $null }
    if ([string]$Task.arguments -match '(?i)(?:^|\s)-File\s+(?:"(?<p>[^"]+)"|(?<p>\S+))') { return $Matches.p }
    $null
}

function Invoke-LabTask {
    # Runs one task now on its host. Returns {taskName, result, output}.
    param([string]$HostName, [string]$TaskName)
    $state = Read-LabState
    $h = Get-LabHost $state $HostName
    $task = (Get-LabHostTasks $h)[$TaskName]
    $path = Get-LabTaskScriptPath $task
    $saved = @{ SystemRoot = $env:SystemRoot; windir = $env:windir; COMPUTERNAME = $env:COMPUTERNAME; USERNAME = $env:USERNAME; USERDOMAIN = $env:USERDOMAIN; ProgramData = $env:ProgramData }
    $result = 0; $output = New-Object System.Collections.Generic.List[string]
    $rs = $null
    try {
        if ($null -eq $path -or -not [System.IO.File]::Exists($path)) {
            # Windows starts the program; the script missing makes powershell.exe exit with 0xFFFD0000
            $result = -196608; $output.Add("The task's script was not found or the action is not modelled: $($task.execute) $($task.arguments)")
        }
        else {
            # powershell.exe is the host's task PowerShell (Windows PowerShell 5.1), pwsh.exe its PowerShell 7.
            $edition = Get-LabHostEdition $h $(if ([string]$task.execute -match '(?i)pwsh(\.exe)?$') { 'installed' } else { 'tasks' })
            $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
            $rs = [System.Management.Automation.Runspaces.RunspaceFactory]::CreateRunspace($iss)
            $rs.Open()
            $ps = [powershell]::Create()
            try {
                $ps.Runspace = $rs
                $null = $ps.AddCommand('Microsoft.PowerShell.Core\Import-Module').AddParameter('Name', $script:ManifestPath).AddParameter('Global').AddParameter('Force')
                $null = $ps.AddStatement().AddCommand('Enter-CredHopLabHost').AddParameter('StateDir', $script:Ctx.StateDir).AddParameter('HostName', $h.name).AddParameter('User', $task.userId).AddParameter('CanDelegate', $false).AddParameter('Authentication', 'Local').AddParameter('Edition', $edition)
                $null = $ps.Invoke()
            }
            finally { $ps.Dispose() }
            # -File: 5.1 reads and parses the script file as it does (a parse error: exit code 1, the error on stderr).
            $parseError = $null
            if ($edition -eq '5.1') { try { Read-LabScriptFile51 $path } catch { $parseError = $_ } }
            Set-LabProcessEnv $state $h.name ([string]$task.userId)
            $ps = [powershell]::Create()
            try {
                $ps.Runspace = $rs
                $null = $ps.AddCommand($path)
                if ($null -ne $parseError) { $result = 1; $output.Add("terminating: $($parseError.Exception.Message)") }
                else {
                    try { foreach ($o in $ps.Invoke()) { $output.Add([string]$o) } }
                    catch { $result = 1; $output.Add("terminating: $($_.Exception.Message)") }
                    foreach ($e in $ps.Streams.Error) { $output.Add("error: $e") }
                    if ($ps.HadErrors -and $result -eq 0) { $result = 1 }
                }
            }
            finally { $ps.Dispose() }
        }
    }
    finally {
        foreach ($k in $saved.Keys) { [System.Environment]::SetEnvironmentVariable($k, $saved[$k]) }
        if ($null -ne $rs) { $rs.Dispose() }
    }
    # The script may have unregistered the task: record the run only on a task still there.
    $state = Read-LabState
    $h = Get-LabHost $state $HostName
    $tasks = Get-LabHostTasks $h
    if ($tasks.Contains($TaskName)) {
        $tasks[$TaskName].lastRunUtc = (Get-LabHostNow $h).ToString('o')
        $tasks[$TaskName].lastResult = $result
        $tasks[$TaskName].lastOutput = ($output.ToArray() -join "`n")
        $tasks[$TaskName].state = 'Ready'
        Save-LabState $state
    }
    [ordered]@{ taskName = $TaskName; result = $result; output = [object[]]$output.ToArray() }
}

function Invoke-LabDueTasks {
    # Runs the host's due tasks that have not run yet. While the host is off its due tasks are missed;
    # -AtStart (the host just started): a missed task with StartWhenAvailable runs now, one without it
    # stays missed, as in Task Scheduler.
    param([string]$HostName, [switch]$AtStart)
    $state = Read-LabState
    $h = Get-LabHost $state $HostName
    $now = Get-LabHostNow $h
    $ran = New-Object System.Collections.Generic.List[object]
    $due = @(@((Get-LabHostTasks $h).Values) | Where-Object { $null -eq $_.lastRunUtc -and [datetime]::Parse($_.atUtc, $null, 'RoundtripKind') -le $now })
    if ($h.off -or $AtStart) {
        $changed = $false
        foreach ($t in $due) { if ($t.state -ne 'Missed' -and ($h.off -or -not $t.startWhenAvailable)) { $t.state = 'Missed'; $changed = $true } }
        if ($changed) { Save-LabState $state }
        if ($h.off) { return [object[]]@() }
    }
    foreach ($t in $due) {
        if ($t.state -eq 'Missed' -and -not ($AtStart -and $t.startWhenAvailable)) { continue }
        # On batteries, a task that may not start on them does not start: its one trigger passes, and it
        # never runs (0x800710E0, "The operator or administrator has refused the request.", as
        # Task Scheduler records a start refused by a condition).
        if ((Get-LabHostPower $h) -eq 'battery' -and -not $t.allowOnBatteries) {
            $t.state = 'Ready'; $t.lastRunUtc = $now.ToString('o'); $t.lastResult = -2147020576; $t.lastOutput = 'not started: the computer runs on batteries'
            Save-LabState $state
            continue
        }
        $ran.Add((Invoke-LabTask $h.name $t.name))
    }
    [object[]]$ran.ToArray()
}

# ---------------------------------------------------------------------------------------------
# Entry points: a host's clock, and switching a host off and on
# ---------------------------------------------------------------------------------------------
function Move-CredHopLabClock {
    <# payload {host, by?: seconds, to?: ISO time} -> moves that host's clock forward and runs the tasks that became due: {host, now, ran} #>
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Payload)
    Invoke-LabEntry $Payload {
        param($p)
        $state = Read-LabState
        $h = Get-LabPayloadHost $state $p
        $now = Get-LabHostNow $h
        if ($p.Contains('to')) {
            try { $to = [datetime]::Parse([string]$p['to'], [cultureinfo]::InvariantCulture, 'AdjustToUniversal,AssumeUniversal') } catch { throw "to: expected an ISO time, got '$($p['to'])'" }
        }
        elseif ($p.Contains('by')) {
            if (-not (Test-LabType $p['by'] 'int') -or [long]$p['by'] -lt 0) { throw 'by: expected a number of seconds >= 0' }
            $to = $now.AddSeconds([double]$p['by'])
        }
        else { throw 'to or by is required' }
        if ($to -lt $now) { throw "to: the clock only moves forward (the host's time is $($now.ToString('o')))" }
        $h.clockOffsetMs = [long](($to - [datetime]::UtcNow).TotalMilliseconds)
        Save-LabState $state
        $ran = Invoke-LabDueTasks $h.name
        [ordered]@{ host = $h.name; now = $to.ToString('o'); ran = @($ran) }
    }
}

function Get-LabHostPower {
    # 'ac' (plugged in, the default) or 'battery'
    param($HostState)
    if ($HostState.Contains('power') -and $HostState.power -eq 'battery') { return 'battery' }
    'ac'
}

function Stop-CredHopLabHost {
    <# payload {host} -> the host is switched off: unreachable, its due tasks are missed #>
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Payload)
    Invoke-LabEntry $Payload {
        param($p)
        $state = Read-LabState
        $h = Get-LabPayloadHost $state $p
        $h.off = $true
        Save-LabState $state
        [ordered]@{ host = $h.name; off = $true }
    }
}

function Start-CredHopLabHost {
    <# payload {host} -> the host starts: missed tasks with StartWhenAvailable run now: {host, ran} #>
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Payload)
    Invoke-LabEntry $Payload {
        param($p)
        $state = Read-LabState
        $h = Get-LabPayloadHost $state $p
        $h.off = $false
        Save-LabState $state
        $ran = Invoke-LabDueTasks $h.name -AtStart
        [ordered]@{ host = $h.name; ran = @($ran) }
    }
}

function Get-LabCredHopFiles {
    # The files a scheduled restore keeps on the host (ProgramData\CredHop\Restore), relative, sorted:
    # part of a machine's state, so "back as it was" includes "the task's files are gone".
    param([string]$StateDir, [string]$HostName)
    $root = Join-LabPath $StateDir 'hosts' $HostName.ToLowerInvariant() 'ProgramData' 'CredHop' 'Restore'
    if (-not [System.IO.Directory]::Exists($root)) { return }
    [System.IO.Directory]::GetFiles($root, '*', [System.IO.SearchOption]::AllDirectories) | ForEach-Object { [System.IO.Path]::GetRelativePath($root, $_).Replace('\', '/') } | Sort-Object
}
