# Three PowerShells, not one (issue #22): which edition runs each part of a flow, each edition's documented
# differences as Windows shows them (each a Windows fact, so the same checks could run against real Windows
# PowerShell 5.1 and 7.4), and CredHop's module working on each (tests/lab/src/Editions.ps1 names the sources).
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $script:ProductManifest -Force
    $script:Sid = '0b0e7f4e-2f7c-4c1e-9a53-0d4f2e7c1b66'
    $script:Managed = [IO.Path]::Combine($script:RepoRoot, 'tests', 'lab', 'managed-workstation.json')
    $script:Only51 = [IO.Path]::Combine($script:RepoRoot, 'tests', 'lab', 'windows-powershell-only.json')
    # What the jump server's default endpoint (Windows PowerShell 5.1) does with a script block.
    function Invoke-On51 { param([scriptblock]$ScriptBlock, [object[]]$ArgumentList = @()) Invoke-Command -ComputerName adfs1 -ScriptBlock $ScriptBlock -ArgumentList $ArgumentList -ErrorAction Stop }
    function Invoke-TaskScript {
        # writes $Bytes as a task's script on the client and runs it as the task's powershell.exe would
        param([byte[]]$Bytes, [string]$HostName = 'dc1')
        $dir = [IO.Path]::Combine($env:ProgramData, 'EditionTest'); [void][IO.Directory]::CreateDirectory($dir)
        $p = [IO.Path]::Combine($dir, [guid]::NewGuid().ToString('N') + '.ps1')
        [IO.File]::WriteAllBytes($p, $Bytes)
        $a = New-ScheduledTaskAction -Execute 'C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe' -Argument ('-NoProfile -File "' + $p + '"')
        $null = Register-ScheduledTask -TaskName 'Edition' -Action $a -Trigger (New-ScheduledTaskTrigger -Once -At ([datetime]::Now.AddMinutes(1))) -Principal (New-ScheduledTaskPrincipal -UserId 'NT AUTHORITY\SYSTEM' -RunLevel Highest) -Force
        @((Invoke-Lab Move-CredHopLabClock @{ host = $HostName; by = 120 }).ran)[0]
    }
    function New-Plan { param([string]$Machine = 'client', [string]$Computer = 'dc1') @{ version = 1; session = $script:Sid; machine = $Machine; computerName = $Computer; expiresAt = '2030-01-01T00:00:00.000Z'; steps = @(@{ kind = 'client-credssp'; enabled = $false; expect = $true }) } }
    $utf8 = [Text.UTF8Encoding]::new($false)
}
AfterAll { $null = New-TestLab }   # this runspace back to the default lab's client (7.6)

Describe 'Which PowerShell runs each part (a host''s "powershell" in the lab file)' {
    It 'default lab: CredHop''s shell 7.6; the jump server''s endpoint and a scheduled task Windows PowerShell 5.1' {
        $null = New-TestLab
        $PSVersionTable.PSVersion.Major | Should -Be 7
        $PSVersionTable.PSVersion.Minor | Should -Be 6
        $r = Invoke-On51 { [string]$PSVersionTable.PSVersion; $PSEdition; $null -eq $IsWindows }
        $r | Should -Be @('5.1.19041.4648', 'Desktop', $true)
        # per runspace: the client's own table is untouched by the remote one
        $PSEdition | Should -Be 'Core'
        $t = Invoke-TaskScript $utf8.GetBytes('"$($PSVersionTable.PSVersion)|$PSEdition"')
        $t.result | Should -Be 0
        @($t.output) | Should -Be @('5.1.19041.4648|Desktop')
    }

    It 'managed workstation: CredHop''s shell 7.4 LTS; no PowerShell 7: Windows PowerShell 5.1' {
        $null = New-TestLab -LabFile $script:Managed
        [string]$PSVersionTable.PSVersion | Should -Be '7.4.6'
        $PSVersionTable.PSEdition | Should -Be 'Core'
        $null = New-TestLab -LabFile $script:Only51
        [string]$PSVersionTable.PSVersion | Should -Be '5.1.19041.4648'
        $PSVersionTable.PSEdition | Should -Be 'Desktop'
        $PSVersionTable.ContainsKey('GitCommitId') | Should -BeFalse
        $null = New-TestLab
        $PSEdition | Should -Be 'Core'
    }

    It 'refuses an edition the lab does not know, naming the field' {
        $lab = Get-DefaultLab
        $lab.hosts[0]['powershell'] = @{ endpoint = '7.2' }
        { New-TestLab -Lab $lab } | Should -Throw '*hosts`[0`].powershell.endpoint: expected ''5.1'', ''7.4'' or ''7.6'', got ''7.2''*'
    }
}

