# The lab's Task Scheduler, clock and power switch (tests/lab/src/ScheduledTasks.ps1), with the
# ScheduledTasks module's parameter names and the errors CredHop meets.
BeforeDiscovery { . ([System.IO.Path]::Combine($PSScriptRoot, '..', 'spec', 'Subject.ps1')) }   # the spec's subject: tests/spec/README.md
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    function New-TaskScript {
        # a task's script on the host's own ProgramData: says who and where it ran, turns the client flag on
        param([string]$Name, [string]$Body = '')
        $dir = [IO.Path]::Combine($env:ProgramData, 'CredHopSpecTest')
        [void][IO.Directory]::CreateDirectory($dir)
        $p = [IO.Path]::Combine($dir, $Name + '.ps1')
        [IO.File]::WriteAllText($p, "`"`$(whoami)|`$(hostname)|`$((whoami /groups) -match 'S-1-16-12288' | Measure-Object | ForEach-Object Count)|`$((Get-Date).ToUniversalTime().ToString('o'))`"`n" + $Body)
        $p
    }
    function Register-TestTask {
        param([string]$Name, [datetime]$At, [string]$Script, [switch]$StartWhenAvailable, [switch]$Force)
        $a = New-ScheduledTaskAction -Execute 'C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe' -Argument ('-NoProfile -NonInteractive -ExecutionPolicy Bypass -File "' + $Script + '"')
        $t = New-ScheduledTaskTrigger -Once -At $At
        $p = New-ScheduledTaskPrincipal -UserId 'NT AUTHORITY\SYSTEM' -RunLevel Highest
        $s = New-ScheduledTaskSettingsSet -StartWhenAvailable:$StartWhenAvailable
        Register-ScheduledTask -TaskName $Name -Action $a -Trigger $t -Principal $p -Settings $s -Force:$Force -ErrorAction Stop
    }
}

