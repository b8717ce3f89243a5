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

# ---------------------------------------------------------------------------------------------
# Local GPO file faults, through the hook a product calls around its own .NET file I/O
# ---------------------------------------------------------------------------------------------
# Registry.pol and gpt.ini are read and replaced by the product with .NET calls, which the lab cannot
# intercept. A product that wants to be testable calls, around each such call,
#     Invoke-CredHopLabFileIo -Path <file> -Access Read|Write -Action <closure doing the .NET call>
# when (and only when) that function exists; the lab runs the action and injects the file faults:
#   busy   - the next <times> matching calls fail BEFORE the action, as .NET does on a sharing violation:
#            MethodInvocationException around an IOException, HResult 0x80070020, "The process cannot
#            access the file '<path>' because it is being used by another process."
#   writer - another writer ("gpedit") changes the file right AFTER the <afterReads>th read the product
#            makes of it: it appends <entry> to Registry.pol (and bumps gpt.ini's version), so the bytes
#            the product holds are stale and a later replace would lose gpedit's change.
# Each firing is consumed and saved before it acts (like the write faults).

$script:DefaultGpeditEntry = [ordered]@{ key = 'Software\Policies\Microsoft\Windows\Personalization'; name = 'NoLockScreen'; type = 'DWord'; data = 1 }

function ConvertTo-LabFileFault {
    param($Source, [string]$Field, $F, [string]$HostName)
    if (-not (Test-LabType $F 'object')) { Assert-LabField $Source $Field 'expected object {file, kind, access, times, afterReads, entry}' }
    Assert-LabKeys $Source $Field $F @('file', 'kind', 'access', 'times', 'afterReads', 'entry')
    $kind = Get-LabOpt $Source $Field $F 'kind' 'string' $null -Required
    if ($kind -notin 'busy', 'writer') { Assert-LabField $Source "$Field.kind" "expected 'busy' or 'writer', got '$kind'" }
    $file = Get-LabOpt $Source $Field $F 'file' 'string' 'Registry.pol'
    if ($file -notin 'Registry.pol', 'gpt.ini', '*') { Assert-LabField $Source "$Field.file" "expected 'Registry.pol', 'gpt.ini' or '*', got '$file'" }
    if ($kind -eq 'writer' -and $file -ne 'Registry.pol') { Assert-LabField $Source "$Field.file" 'the writer fault changes Registry.pol' }
    $access = Get-LabOpt $Source $Field $F 'access' 'string' 'Any'
    if ($access -notin 'Read', 'Write', 'Any') { Assert-LabField $Source "$Field.access" "expected 'Read', 'Write' or 'Any', got '$access'" }
    $times = Get-LabOpt $Source $Field $F 'times' 'int' 1
    if ($times -lt 1) { Assert-LabField $Source "$Field.times" 'expected an integer >= 1' }
    $after = Get-LabOpt $Source $Field $F 'afterReads' 'int' 1
    if ($after -lt 1) { Assert-LabField $Source "$Field.afterReads" 'expected an integer >= 1' }
    $entry = Get-LabOpt $Source $Field $F 'entry' 'object' $script:DefaultGpeditEntry
    Assert-LabKeys $Source "$Field.entry" $entry @('key', 'name', 'type', 'data')
    [ordered]@{
        id = [guid]::NewGuid().ToString('N').Substring(0, 8); host = $HostName; kind = $kind; file = $file; access = $access
        remaining = $(if ($kind -eq 'busy') { [int]$times } else { 1 }); afterReads = [int]$after; reads = 0; fired = 0
        entry = [ordered]@{ key = [string]$entry['key']; name = [string]$entry['name']; type = $(if ($entry['type']) { [string]$entry['type'] } else { 'String' }); data = $entry['data'] }
    }
}

function New-LabSharingViolation {
    param([string]$Path, [scriptblock]$Action)
    $io = [System.IO.IOException]::new("The process cannot access the file '$Path' because it is being used by another process.", [int]0x80070020)
    # name the .NET method the action calls, as PowerShell's MethodInvocationException does
    $call = $Action.Ast.Find({ param($n) $n -is [System.Management.Automation.Language.InvokeMemberExpressionAst] -and $n.Static }, $true)
    $method = if ($call) { [string]$call.Member.Value } else { 'ReadAllBytes' }
    $argc = if ($call) { @($call.Arguments).Count } else { 1 }
    $ex = [System.Management.Automation.MethodInvocationException]::new("Exception calling ""$method"" with ""$argc"" argument(s): ""$($io.Message)""", $io)
    New-LabErrorRecord $ex 'IOException' 'NotSpecified' $null
}

function Invoke-CredHopLabFileIo {
    <# The hook for the product's own file I/O on the local GPO files (see the comment above). #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][string]$Path,
        [Parameter(Mandatory)][ValidateSet('Read', 'Write')][string]$Access,
        [Parameter(Mandatory)][scriptblock]$Action
    )
    if ($null -eq $script:Ctx) { return (& $Action) }
    $leaf = [System.IO.Path]::GetFileName($Path)
    $state = Read-LabState
    $faults = @($state.fileFaults | Where-Object { $null -ne $_ -and $_.host -ieq $script:Ctx.Host -and $_.remaining -gt 0 -and ($_.file -eq '*' -or $_.file -ieq $leaf) })
    $busy = @($faults | Where-Object { $_.kind -eq 'busy' -and ($_.access -eq 'Any' -or $_.access -eq $Access) })
    if ($busy.Count -gt 0) {
        $f = $busy[0]; $f.remaining = [int]$f.remaining - 1; $f.fired = [int]$f.fired + 1
        Save-LabState $state
        throw (New-LabSharingViolation $Path $Action)
    }
    & $Action   # its output goes to the caller exactly as '& $Action' would send it
    if ($Access -eq 'Read') {
        $writer = @($faults | Where-Object { $_.kind -eq 'writer' })
        if ($writer.Count -gt 0) {
            $f = $writer[0]; $f.reads = [int]$f.reads + 1
            if ($f.reads -ge $f.afterReads) {
                $f.remaining = 0; $f.fired = [int]$f.fired + 1
                Save-LabState $state
                $recs = [System.Collections.Generic.List[object]]::new(); foreach ($r in (Read-LabPol (Get-LabPolPath $script:Ctx.StateDir $script:Ctx.Host))) { $recs.Add($r) }
                Set-LabPolRecord $recs $f.entry.key $f.entry.name $f.entry.type $f.entry.data
                Save-LabPol $script:Ctx.StateDir $script:Ctx.Host $recs.ToArray()
            }
            else { Save-LabState $state }
        }
    }
}