Describe 'Windows PowerShell 5.1, as the jump server''s default endpoint runs it' {
    BeforeAll { $null = New-TestLab }

    It 'ConvertFrom-Json writes a JSON array as one object (PowerShell issue #3424)' {
        Invoke-On51 { @(ConvertFrom-Json '[1,2]').Count; $a = ConvertFrom-Json '[{"p":"a"},{"p":"b"}]'; $a.Count; foreach ($f in @(ConvertFrom-Json '[{"p":"a"},{"p":"b"}]')) { [string]$f.p } } | Should -Be @(1, 2, 'a b')
    }

    It 'ConvertFrom-Json keeps ISO-8601 strings as strings and has no -AsHashtable, -Depth or -NoEnumerate' {
        Invoke-On51 { (ConvertFrom-Json '{"d":"2026-11-30T05:00:00.000Z"}').d.GetType().FullName } | Should -Be 'System.String'
        foreach ($p in 'AsHashtable', 'Depth', 'NoEnumerate') {
            { Invoke-On51 ([scriptblock]::Create("ConvertFrom-Json '{}' -$p" + $(if ($p -eq 'Depth') { ' 3' } else { '' }))) } | Should -Throw "*A parameter cannot be found that matches parameter name '$p'*"
        }
    }

    It 'ConvertTo-Json escapes the HTML characters and cuts below -Depth without a warning' {
        Invoke-On51 { ConvertTo-Json -InputObject @{ a = "<b> & 'c'" } -Compress } | Should -BeExactly '{"a":"\u003cb\u003e \u0026 \u0027c\u0027"}'
        $w = $null
        Invoke-Command -ComputerName adfs1 -ScriptBlock { ConvertTo-Json -InputObject @{ a = @{ b = @{ c = @{ d = 1 } } } } -Compress } -WarningVariable w | Should -BeExactly '{"a":{"b":{"c":"System.Collections.Hashtable"}}}'
        @($w).Count | Should -Be 0
    }

    It 'cannot parse <Syntax>: ParseException "<Message>"' -TestCases @(
        @{ Syntax = 'a ternary'; Text = '$x = $true ? 1 : 2'; Message = "Unexpected token '?' in expression or statement." }
        @{ Syntax = '??'; Text = '$x = $null ?? 1'; Message = "Unexpected token '??' in expression or statement." }
        @{ Syntax = '??='; Text = '$x ??= 1'; Message = "Unexpected token '??=' in expression or statement." }
        @{ Syntax = '?.'; Text = '$x = $null; ${x}?.Length'; Message = "Unexpected token '?' in expression or statement." }
        @{ Syntax = '&&'; Text = 'hostname && hostname'; Message = "The token '&&' is not a valid statement separator in this version." }
        @{ Syntax = '||'; Text = 'hostname || hostname'; Message = "The token '||' is not a valid statement separator in this version." }
        @{ Syntax = 'a clean block'; Text = 'function f { process { 1 } clean { 2 } }'; Message = "Unexpected token 'clean' in expression or statement." }
    ) {
        $err = $null
        try { Invoke-On51 ([scriptblock]::Create($Text)) } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.CategoryInfo.Category | Should -Be 'ParserError'
        $err.Exception.Message | Should -BeLike "*$Message*"
    }

    It 'has no PowerShell 7 cmdlets (Test-Json), and $IsWindows does not exist' {
        { Invoke-On51 { Test-Json -Json '{}' } } | Should -Throw "*The term 'Test-Json' is not recognized*"
        Invoke-On51 { $null -eq $IsWindows; $null -eq $IsCoreCLR } | Should -Be @($true, $true)
    }

    It 'Get-WSManCredSSP spells line 1 with a space after the colon (PowerShell 7 has none; the reference, "What the cmdlets do")' {
        $null = New-TestLab
        $lines = @(Invoke-On51 { $null = Enable-WSManCredSSP -Role Client -DelegateComputer 'mem2.company.pri' -Force; Get-WSManCredSSP })
        $lines[0] | Should -BeExactly 'The machine is configured to allow delegating fresh credentials to the following target(s): wsman/mem2.company.pri'
        $null = Enable-WSManCredSSP -Role Client -DelegateComputer 'adfs1.company.pri' -Force
        @(Get-WSManCredSSP)[0] | Should -BeExactly 'The machine is configured to allow delegating fresh credentials to the following target(s):wsman/adfs1.company.pri'
        $null = New-TestLab
    }

    It 'reads a BOM-less script file as ANSI: a non-ASCII string in it fails; with a BOM, or in a comment only, it runs' {
        $null = New-TestLab
        $bad = Invoke-TaskScript $utf8.GetBytes("'Jürgen'")
        $bad.result | Should -Be 1
        "$($bad.output)" | Should -BeLike "*in the ANSI code page*'Jürgen' is read as 'JÃ¼rgen'*"
        $bom = Invoke-TaskScript ([Text.UTF8Encoding]::new($true).GetPreamble() + $utf8.GetBytes("'Jürgen'"))
        $bom.result | Should -Be 0
        @($bom.output) | Should -Be @('Jürgen')
        (Invoke-TaskScript $utf8.GetBytes("# Jürgen`n'ok'")).result | Should -Be 0
    }

    It 'imports no module with a BOM-less non-ASCII script file (what the restore task meets on a jump server)' {
        $dir = [IO.Path]::Combine($TestDrive, 'M' + [guid]::NewGuid().ToString('N').Substring(0, 6))
        [void][IO.Directory]::CreateDirectory($dir)
        [IO.File]::WriteAllText([IO.Path]::Combine($dir, 'M.psm1'), "function Get-M { 'Jürgen' }", $utf8)
        { Invoke-On51 { param($p) Import-Module $p -Force } -ArgumentList ([IO.Path]::Combine($dir, 'M.psm1')) } | Should -Throw '*reads*M.psm1*in the ANSI code page*'
        # CredHop's own module loads there (its files are ASCII or say their encoding)
        Invoke-On51 { param($p) Import-Module $p -Force; [bool](Get-Command Invoke-CredHop) } -ArgumentList $script:ProductManifest | Should -BeTrue
    }
}

