<#
  The real second hop on one Windows machine (a disposable workgroup CI runner), through CredHop's command line.

  A local administrator with a random password; the jump server and the target are this machine, the jump
  server by name and then by address, reached with NTLM (a workgroup has no Kerberos), so the hop needs the
  NTLM-only delegation list and TrustedHosts. Checks, each recorded in <ReportDir>\loopback.json:
    1. before CredHop the inner command fails (the outer session works);
    2. for each jump (name, address): credhop apply -> test -> restore exit 0, a plain CredSSP hop works
       between apply and restore, and afterwards a full machine snapshot equals the one taken before;
    3. the scheduled restore: apply with a 1-minute time box, CredHop killed, the task runs as SYSTEM at
       expiry, writes its outcome and the machine equals its snapshot again; `credhop status` then reports it.
  Then the account and everything this script set are removed, and the machine is compared with the very
  first snapshot. Exit 0 when every check passed.

  Run elevated in Windows PowerShell 5.1 (the LocalAccounts cmdlets; CredHop's own shell picks its edition):
    powershell.exe -NoProfile -ExecutionPolicy Bypass -File tests\windows\Invoke-LoopbackHop.ps1 -CredHop "$env:ProgramFiles\CredHop\credhop.cmd"
  -DryRun prints every step and CredHop command line (passwords never printed) and changes nothing; it runs
  anywhere PowerShell runs, so the steps can be read and checked off Windows.
  The password goes to CredHop on standard input (--password-stdin), never on a command line or in a file.
#>
param(
    [string]$CredHop = [System.IO.Path]::Combine([string]$env:ProgramFiles, 'CredHop', 'credhop.cmd'),
    [string]$ReportDir = 'artifacts/windows',
    [int]$ScheduledWaitSeconds = 420,
    [switch]$DryRun
)
$ErrorActionPreference = 'Stop'
. ([System.IO.Path]::Combine($PSScriptRoot, '..', 'spec', 'MachineState.ps1'))

$script:Checks = New-Object System.Collections.Generic.List[object]
function Add-Check {
    # one check: name, passed, detail (never a password)
    param([string]$Name, [bool]$Passed, [string]$Detail = '')
    $script:Checks.Add([pscustomobject]@{ name = $Name; passed = $Passed; detail = $Detail })
    $mark = 'FAIL'
    if ($Passed) { $mark = 'ok  ' }
    [Console]::Out.WriteLine("[$mark] $Name$(if ($Detail) { ' - ' + $Detail })")
}

function New-LoopbackPassword {
    # 24 characters from a CSPRNG, with every class a default password policy asks for
    $sets = @('ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!#%+-.:=?@_')
    $rng = New-Object System.Security.Cryptography.RNGCryptoServiceProvider
    $bytes = New-Object byte[] 24
    $rng.GetBytes($bytes)
    $all = -join $sets
    $chars = for ($i = 0; $i -lt 24; $i++) {
        $set = $all
        if ($i -lt 4) { $set = $sets[$i] }
        $set[$bytes[$i] % $set.Length]
    }
    -join $chars
}

function ConvertTo-LoopbackSecureString {
    param([string]$Text)
    $s = New-Object System.Security.SecureString
    foreach ($c in $Text.ToCharArray()) { $s.AppendChar($c) }
    $s.MakeReadOnly()
    $s
}

function Get-CredHopArguments {
    # CredHop's command line for one step (tested by reading: no value is interpolated into a command text,
    # each is one argument; the password is not among them)
    param([string]$Command, [string]$Jump, [string]$Target, [string]$Account, [int]$Timebox = 60)
    $a = @($Command, '--jump', $Jump, '--target', $Target, '--account', $Account, '--password-stdin', '--json')
    if ($Command -eq 'apply') { $a += @('--confirm-ntlm-only', '--timebox', [string]$Timebox) }
    if ($Command -eq 'restore') { $a = @($Command, '--json') }
    if ($Command -eq 'status') { $a = @($Command) }   # the text names the scheduled safety net
    $a
}

function Invoke-CredHopCli {
    # runs credhop.cmd with the arguments, the password on stdin; returns exit code and output
    param([string[]]$Arguments, [string]$Password)
    [Console]::Out.WriteLine("> credhop $($Arguments -join ' ')")
    if ($DryRun) { return [pscustomobject]@{ exitCode = 0; output = '(dry run)' } }
    # 5.1 turns a native program's stderr into errors, which 'Stop' would make terminating: the exit code decides
    $ErrorActionPreference = 'Continue'
    $out = $null
    if ($Arguments -contains '--password-stdin') { $out = $Password | & $CredHop @Arguments 2>&1 }
    else { $out = & $CredHop @Arguments 2>&1 }
    $code = $LASTEXITCODE
    $text = (@($out) | ForEach-Object { [string]$_ }) -join "`n"
    if ($Password -and $text.Contains($Password)) { $text = '(output withheld: it contained the password)'; Add-Check 'CredHop never prints the password' $false }
    [Console]::Out.WriteLine($text)
    [pscustomobject]@{ exitCode = $code; output = $text }
}

function Test-InnerHop {
    # Outer session to the jump server with the account; from there the inner command on the target.
    # -> @{ outerOk; innerOk; detail }
    param([string]$Jump, [string]$Target, [pscredential]$Credential, [string]$Authentication = 'Default')
    if ($DryRun) { [Console]::Out.WriteLine("> Invoke-Command -ComputerName $Jump -Authentication $Authentication { Invoke-Command -ComputerName $Target { hostname } }"); return @{ outerOk = $true; innerOk = ($Authentication -eq 'Credssp'); detail = 'dry run' } }
    try {
        $r = Invoke-Command -ComputerName $Jump -Credential $Credential -Authentication $Authentication -ErrorAction Stop -ArgumentList $Target -ScriptBlock {
            param($t)
            $o = @{ outer = [string](hostname); inner = $null; error = $null }
            try { $o.inner = [string](Invoke-Command -ComputerName $t -ErrorAction Stop -ScriptBlock { hostname }) }
            catch { $o.error = [string]$_.Exception.Message }
            $o
        }
        @{ outerOk = $true; innerOk = ($null -ne $r.inner -and $r.inner -ne ''); detail = "outer: $($r.outer); inner: $($r.inner)$($r.error)" }
    } catch {
        @{ outerOk = $false; innerOk = $false; detail = "outer failed: $($_.Exception.Message)" }
    }
}

function Save-Report {
    param($Name, $Object)
    if ($DryRun) { return }
    [System.IO.File]::WriteAllText([System.IO.Path]::Combine($ReportDir, $Name), (ConvertTo-Json -InputObject $Object -Depth 10))
}

# --- set-up --------------------------------------------------------------------------------------------
$null = [System.IO.Directory]::CreateDirectory($ReportDir)
$ReportDir = [System.IO.Path]::GetFullPath($ReportDir)
$onWindows = [System.Environment]::OSVersion.Platform -eq 'Win32NT'
if (-not $DryRun) {
    if (-not $onWindows) { throw 'The loopback hop runs only on Windows (use -DryRun to read its steps elsewhere).' }
    if ($env:CREDHOP_SPEC_DISPOSABLE -ne '1') { throw 'The loopback hop creates an administrator and changes machine policy: run it only on a disposable machine, with CREDHOP_SPEC_DISPOSABLE=1.' }
    if (-not [System.IO.File]::Exists($CredHop)) { throw "CredHop's command line is not at $CredHop (install the NSIS build, or pass -CredHop)." }
}
$machine = [string]$env:COMPUTERNAME
$address = '192.0.2.10'
if (-not $machine) { $machine = 'RUNNER' }
if (-not $DryRun) {
    # this machine's own IPv4 address (not loopback, not link-local): the jump server "by address"
    $address = @(Get-NetIPAddress -AddressFamily IPv4 | Where-Object { $_.IPAddress -notlike '127.*' -and $_.IPAddress -notlike '169.254.*' } | Sort-Object -Property InterfaceMetric | ForEach-Object IPAddress)[0]
}
$userName = 'chloop' + (Get-Random -Minimum 1000 -Maximum 9999)
$account = "$machine\$userName"
$password = New-LoopbackPassword
$credential = New-Object System.Management.Automation.PSCredential -ArgumentList $account, (ConvertTo-LoopbackSecureString $password)
[Console]::Out.WriteLine("Loopback hop on $machine ($address) as $account")

$first = $null
if (-not $DryRun) { $first = Get-SpecMachineState; Save-Report 'loopback-snapshot-first.json' $first }
$exit = 1
try {
    if (-not $DryRun) {
        $admins = Get-LocalGroup -SID 'S-1-5-32-544'   # Administrators, by SID: any display language
        $null = New-LocalUser -Name $userName -Password $credential.Password -PasswordNeverExpires -AccountNeverExpires -Description 'CredHop loopback hop (CI); removed at the end'
        Add-LocalGroupMember -Group $admins -Member $userName
        # A local administrator is filtered to a standard token over the network unless this is 1 (UAC remote
        # restrictions); remoting as a local account needs it. Put back at the end (MachineState's single values).
        $null = New-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System' -Name LocalAccountTokenFilterPolicy -Value 1 -PropertyType DWord -Force
        # The jump server's own side: in a workgroup its hop to the target by name is NTLM, which needs the target
        # in the jump server's TrustedHosts. The jump server is this machine, so this is set here, before any
        # snapshot CredHop is compared with; CredHop manages only the client's entry for the jump server.
        Set-Item WSMan:\localhost\Client\TrustedHosts -Value $machine -Force
    }

    # 1. Before CredHop: the outer session works (TrustedHosts set for it only), the inner command fails.
    $base = $null
    if (-not $DryRun) { $base = Get-SpecMachineState }
    if (-not $DryRun) { Set-Item WSMan:\localhost\Client\TrustedHosts -Value "$machine,$address" -Force }   # for the outer session only
    $before = Test-InnerHop $machine $machine $credential
    Add-Check 'before CredHop: the outer session to this machine works' ([bool]$before.outerOk) $before.detail
    Add-Check 'before CredHop: the inner command (the second hop) fails' (-not $before.innerOk) $before.detail
    if (-not $DryRun) {
        Set-Item WSMan:\localhost\Client\TrustedHosts -Value $base.wsman.trustedHosts -Force
        $d = @(Compare-SpecMachineState $base (Get-SpecMachineState))
        Add-Check 'the check before CredHop left nothing behind' ($d.Count -eq 0) ($d -join '; ')
    }

    # 2. apply -> test -> restore, by name and by address
    foreach ($jump in @($machine, $address)) {
        $snap = $null
        if (-not $DryRun) { $snap = Get-SpecMachineState; Save-Report "loopback-before-$jump.json" $snap }
        $r = Invoke-CredHopCli (Get-CredHopArguments 'apply' $jump $machine $account) $password
        Add-Check "credhop apply (jump $jump) exits 0" ($r.exitCode -eq 0) "exit $($r.exitCode)"
        $hop = Test-InnerHop $jump $machine $credential 'Credssp'
        Add-Check "after apply: a plain CredSSP second hop through $jump works" ([bool]$hop.innerOk) $hop.detail
        $r = Invoke-CredHopCli (Get-CredHopArguments 'test' $jump $machine $account) $password
        Add-Check "credhop test (jump $jump) exits 0" ($r.exitCode -eq 0) "exit $($r.exitCode)"
        $r = Invoke-CredHopCli (Get-CredHopArguments 'restore' $jump $machine $account) ''
        Add-Check "credhop restore (jump $jump) exits 0" ($r.exitCode -eq 0) "exit $($r.exitCode)"
        if (-not $DryRun) {
            $after = Get-SpecMachineState; Save-Report "loopback-after-$jump.json" $after
            $d = @(Compare-SpecMachineState $snap $after)
            Add-Check "after restore (jump $jump): every value is back exactly (full snapshot compared)" ($d.Count -eq 0) ($d -join '; ')
        }
    }

    # 3. The scheduled restore: a 1-minute time box, CredHop killed, the task runs as SYSTEM and restores.
    $snap = $null
    if (-not $DryRun) { $snap = Get-SpecMachineState }
    $r = Invoke-CredHopCli (Get-CredHopArguments 'apply' $address $machine $account 1) $password
    Add-Check 'credhop apply with a 1-minute time box exits 0' ($r.exitCode -eq 0) "exit $($r.exitCode)"
    if (-not $DryRun) {
        $tasks = @(Get-ScheduledTask -TaskName 'CredHop*' -ErrorAction SilentlyContinue)
        Add-Check 'a CredHop restore task is registered, as SYSTEM' ($tasks.Count -ge 1 -and @($tasks | Where-Object { $_.Principal.UserId -like '*SYSTEM' }).Count -eq $tasks.Count) (($tasks | ForEach-Object { "$($_.TaskName) as $($_.Principal.UserId)" }) -join '; ')
        # CredHop is not running from here on: the command line has exited; kill any CredHop left anyway.
        Get-Process -Name CredHop -ErrorAction SilentlyContinue | Stop-Process -Force
        $outcomes = [System.IO.Path]::Combine($env:ProgramData, 'CredHop', 'Outcomes')
        $deadline = [DateTime]::UtcNow.AddSeconds($ScheduledWaitSeconds)
        $found = @()
        while ([DateTime]::UtcNow -lt $deadline) {
            if ([System.IO.Directory]::Exists($outcomes)) { $found = @([System.IO.Directory]::GetFiles($outcomes, '*.json')) }
            if ($found.Count -gt 0 -and @(Get-ScheduledTask -TaskName 'CredHop*' -ErrorAction SilentlyContinue).Count -eq 0) { break }
            Start-Sleep -Seconds 5
        }
        Add-Check 'the scheduled task ran at expiry and wrote its outcome' ($found.Count -gt 0) ($found -join '; ')
        if ($found.Count -gt 0) {
            $owner = (Get-Acl -LiteralPath $found[0]).Owner
            Add-Check 'the outcome was written by SYSTEM' ($owner -like '*SYSTEM' -or $owner -like '*S-1-5-18') "owner $owner"
            [System.IO.File]::Copy($found[0], [System.IO.Path]::Combine($ReportDir, 'loopback-outcome.json'), $true)
        }
        $after = Get-SpecMachineState; Save-Report 'loopback-after-scheduled.json' $after
        $d = @(Compare-SpecMachineState $snap $after)
        Add-Check 'after the scheduled restore: every value is back exactly (full snapshot compared)' ($d.Count -eq 0) ($d -join '; ')
    }
    $r = Invoke-CredHopCli (Get-CredHopArguments 'status') ''
    Add-Check 'credhop status after the scheduled restore exits 0 and reports it' ($r.exitCode -eq 0 -and ($DryRun -or $r.output -match 'scheduled')) "exit $($r.exitCode)"
    $exit = 0
} catch {
    Add-Check 'the loopback hop ran to its end' $false ([string]$_.Exception.Message)
} finally {
    if (-not $DryRun) {
        # put back everything this script set, and compare with the very first snapshot
        Remove-LocalUser -Name $userName -ErrorAction SilentlyContinue
        $left = @(Restore-SpecMachineState $first)
        Add-Check 'the account, TrustedHosts and LocalAccountTokenFilterPolicy are back as before' ($left.Count -eq 0) ($left -join '; ')
        Add-Check 'the local account is gone' (@(Get-LocalUser -Name $userName -ErrorAction SilentlyContinue).Count -eq 0)
    }
    Save-Report 'loopback.json' $script:Checks
}
$failedChecks = @($script:Checks | Where-Object { -not $_.passed })
[Console]::Out.WriteLine("Loopback hop: $($script:Checks.Count - $failedChecks.Count) passed, $($failedChecks.Count) failed")
if ($DryRun) { exit 0 }
if ($failedChecks.Count -gt 0 -or $exit -ne 0) { exit 1 }
exit 0