Describe 'Task Scheduler' {
    # On Windows the tasks are named CredHopSpec* (the spec's snapshot removes leftovers of that name).
    BeforeEach { Initialize-SpecSubject }
    AfterEach { Restore-SpecSubject }
    AfterAll { if ($SpecSubject -eq 'windows') { Remove-Item -LiteralPath ([IO.Path]::Combine($env:ProgramData, 'CredHopSpecTest')) -Recurse -Force -ErrorAction SilentlyContinue } }

    It 'registers a one-shot task as SYSTEM and lists it; Get-ScheduledTask by name, by wildcard' {
        $r = Register-TestTask 'CredHopSpec restore x' ([datetime]::Now.AddMinutes(30)) (New-TaskScript 'a') -StartWhenAvailable
        $r.TaskName | Should -Be 'CredHopSpec restore x'
        $r.State | Should -Be 'Ready'
        $r.PSObject.TypeNames[0] | Should -BeLike '*MSFT_ScheduledTask'
        $r.Principal.UserId | Should -Be 'NT AUTHORITY\SYSTEM'
        $r.Settings.StartWhenAvailable | Should -BeTrue
        (Get-ScheduledTask -TaskName 'CredHopSpec restore x').Actions[0].Execute | Should -BeLike '*powershell.exe'
        @(Get-ScheduledTask -TaskName 'CredHopSpec restore *').Count | Should -Be 1
        @(Get-ScheduledTask -TaskName 'Nothing *').Count | Should -Be 0
    }

    It 'refuses a duplicate name without -Force (0x800700b7) and replaces it with -Force' {
        $s = New-TaskScript 'a'
        $null = Register-TestTask 'CredHopSpec T' ([datetime]::Now.AddMinutes(30)) $s
        { Register-TestTask 'CredHopSpec T' ([datetime]::Now.AddMinutes(60)) $s } | Should -Throw -ErrorId 'HRESULT 0x800700b7,Register-ScheduledTask' -ExpectedMessage 'Cannot create a file when that file already exists.'
        $null = Register-TestTask 'CredHopSpec T' ([datetime]::Now.AddMinutes(60)) $s -Force
        @(Get-ScheduledTask -TaskName 'CredHopSpec T').Count | Should -Be 1
    }

    It 'says a task is not found, as Get- and Unregister-ScheduledTask do' {
        { Get-ScheduledTask -TaskName 'Ghost' -ErrorAction Stop } | Should -Throw -ErrorId 'CmdletizationQuery_NotFound_TaskName,Get-ScheduledTask' -ExpectedMessage "No MSFT_ScheduledTask objects found with property 'TaskName' equal to 'Ghost'.*"
        { Unregister-ScheduledTask -TaskName 'Ghost' -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'CmdletizationQuery_NotFound_TaskName,Unregister-ScheduledTask'
        Get-ScheduledTask -TaskName 'Ghost' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'refuses to register or remove a SYSTEM task when not elevated (Access is denied, 0x80070005)' -Tag 'LabOnly', 'Why: switches the caller to not elevated, which a process on Windows cannot do to itself' -Skip:$SpecSkipLabOnly {
        $null = Register-TestTask 'CredHopSpec T' ([datetime]::Now.AddMinutes(30)) (New-TaskScript 'a')
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ elevated = $false } }
        { Register-TestTask 'CredHopSpec U' ([datetime]::Now.AddMinutes(30)) (New-TaskScript 'b') } | Should -Throw -ErrorId 'HRESULT 0x80070005,Register-ScheduledTask' -ExpectedMessage 'Access is denied.'
        { Unregister-ScheduledTask -TaskName 'CredHopSpec T' -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'HRESULT 0x80070005,Unregister-ScheduledTask'
    }

    It 'unregisters with -Confirm:$false' {
        $null = Register-TestTask 'CredHopSpec T' ([datetime]::Now.AddMinutes(30)) (New-TaskScript 'a')
        Unregister-ScheduledTask -TaskName 'CredHopSpec T' -Confirm:$false
        @(Get-ScheduledTask -TaskName 'CredHopSpec*' -ErrorAction SilentlyContinue).Count | Should -Be 0
    }
}

Describe 'The clock: due tasks run as SYSTEM in a fresh runspace of their host' -Tag 'LabOnly', 'Why: moves the lab''s clock; on Windows the loopback hop waits for a real task at a near expiry' -Skip:$SpecSkipLabOnly {
    BeforeEach { $null = New-TestLab }

    It 'runs nothing before the trigger, then the task once when the clock passes it, as SYSTEM, elevated, on that host, at the host''s time' {
        $null = Register-TestTask 'T' ([datetime]::Now.AddMinutes(30)) (New-TaskScript 'a' 'Set-Item WSMan:\localhost\Client\Auth\CredSSP -Value true -Force')
        @((Invoke-Lab Move-CredHopLabClock @{ host = 'dc1'; by = 600 }).ran).Count | Should -Be 0
        $ran = @((Invoke-Lab Move-CredHopLabClock @{ host = 'dc1'; by = 1800 }).ran)
        $ran.Count | Should -Be 1
        $ran[0].result | Should -Be 0
        $who, $where, $elevated, $when = ([string]$ran[0].output[0]).Split('|')
        $who | Should -Be 'nt authority\system'
        $where | Should -Be 'dc1'
        $elevated | Should -Be '1'
        ([datetime]::Parse($when).ToUniversalTime() - [datetime]::UtcNow).TotalMinutes | Should -BeGreaterThan 39   # the host's clock, not real time
        (Get-LabHostView 'dc1').clientCredSSP | Should -BeTrue
        @((Invoke-Lab Move-CredHopLabClock @{ host = 'dc1'; by = 3600 }).ran).Count | Should -Be 0   # one-shot
        (Get-ScheduledTask -TaskName 'T').State | Should -Be 'Ready'
    }

    It 'keeps a clock per host: moving the jump server''s runs only its tasks, in its runspace, with the lab and nothing of the caller' {
        $script = New-TaskScript 'a'
        $null = Register-TestTask 'Client' ([datetime]::Now.AddMinutes(5)) $script
        $dir = [IO.Path]::Combine($env:ProgramData, '..', '..', 'adfs1', 'ProgramData', 'Test')
        Invoke-Command -ComputerName adfs1.company.pri -ArgumentList $script -ScriptBlock {
            param($s)
            $dir = [IO.Path]::Combine($env:ProgramData, 'Test'); [void][IO.Directory]::CreateDirectory($dir)
            $p = [IO.Path]::Combine($dir, 'b.ps1')
            [IO.File]::WriteAllText($p, '"$(hostname)|$(Get-Command Invoke-CredHop -ErrorAction SilentlyContinue)|$($using:x)"')
            $a = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument ('-File "' + $p + '"')
            $null = Register-ScheduledTask -TaskName 'Server' -Action $a -Trigger (New-ScheduledTaskTrigger -Once -At ([datetime]::Now.AddMinutes(5))) -Principal (New-ScheduledTaskPrincipal -UserId 'NT AUTHORITY\SYSTEM' -RunLevel Highest)
        }
        $ran = @((Invoke-Lab Move-CredHopLabClock @{ host = 'adfs1'; by = 600 }).ran)
        $ran.taskName | Should -Be @('Server')
        ([string]$ran[0].output[0]).Split('|')[0] | Should -Be 'adfs1'
        ([string]$ran[0].output[0]).Split('|')[1] | Should -BeNullOrEmpty
        (Get-ScheduledTask -TaskName 'Client').State | Should -Be 'Ready'
        [datetime]::Parse((Get-LabHostView 'dc1').clock).ToUniversalTime() | Should -BeLessThan ([datetime]::UtcNow.AddMinutes(1))
    }

    It 'on batteries, a task with Windows'' default settings does not start at its time (and never later); one allowed on batteries runs' {
        $null = Register-TestTask 'Default' ([datetime]::Now.AddMinutes(5)) (New-TaskScript 'a' 'Set-Item WSMan:\localhost\Client\Auth\CredSSP -Value true -Force')
        $s = New-ScheduledTaskSettingsSet -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries -ExecutionTimeLimit (New-TimeSpan -Minutes 15)
        $a = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument ('-File "' + (New-TaskScript 'b') + '"')
        $null = Register-ScheduledTask -TaskName 'Battery' -Action $a -Trigger (New-ScheduledTaskTrigger -Once -At ([datetime]::Now.AddMinutes(5))) -Principal (New-ScheduledTaskPrincipal -UserId 'NT AUTHORITY\SYSTEM' -RunLevel Highest) -Settings $s
        (Get-ScheduledTask -TaskName 'Default').Settings.DisallowStartIfOnBatteries | Should -BeTrue
        (Get-ScheduledTask -TaskName 'Battery').Settings.ExecutionTimeLimit | Should -Be 'PT15M'
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ power = 'battery' } }
        @((Invoke-Lab Move-CredHopLabClock @{ host = 'dc1'; by = 600 }).ran).taskName | Should -Be @('Battery')
        (Get-LabHostView 'dc1').clientCredSSP | Should -BeFalse
        $refused = @((Get-LabHostView 'dc1').scheduledTasks | Where-Object name -eq 'Default')[0]
        $refused.lastResult | Should -Be -2147020576
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ power = 'ac' } }
        @((Invoke-Lab Move-CredHopLabClock @{ host = 'dc1'; by = 600 }).ran).Count | Should -Be 0
    }

    It 'refuses to move a clock backwards' {
        { Invoke-Lab Move-CredHopLabClock @{ host = 'dc1'; to = '2001-01-01T00:00:00Z' } } | Should -Throw '*only moves forward*'
    }
}

