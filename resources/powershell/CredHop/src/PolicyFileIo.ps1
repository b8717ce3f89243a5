# The local GPO's files are shared: every .NET read and replace of Registry.pol and gpt.ini goes through
# Invoke-CredHopPolicyFileIo, which retries a sharing violation with back-off; a replace happens only if
# the file still holds what CredHop read (re-read and compared just before it); an edit that lost that
# race is redone on the new content (Merge-CredHopPolEdit), never written over it.
# Part of the CredHop module (loaded by CredHop.psm1); see README.md.

# 6 tries, waiting 50, 100, 200, 400, 800 ms between them (1.55 s in all), then a plain error.
$script:PolicyFileTries = 6
$script:PolicyFileFirstDelayMs = 50
# How often an edit is redone on a file another writer keeps changing, before giving up.
$script:PolicyFileRounds = 5

function Test-CredHopSharingViolation {
    # an IOException with HResult 0x80070020 (sharing violation) or 0x80070021 (lock violation), possibly
    # wrapped (MethodInvocationException, as PowerShell reports a failed .NET call)
    param($Exception)
    $e = $Exception
    $guard = 0
    while ($null -ne $e -and $guard -lt 8) {
        $guard++
        if ($e -is [System.IO.IOException]) {
            $h = [int]$e.HResult
            if ($h -eq -2147024864 -or $h -eq -2147024863) { return $true }
        }
        $e = $e.InnerException
    }
    $false
}

function New-CredHopPolicyFileError {
    param([string]$Message, [string]$Id, [string]$Path, $Inner)
    if ($null -eq $Inner) { $ex = New-Object System.IO.IOException -ArgumentList $Message }
    else { $ex = New-Object System.IO.IOException -ArgumentList $Message, $Inner }
    New-Object System.Management.Automation.ErrorRecord -ArgumentList $ex, $Id, ([System.Management.Automation.ErrorCategory]::ResourceBusy), $Path
}

function Invoke-CredHopPolicyFileIo {
    # Runs one .NET call on Registry.pol or gpt.ini ($Action: a closure, a byte[] result wrapped with the
    # unary comma). In the lab (tests, practice mode) it goes through the lab's hook, which injects file
    # faults; on Windows no function of that name exists and the action runs as it is.
    param([string]$Path, [string]$Access, [scriptblock]$Action)
    $hook = Get-Command -Name 'Invoke-CredHopLabFileIo' -CommandType Function -ErrorAction SilentlyContinue
    $delay = $script:PolicyFileFirstDelayMs
    $try = 0
    while ($true) {
        $try++
        try {
            if ($null -ne $hook) { $out = @(Invoke-CredHopLabFileIo -Path $Path -Access $Access -Action $Action) }
            else { $out = @(& $Action) }
            foreach ($o in $out) { , $o }
            return
        }
        catch {
            if (-not (Test-CredHopSharingViolation $_.Exception)) { throw }
            if ($try -ge $script:PolicyFileTries) {
                $name = [System.IO.Path]::GetFileName($Path)
                $msg = "The local Group Policy file $name ('" + $Path + "') is in use by another program (the Group Policy editor?): CredHop tried $try times and changed nothing. Close the Local Group Policy Editor (gpedit.msc), then try again."
                throw (New-CredHopPolicyFileError $msg 'CredHop.PolicyFileInUse' $Path $_.Exception)
            }
            Start-Sleep -Milliseconds $delay
            $delay = $delay * 2
        }
    }
}

function Read-CredHopPolicyFileBytes {
    # the file's bytes, or $null when it does not exist
    param([string]$Path)
    if (-not [System.IO.File]::Exists($Path)) { return $null }
    $p = $Path
    $b = Invoke-CredHopPolicyFileIo -Path $Path -Access 'Read' -Action { , [System.IO.File]::ReadAllBytes($p) }.GetNewClosure()
    , [byte[]]$b
}

function Test-CredHopSameBytes {
    param($A, $B)
    if ($null -eq $A -or $null -eq $B) { return ($null -eq $A -and $null -eq $B) }
    if ($A.Length -ne $B.Length) { return $false }
    [Convert]::ToBase64String([byte[]]$A) -ceq [Convert]::ToBase64String([byte[]]$B)
}

