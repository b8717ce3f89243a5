# The scheduled restore (the safety net that does not need CredHop running): a one-shot task on each
# machine CredHop changes, running as SYSTEM at the session's expiry (or at the next start when the
# machine was off), that puts back what CredHop changed on that machine and removes itself.
# Part of the CredHop module (loaded by CredHop.psm1); see README.md.
#
# On each machine: <ProgramData>\CredHop\Restore\<session>\ holds Restore-CredHopSession.ps1 (constant
# text, shipped in task\), restore.json (what to put back, decided in TypeScript) and CredHop\ (a copy of
# this module, so the task runs the same primitives whether or not CredHop is installed there). The
# outcome goes to <ProgramData>\CredHop\Outcomes\<session>.json, where CredHop reads it. No secret and no
# user value reaches a task's name, arguments or files; the only variable part is the session id (a GUID).

$script:TaskScripts = @('ArmRestoreTask', 'DisarmRestoreTask', 'ReadRestoreTasks', 'RestoreServer')
$script:ScriptNames += $script:TaskScripts
$script:Primitives += @('ArmRestoreTask', 'DisarmRestoreTask', 'ReadRestoreTasks', 'RunRestorePlan')
$script:ModuleRoot = [System.IO.Path]::GetDirectoryName($PSScriptRoot)