Describe 'PowerShell 6.0-7.4, as a workstation with PowerShell 7.4 LTS runs CredHop' {
    BeforeAll { $null = New-TestLab -LabFile $script:Managed }
    AfterAll { $null = New-TestLab }

    It 'ConvertFrom-Json turns ISO-8601 strings into dates and has no -DateKind; arrays are enumerated' {
        (ConvertFrom-Json '{"d":"2026-11-30T05:00:00.000Z"}').d | Should -BeOfType [datetime]
        { ConvertFrom-Json '{}' -DateKind String } | Should -Throw "*A parameter cannot be found that matches parameter name 'DateKind'*"
        @(ConvertFrom-Json '[1,2]').Count | Should -Be 2
    }
}

Describe 'CredHop on each edition (the faults of issue #22)' {
    It 'arms the client''s scheduled restore on a PowerShell 7.4 client (expiresAt stays text)' {
        $null = New-TestLab -LabFile $script:Managed
        $r = Invoke-Prim 'ArmRestoreTask' @{ session = $script:Sid; expiresAt = '2030-01-01T00:00:00.000Z'; plan = (New-Plan -Computer 'ws1') }
        $r.error.message | Should -BeNullOrEmpty
        $r.ok | Should -BeTrue
        ([datetime]$r.data.at).ToUniversalTime() | Should -Be ([datetime]::new(2030, 1, 1, 0, 0, 0, [DateTimeKind]::Utc))
        $null = New-TestLab
    }

    It 'keeps user text that looks like a date as the text it is, on 7.4 (a probe command)' {
        $null = New-TestLab -LabFile $script:Managed
        $r = Invoke-Prim 'InvokeRemote' @{ computerName = 'adfs1.company.pri'; authentication = 'Default'; credential = $null; script = 'Whoami'; arguments = @{} }
        $r.ok | Should -BeTrue
        & (Get-Module CredHop) { (ConvertFrom-CredHopPayload ([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('{"command":"2026-11-30T05:00:00Z","list":["\/Date(0)\/"]}')))) } |
            ForEach-Object { $_.command; $_.list[0] } | Should -BeExactly @('2026-11-30T05:00:00Z', '/Date(0)/')
        $null = New-TestLab
    }

    It 'arms the safety net on a jump server whose endpoint is Windows PowerShell 5.1 (the module bundle is copied file by file)' {
        $null = New-TestLab
        $r = Invoke-Prim 'InvokeRemote' @{ computerName = 'adfs1.company.pri'; authentication = 'Default'; credential = $null; script = 'ArmRestoreTask'; arguments = @{ session = $script:Sid; expiresAt = '2030-01-01T00:00:00.000Z'; plan = (New-Plan 'server' 'adfs1.company.pri') } }
        @($r.data.errors) | ForEach-Object { $_.message } | Should -BeNullOrEmpty
        $r.ok | Should -BeTrue
        $files = @((Get-LabHostView 'adfs1').credhopFiles)
        $files | Where-Object { $_ -like '*CredHop/CredHop.psd1' } | Should -Not -BeNullOrEmpty
        $files | Where-Object { $_ -like '*CredHop/src/Payload.ps1' } | Should -Not -BeNullOrEmpty
        @((Get-LabHostView 'adfs1').scheduledTasks).Count | Should -Be 1
    }

    It 'on a client with only Windows PowerShell 5.1: arms, and its task (5.1) restores with CredHop gone' {
        $null = New-TestLab -LabFile $script:Only51
        $null = Invoke-Prim 'SetWinRMFlag' @{ role = 'client'; enabled = $true }
        $r = Invoke-Prim 'ArmRestoreTask' @{ session = $script:Sid; expiresAt = ([datetime]::UtcNow.AddMinutes(5).ToString('yyyy-MM-ddTHH:mm:ss.fffZ')); plan = (New-Plan -Computer 'ws2') }
        $r.ok | Should -BeTrue
        $ran = @((Invoke-Lab Move-CredHopLabClock @{ host = 'ws2'; by = 600 }).ran)
        $ran.Count | Should -Be 1
        $ran[0].result | Should -Be 0
        (Get-LabHostView 'ws2').clientCredSSP | Should -BeFalse
        $null = New-TestLab
    }
}
