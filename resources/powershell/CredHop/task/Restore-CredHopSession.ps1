<#
  CredHop's scheduled restore: run once by Task Scheduler as SYSTEM at the end of a session's time box
  (or at the next start if the computer was off then). Constant text: what to put back is in restore.json
  beside this file, and CredHop's module is in CredHop\ beside it. It restores with the module's own
  primitives (RunRestorePlan), writes the outcome to <ProgramData>\CredHop\Outcomes\<session>.json for
  CredHop to read, then removes its task and this folder. It takes no secret and needs none.
  Windows PowerShell 5.1 and PowerShell 7.
#>
$ErrorActionPreference = 'Stop'
$here = $PSScriptRoot
# Before anything of this folder runs: every folder from ProgramData\CredHop down to this one, and the
# outcomes folder, must be a real folder (no junction or link) owned by Administrators or SYSTEM, as
# CredHop created them. Otherwise a user may have redirected them: run nothing, write nothing (CredHop
# finds no outcome and restores at its next start). The same rule as ArmRestoreTask's.
$credhopDir = [System.IO.Path]::Combine($env:ProgramData, 'CredHop')
foreach ($d in @($credhopDir, [System.IO.Path]::Combine($credhopDir, 'Restore'), $here, [System.IO.Path]::Combine($credhopDir, 'Outcomes'))) {
    if (-not [System.IO.Directory]::Exists($d)) { continue }
    if (([System.IO.File]::GetAttributes($d) -band [System.IO.FileAttributes]::ReparsePoint) -ne 0) { throw "CredHop: $d is a junction or link: refusing to run the scheduled restore from it." }
    $owner = (Get-Acl -LiteralPath $d).GetOwner([System.Security.Principal.SecurityIdentifier]).Value
    if ($owner -ne 'S-1-5-32-544' -and $owner -ne 'S-1-5-18') { throw "CredHop: $d is not owned by Administrators or SYSTEM: refusing to run the scheduled restore from it." }
}
if ([System.IO.Path]::GetFullPath($here).TrimEnd('\', '/') -ne [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($credhopDir, 'Restore', [System.IO.Path]::GetFileName($here))).TrimEnd('\', '/')) { throw "CredHop: this script is not in $credhopDir\Restore: refusing to run." }
$text = [System.IO.File]::ReadAllText([System.IO.Path]::Combine($here, 'restore.json'))
$plan = ConvertFrom-Json -InputObject $text
$session = [string]$plan.session
if ($session -cnotmatch '\A[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\z') { throw 'restore.json holds no valid session id.' }
$outcome = New-Object System.Collections.Specialized.OrderedDictionary
$outcome['version'] = 1
$outcome['session'] = $session
$outcome['machine'] = [string]$plan.machine
$outcome['ranAt'] = (Get-Date).ToUniversalTime().ToString('o')
$outcome['result'] = $null
$outcome['error'] = $null
try {
    Import-Module ([System.IO.Path]::Combine($here, 'CredHop', 'CredHop.psd1')) -Force
    $payload = [Convert]::ToBase64String([System.Text.Encoding]::UTF8.GetBytes($text))
    $line = [string](Invoke-CredHop -Primitive 'RunRestorePlan' -Payload $payload)
    $answer = ConvertFrom-Json -InputObject $line.Substring('CREDHOP:'.Length)
    if ($answer.ok) { $outcome['result'] = $answer.data } else { $outcome['error'] = [string]$answer.error.message }
}
catch { $outcome['error'] = $_.Exception.Message }
$dir = [System.IO.Path]::Combine($env:ProgramData, 'CredHop', 'Outcomes')
[void][System.IO.Directory]::CreateDirectory($dir)
$file = [System.IO.Path]::Combine($dir, $session + '.json')
$tmp = $file + '.tmp'
[System.IO.File]::WriteAllText($tmp, (ConvertTo-Json -InputObject $outcome -Depth 6 -Compress), (New-Object System.Text.UTF8Encoding -ArgumentList $false))
if ([System.IO.File]::Exists($file)) { [System.IO.File]::Delete($file) }
[System.IO.File]::Move($tmp, $file)
Unregister-ScheduledTask -TaskName ('CredHop restore ' + $session) -Confirm:$false -ErrorAction SilentlyContinue
Set-Location -Path $env:SystemRoot
[System.IO.Directory]::Delete($here, $true)