# Self-contained (they also run on a jump server, where CredHop's module is not installed): one
# hashtable argument; only constant text and the validated session id make names and paths.
$script:Catalog['ArmRestoreTask'] = {
    param($a)
    $base = [System.IO.Path]::Combine($env:ProgramData, 'CredHop', 'Restore')
    $root = [System.IO.Path]::Combine($base, $a.session)
    $name = 'CredHop restore ' + $a.session
    # SYSTEM runs what is in these folders, and ProgramData lets every user create folders (and
    # junctions) in it first. So a folder that exists must be a real folder (no junction or link) owned
    # by Administrators or SYSTEM (a user's folder stays theirs after any Set-Acl); a missing one is
    # created with its ACL in the same call (only Administrators and SYSTEM, inheritance cut), never
    # created and then secured. Windows PowerShell 5.1 (.NET Framework) has Directory.CreateDirectory(path,
    # security); PowerShell 7 (.NET) has FileSystemAclExtensions.Create. The lab's Linux has no ACLs.
    $protect = {
        param([string]$Path)
        $win = [System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT
        $acl = $null
        if ($win) {
            $admins = New-Object System.Security.Principal.SecurityIdentifier -ArgumentList 'S-1-5-32-544'
            $system = New-Object System.Security.Principal.SecurityIdentifier -ArgumentList 'S-1-5-18'
            $acl = New-Object System.Security.AccessControl.DirectorySecurity
            $acl.SetOwner($admins)
            $acl.SetAccessRuleProtection($true, $false)
            foreach ($sid in @($admins, $system)) { $acl.AddAccessRule((New-Object System.Security.AccessControl.FileSystemAccessRule -ArgumentList $sid, 'FullControl', 'ContainerInherit, ObjectInherit', 'None', 'Allow')) }
        }
        if ([System.IO.Directory]::Exists($Path) -or [System.IO.File]::Exists($Path)) {
            if (([System.IO.File]::GetAttributes($Path) -band [System.IO.FileAttributes]::ReparsePoint) -ne 0) { throw "CredHop: $Path is a junction or link, not a folder: someone may have planted it to redirect what SYSTEM runs. Nothing was scheduled. An administrator should remove it (it is not CredHop's)." }
            $owner = (Get-Acl -LiteralPath $Path).GetOwner([System.Security.Principal.SecurityIdentifier]).Value
            if ($owner -ne 'S-1-5-32-544' -and $owner -ne 'S-1-5-18') { throw "CredHop: $Path is owned by $((Get-Acl -LiteralPath $Path).Owner), not by Administrators or SYSTEM, so its owner could change what SYSTEM runs. Nothing was scheduled. An administrator should remove that folder." }
            if ($win) { Set-Acl -LiteralPath $Path -AclObject $acl }
            return
        }
        if (-not $win) { [void][System.IO.Directory]::CreateDirectory($Path); return }
        if ([string]$PSVersionTable.PSEdition -eq 'Core') { [void][System.IO.FileSystemAclExtensions]::Create((New-Object System.IO.DirectoryInfo -ArgumentList $Path), $acl) }
        else { [void][System.IO.Directory]::CreateDirectory($Path, $acl) }
    }
    foreach ($d in @([System.IO.Path]::Combine($env:ProgramData, 'CredHop'), $base, [System.IO.Path]::Combine($env:ProgramData, 'CredHop', 'Outcomes'))) { & $protect $d }
    if ([System.IO.Directory]::Exists($root)) { [System.IO.Directory]::Delete($root, $true) }
    [void][System.IO.Directory]::CreateDirectory($root)
    try {
        # Assigned first: Windows PowerShell 5.1 (the jump server's endpoint) writes a JSON array as ONE
        # object (PowerShell issue #3424), so @(ConvertFrom-Json ...) would hold the whole array as one
        # item; the variable holds the array itself in 5.1 and its elements' array in 7.
        $bundle = ConvertFrom-Json -InputObject $a.bundle
        foreach ($f in $bundle) {
            $rel = [string]$f.p
            if ($rel -notmatch '\A[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*\z' -or $rel -match '(^|/)\.\.?(/|$)') { throw "CredHop: unexpected file name in the module bundle: $rel" }
            $path = [System.IO.Path]::Combine($root, $rel.Replace('/', [string][System.IO.Path]::DirectorySeparatorChar))
            [void][System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($path))
            [System.IO.File]::WriteAllBytes($path, [Convert]::FromBase64String([string]$f.b))
        }
        [System.IO.File]::WriteAllText([System.IO.Path]::Combine($root, 'restore.json'), [string]$a.plan, (New-Object System.Text.UTF8Encoding -ArgumentList $false))
        $at = [datetime]::Parse([string]$a.atUtc, [System.Globalization.CultureInfo]::InvariantCulture, [System.Globalization.DateTimeStyles]::RoundtripKind).ToLocalTime()
        $exe = [System.IO.Path]::Combine($env:SystemRoot, 'System32', 'WindowsPowerShell', 'v1.0', 'powershell.exe')
        $script1 = [System.IO.Path]::Combine($root, 'Restore-CredHopSession.ps1')
        $action = New-ScheduledTaskAction -Execute $exe -Argument ('-NoProfile -NonInteractive -ExecutionPolicy Bypass -File "' + $script1 + '"')
        $trigger = New-ScheduledTaskTrigger -Once -At $at
        $principal = New-ScheduledTaskPrincipal -UserId 'NT AUTHORITY\SYSTEM' -RunLevel Highest
        # A helpdesk laptop is often unplugged at the expiry: Windows' defaults (do not start on
        # batteries, stop when going on batteries) would leave CredSSP on. A restore takes seconds, so
        # 15 minutes bounds a hung one. No WakeToRun: a sleeping machine delegates nothing, and
        # StartWhenAvailable runs the missed task as it wakes (waking a laptop in a bag is worse).
        $settings = New-ScheduledTaskSettingsSet -StartWhenAvailable -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries -ExecutionTimeLimit (New-TimeSpan -Minutes 15)
        $t = Register-ScheduledTask -TaskName $name -Action $action -Trigger $trigger -Principal $principal -Settings $settings -Description 'Puts back what CredHop changed on this computer for one session, at the end of its time box. Removes itself.' -Force -ErrorAction Stop
    }
    catch {
        if ([System.IO.Directory]::Exists($root)) { [System.IO.Directory]::Delete($root, $true) }
        throw
    }
    [pscustomobject]@{ computerName = ([string](hostname)).Trim(); taskName = [string]$t.TaskName; at = $at.ToUniversalTime().ToString('o') }
}

$script:Catalog['DisarmRestoreTask'] = {
    param($a)
    $name = 'CredHop restore ' + $a.session
    $removed = $false
    # Who acts when both could (the task started at boot while CredHop restores): a task already
    # running finishes first (up to its 15-minute limit, checked each second for one minute here),
    # and CredHop then restores only what the task left, reporting the task's outcome.
    $task = Get-ScheduledTask -TaskName $name -ErrorAction SilentlyContinue
    for ($i = 0; $i -lt 60 -and $null -ne $task -and [string]$task.State -eq 'Running'; $i++) {
        Start-Sleep -Seconds 1
        $task = Get-ScheduledTask -TaskName $name -ErrorAction SilentlyContinue
    }
    if ($null -ne $task) {
        Unregister-ScheduledTask -TaskName $name -Confirm:$false -ErrorAction Stop
        $removed = $true
    }
    $root = [System.IO.Path]::Combine($env:ProgramData, 'CredHop', 'Restore', $a.session)
    $folder = [System.IO.Directory]::Exists($root)
    if ($folder) { [System.IO.Directory]::Delete($root, $true) }
    $outcome = [System.IO.Path]::Combine($env:ProgramData, 'CredHop', 'Outcomes', $a.session + '.json')
    $hadOutcome = [System.IO.File]::Exists($outcome)
    # The outcome of a task that already ran goes back with the answer: the restore reports it.
    $json = $null
    if ($hadOutcome) { $json = [System.IO.File]::ReadAllText($outcome); [System.IO.File]::Delete($outcome) }
    [pscustomobject]@{ computerName = ([string](hostname)).Trim(); taskRemoved = $removed; folderRemoved = $folder; outcomeRemoved = $hadOutcome; outcome = $json }
}

$script:Catalog['ReadRestoreTasks'] = {
    param($a)
    $tasks = @()
    foreach ($t in @(Get-ScheduledTask -TaskName 'CredHop restore *' -ErrorAction SilentlyContinue)) {
        $id = ([string]$t.TaskName).Substring('CredHop restore '.Length)
        $tasks += [pscustomobject]@{ session = $id; state = [string]$t.State; at = [string]@($t.Triggers)[0].StartBoundary }
    }
    $outcomes = @()
    $dir = [System.IO.Path]::Combine($env:ProgramData, 'CredHop', 'Outcomes')
    if ([System.IO.Directory]::Exists($dir)) {
        foreach ($f in [System.IO.Directory]::GetFiles($dir, '*.json')) {
            $outcomes += [pscustomobject]@{ session = [System.IO.Path]::GetFileNameWithoutExtension($f); json = [System.IO.File]::ReadAllText($f) }
        }
    }
    [pscustomobject]@{ computerName = ([string](hostname)).Trim(); tasks = [object[]]$tasks; outcomes = [object[]]$outcomes }
}

# What the check reads of a jump server, over one call: its state (the first output) and CredHop's
# scheduled restores there (the second; none when Task Scheduler cannot be read). Two outputs, not one
# nested object: remoting serializes each output one level deep.
$script:Catalog['ReadServerCheck'] = [scriptblock]::Create(
    "param(`$a)`n& {" + $script:Catalog['ReadServerState'].ToString() + "} `$a`ntry { & {" + $script:Catalog['ReadRestoreTasks'].ToString() + "} `$a } catch { `$null = `$_ }"
)

# A restore of a jump server over one call, each part answered on its own (one output each, tagged
# 'part': remoting serializes each output one level deep): the session's scheduled restore removed
# first (when it has one), then the service flag set back (when CredHop changed it) and read, then the
# scheduled restores left there. A part that fails says so in its answer and the next still runs.
$script:Catalog['RestoreServer'] = [scriptblock]::Create(
    "param(`$a)`n" +
    "`$d = [ordered]@{ part = 'disarm'; done = `$false; taskRemoved = `$false; outcome = `$null; error = `$null }`n" +
    "if (`$a.session) { try { `$r = & {" + $script:Catalog['DisarmRestoreTask'].ToString() + "} `$a; `$d['done'] = `$true; `$d['taskRemoved'] = [bool]`$r.taskRemoved; `$d['outcome'] = `$r.outcome } catch { `$d['error'] = [string]`$_.Exception.Message } }`n" +
    "[pscustomobject]`$d`n" +
    "`$f = [ordered]@{ part = 'flag'; before = `$null; after = `$null; error = `$null }`n" +
    "try { if (`$null -ne `$a.enabled) { `$r = & {" + $script:Catalog['SetServiceFlag'].ToString() + "} `$a; `$f['before'] = `$r.before; `$f['after'] = `$r.after } else { `$f['after'] = ([string](Get-Item -Path 'WSMan:\localhost\Service\Auth\CredSSP' -ErrorAction Stop).Value -eq 'true'); `$f['before'] = `$f['after'] } } catch { `$f['error'] = [string]`$_.Exception.Message }`n" +
    "[pscustomobject]`$f`n" +
    "try { `$t = & {" + $script:Catalog['ReadRestoreTasks'].ToString() + "} `$a; [pscustomobject]@{ part = 'tasks'; computerName = `$t.computerName; tasks = `$t.tasks; outcomes = `$t.outcomes } } catch { `$null = `$_ }"
)

function Get-CredHopSessionId {
    param($Object, [string]$Path)
    $s = Get-CredHopString $Object 'session' $Path -MaxLength 36
    if ($s -cnotmatch '\A[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\z') { throw (New-CredHopPayloadError "${Path}.session: expected a session id (a lower-case GUID)") }
    $s
}

function Get-CredHopModuleBundle {
    # This module's files (and the task's script) as [{p, b}] JSON: relative path, base64 bytes (kept byte
    # for byte, so a signed module stays signed).
    $files = New-Object System.Collections.Generic.List[object]
    $add = {
        param([string]$Path, [string]$Rel)
        $o = New-Object System.Collections.Specialized.OrderedDictionary
        $o['p'] = $Rel
        $o['b'] = [Convert]::ToBase64String([System.IO.File]::ReadAllBytes($Path))
        $files.Add($o)
    }
    foreach ($n in 'CredHop.psd1', 'CredHop.psm1') { & $add ([System.IO.Path]::Combine($script:ModuleRoot, $n)) ('CredHop/' + $n) }
    foreach ($f in [System.IO.Directory]::GetFiles([System.IO.Path]::Combine($script:ModuleRoot, 'src'), '*.ps1')) { & $add $f ('CredHop/src/' + [System.IO.Path]::GetFileName($f)) }
    & $add ([System.IO.Path]::Combine($script:ModuleRoot, 'task', 'Restore-CredHopSession.ps1')) 'Restore-CredHopSession.ps1'
    ConvertTo-Json -InputObject ([object[]]$files.ToArray()) -Compress
}

function Get-CredHopRestoreTaskArgs {
    # The catalog argument for one of $script:TaskScripts, from a validated payload object.
    param($A, [string]$ScriptName, [string]$Path)
    $h = @{}
    if ($ScriptName -eq 'ArmRestoreTask') {
        Assert-CredHopFields $A @('session', 'expiresAt', 'plan') $Path
        $h['session'] = Get-CredHopSessionId $A $Path
        $when = Get-CredHopString $A 'expiresAt' $Path -MaxLength 40
        $at = [datetime]::MinValue
        if (-not [datetime]::TryParse($when, [System.Globalization.CultureInfo]::InvariantCulture, [System.Globalization.DateTimeStyles]::RoundtripKind, [ref]$at) -or $at.Kind -ne [System.DateTimeKind]::Utc) {
            throw (New-CredHopPayloadError "${Path}.expiresAt: expected an ISO time in UTC (e.g. 2026-11-30T05:00:00.000Z)")
        }
        $h['atUtc'] = $at.ToString('o')
        if (-not (Test-CredHopHas $A 'plan') -or $A.plan -isnot [System.Management.Automation.PSCustomObject]) { throw (New-CredHopPayloadError "${Path}.plan: expected an object {session, machine, steps}") }
        $plan = $A.plan
        Assert-CredHopFields $plan @('version', 'session', 'machine', 'computerName', 'expiresAt', 'steps') "$Path.plan"
        if ((Get-CredHopSessionId $plan "$Path.plan") -cne $h['session']) { throw (New-CredHopPayloadError "${Path}.plan.session: must be the task's session") }
        [void](Get-CredHopEnum $plan 'machine' "$Path.plan" @('client', 'server'))
        if ($plan.steps -isnot [System.Array] -or $plan.steps.Count -gt 50) { throw (New-CredHopPayloadError "${Path}.plan.steps: expected an array of at most 50 steps") }
        foreach ($s in $plan.steps) {
            if ($s -isnot [System.Management.Automation.PSCustomObject] -or [string]$s.kind -cnotmatch '\A[a-z][a-z-]{0,39}\z') { throw (New-CredHopPayloadError "${Path}.plan.steps: each step is an object with a kind such as remove-delegation") }
        }
        $h['plan'] = ConvertTo-Json -InputObject $plan -Depth 10 -Compress
        $h['bundle'] = Get-CredHopModuleBundle
    }
    elseif ($ScriptName -eq 'RestoreServer') {
        Assert-CredHopFields $A @('session', 'enabled') $Path
        $h['session'] = $null
        if ((Test-CredHopHas $A 'session') -and $null -ne $A.session) { $h['session'] = Get-CredHopSessionId $A $Path }
        $h['enabled'] = $null
        if ((Test-CredHopHas $A 'enabled') -and $null -ne $A.enabled) { $h['enabled'] = Get-CredHopBool $A 'enabled' $Path }
    }
    else {
        if ($ScriptName -eq 'ReadRestoreTasks') { Assert-CredHopFields $A @() $Path }
        else { Assert-CredHopFields $A @('session') $Path; $h['session'] = Get-CredHopSessionId $A $Path }
    }
    $h
}

function Invoke-CredHopTaskScriptLocally {
    param([string]$Name, $P)
    $a = Get-CredHopRestoreTaskArgs $P $Name 'payload'
    $script:Result = ConvertTo-CredHopPlain (& $script:Catalog[$Name] $a)
}

function Invoke-CredHopArmRestoreTask { param($P) Invoke-CredHopTaskScriptLocally 'ArmRestoreTask' $P }
function Invoke-CredHopDisarmRestoreTask { param($P) Invoke-CredHopTaskScriptLocally 'DisarmRestoreTask' $P }
function Invoke-CredHopReadRestoreTasks { param($P) Invoke-CredHopTaskScriptLocally 'ReadRestoreTasks' $P }
