#requires -Version 7.2
<#
  CredHop lab: a simulated Windows estate that replaces the operating system and nothing else.

  Imported into the GLOBAL scope (Import-Module CredHopLab.psd1 -Global), it defines functions with
  the names of the Windows commands CredHop (and ordinary Windows scripts) call. PowerShell resolves
  functions before cmdlets and external programs, so unchanged product code runs on top of it.
  Facts followed: /work/shared/reference/windows-credssp.md. Format of lab files: README.md.

  Internals never call the shadowed names: they use [System.IO.File] / fully-qualified cmdlets.
#>
Set-StrictMode -Off

$script:ModuleRoot = $PSScriptRoot
$script:ManifestPath = [System.IO.Path]::Combine($PSScriptRoot, 'CredHopLab.psd1')
$script:Ctx = $null            # per runspace: which host this runspace "is", and as whom
$script:Sessions = [ordered]@{} # persistent lab PSSessions opened from this runspace
$script:NextSessionId = 1
$script:PreserveInvocation = [System.Management.Automation.ErrorRecord].GetProperty(
    'PreserveInvocationInfoOnce', [System.Reflection.BindingFlags]'NonPublic,Instance')
$script:FromRemoting = [System.Management.Automation.ErrorRecord].GetMethod(
    'FromPSObjectForRemoting', [System.Reflection.BindingFlags]'NonPublic,Static')

# The parts of Windows the lab stands in for, one file each, loaded in this order.
$script:LabParts = @('Constants', 'Errors', 'Common', 'Editions', 'State', 'LabFile', 'Registry', 'LocalGpo', 'Rsop', 'Faults', 'Services', 'WSManDrive', 'CredSSPCmdlets', 'OsProbes', 'Dns', 'Remoting', 'FanOut', 'ItemCmdlets', 'FileSystem', 'ScheduledTasks', 'EntryPoints')
foreach ($part in $script:LabParts) { . ([System.IO.Path]::Combine($PSScriptRoot, 'src', $part + '.ps1')) }

Export-ModuleMember -Function (@(
    'Enable-WSManCredSSP', 'Disable-WSManCredSSP', 'Get-WSManCredSSP',
    'Invoke-Command', 'New-PSSession', 'New-PSSessionOption', 'Remove-PSSession', 'Get-PSSession', 'Test-WSMan',
    'hostname', 'whoami', 'gpupdate', 'Resolve-DnsName',
    'Get-Service', 'Start-Service', 'Stop-Service', 'Set-Service',
    'Get-CimInstance',
    'Get-Acl', 'Get-ExecutionPolicy',
    'Join-Path', 'mkdir', 'Set-Location', 'Push-Location', 'Pop-Location', 'Get-Location',
    'Invoke-CredHopLabFileIo',
    'Initialize-CredHopLab', 'Get-CredHopLabState', 'Set-CredHopLabHost', 'Add-CredHopLabFault', 'Add-CredHopLabFileFault', 'Invoke-CredHopLabGpUpdate',
    'Enter-CredHopLabHost', 'Reset-CredHopLabRunspace',
    'New-ScheduledTaskAction', 'New-ScheduledTaskTrigger', 'New-ScheduledTaskPrincipal', 'New-ScheduledTaskSettingsSet',
    'Register-ScheduledTask', 'Get-ScheduledTask', 'Unregister-ScheduledTask',
    'Get-Date', 'Move-CredHopLabClock', 'Stop-CredHopLabHost', 'Start-CredHopLabHost'
) + $script:ItemVerbs)