Describe 'A host switched off' -Tag 'LabOnly', 'Why: switches a lab machine off and on' -Skip:$SpecSkipLabOnly {
    BeforeEach { $null = New-TestLab }

    It 'misses its due tasks while off; at its next start runs those with StartWhenAvailable and not the others' {
        $null = Register-TestTask 'Late' ([datetime]::Now.AddMinutes(5)) (New-TaskScript 'a') -StartWhenAvailable
        $null = Register-TestTask 'Never' ([datetime]::Now.AddMinutes(5)) (New-TaskScript 'b')
        $null = Invoke-Lab Stop-CredHopLabHost @{ host = 'dc1' }
        @((Invoke-Lab Move-CredHopLabClock @{ host = 'dc1'; by = 600 }).ran).Count | Should -Be 0
        $ran = @((Invoke-Lab Start-CredHopLabHost @{ host = 'dc1' }).ran)
        $ran.taskName | Should -Be @('Late')
        @((Invoke-Lab Move-CredHopLabClock @{ host = 'dc1'; by = 600 }).ran).Count | Should -Be 0
    }

    It 'does not answer connections while off' {
        $null = Invoke-Lab Stop-CredHopLabHost @{ host = 'adfs1' }
        { Invoke-Command -ComputerName adfs1.company.pri -ScriptBlock { 1 } -ErrorAction Stop } | Should -Throw -ErrorId 'WinRMOperationTimeout,PSSessionStateBroken'
        $null = Invoke-Lab Start-CredHopLabHost @{ host = 'adfs1' }
        Invoke-Command -ComputerName adfs1.company.pri -ScriptBlock { 1 } | Should -Be 1
    }
}