function Save-CredHopFileChecked {
    # Replaces $Path with $Bytes ($null: removes it) only if it still holds $Expected ($null: no file),
    # re-read just before the replace. $true when written, $false when another writer got there first.
    param([string]$Path, $Expected, $Bytes)
    $now = Read-CredHopPolicyFileBytes $Path
    if (-not (Test-CredHopSameBytes $now $Expected)) { return $false }
    $p = $Path
    if ($null -eq $Bytes) {
        if ($null -ne $now) { $null = Invoke-CredHopPolicyFileIo -Path $Path -Access 'Write' -Action { [System.IO.File]::Delete($p) }.GetNewClosure() }
        return $true
    }
    $dir = [System.IO.Path]::GetDirectoryName($Path)
    if (-not [System.IO.Directory]::Exists($dir)) { [void][System.IO.Directory]::CreateDirectory($dir) }
    $t = $Path + '.credhop-' + [guid]::NewGuid().ToString('N') + '.tmp'
    [System.IO.File]::WriteAllBytes($t, [byte[]]$Bytes)
    try {
        if ($null -ne $now) { $null = Invoke-CredHopPolicyFileIo -Path $Path -Access 'Write' -Action { [System.IO.File]::Replace($t, $p, [NullString]::Value) }.GetNewClosure() }
        else { $null = Invoke-CredHopPolicyFileIo -Path $Path -Access 'Write' -Action { [System.IO.File]::Move($t, $p) }.GetNewClosure() }
    }
    finally { if ([System.IO.File]::Exists($t)) { [System.IO.File]::Delete($t) } }
    $true
}

function Get-CredHopPolId {
    param($Record)
    $Record.Key.ToLowerInvariant() + [char]0 + $Record.Name.ToLowerInvariant()
}

function Get-CredHopPolGroups {
    # key + value name -> the records' bytes in order, joined (to compare a value's records as a whole)
    param($Records)
    $g = @{}
    foreach ($r in $Records) {
        $id = Get-CredHopPolId $r
        $b = [Convert]::ToBase64String($r.Raw)
        if ($g.ContainsKey($id)) { $g[$id] = $g[$id] + '|' + $b } else { $g[$id] = $b }
    }
    $g
}

function Merge-CredHopPolEdit {
    # CredHop's edit (Base -> Ours) redone on what another writer left (Theirs). Per key and value name:
    # where CredHop changed a value and the other writer did not, CredHop's records replace theirs (in
    # place, or after the last record of the same key); every value only they changed is kept as they
    # left it. A value both changed is a conflict: CredHop stops and changes nothing.
    param($Base, $Ours, $Theirs)
    $bg = Get-CredHopPolGroups $Base.Records
    $og = Get-CredHopPolGroups $Ours.Records
    $tg = Get-CredHopPolGroups $Theirs.Records
    $touched = New-Object System.Collections.Generic.List[string]
    foreach ($id in @($og.Keys) + @($bg.Keys)) {
        if ($touched.Contains($id)) { continue }
        if ([string]$og[$id] -cne [string]$bg[$id]) { $touched.Add($id) }
    }
    foreach ($id in $touched) {
        if ([string]$tg[$id] -cne [string]$bg[$id]) {
            $shown = $id.Replace([string][char]0, '\')
            throw (New-CredHopPolicyFileError ("Another program changed the same local Group Policy value ($shown) while CredHop was changing it, so CredHop changed nothing. Check the policy (is the Group Policy editor open?), then try again.") 'CredHop.PolicyFileConflict' (Get-CredHopPolPath) $null)
        }
    }
    $records = New-Object System.Collections.Generic.List[object]
    $placed = @{}
    foreach ($r in $Theirs.Records) {
        $id = Get-CredHopPolId $r
        if (-not $touched.Contains($id)) { $records.Add($r); continue }
        if ($placed.ContainsKey($id)) { continue }
        $placed[$id] = $true
        foreach ($o in $Ours.Records) { if ((Get-CredHopPolId $o) -ceq $id) { $records.Add($o) } }
    }
    foreach ($o in $Ours.Records) {
        $id = Get-CredHopPolId $o
        if (-not $touched.Contains($id) -or $placed.ContainsKey($id)) { continue }
        $at = $records.Count
        for ($i = $records.Count - 1; $i -ge 0; $i--) { if ($records[$i].Key -ieq $o.Key) { $at = $i + 1; break } }
        $records.Insert($at, $o)
    }
    @{ Header = $Ours.Header; Records = $records; Original = $Theirs.Original }
}
