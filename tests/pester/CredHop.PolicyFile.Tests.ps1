# The local GPO's files are shared (issue #11): sharing violations are retried, another writer's change is
# kept, and a file busy for too long is a plain error with nothing half-written. Also: natives get no stdin,
# gpupdate's /wait, and the policy-editor read.
BeforeDiscovery { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $script:ProductManifest -Force
    function Get-PolPath { [IO.Path]::Combine($env:SystemRoot, 'System32', 'GroupPolicy', 'Machine', 'Registry.pol') }
    function Get-GptPath { [IO.Path]::Combine($env:SystemRoot, 'System32', 'GroupPolicy', 'gpt.ini') }
    function Get-FileB64 { param([string]$Path) if ([IO.File]::Exists($Path)) { [Convert]::ToBase64String([IO.File]::ReadAllBytes($Path)) } else { '<none>' } }
    function Add-FileFault { param($Fault) $null = Invoke-Lab Add-CredHopLabFileFault (@{ host = 'dc1' } + $Fault) }
    function Get-GptVersion { if ((Get-LabHostView 'dc1').gptIni -match 'Version=(\d+)') { [long]$Matches[1] } else { 0 } }
    function Get-LocalEntries {
        param([string]$List = 'fresh')
        @((Invoke-Prim GetHostState).data.delegation.$List.local.entries | ForEach-Object { "$($_.name)=$($_.value)" })
    }
    function Get-PolRecordText { @(Get-PolRecords 'dc1' | ForEach-Object { "$($_.key)|$($_.name)|$($_.data)" }) }
    $script:Seeded = @{
        fresh     = @{ allow = 1; concatenate = 1; entries = [ordered]@{ '1' = 'TERMSRV/*'; '2' = 'wsman/old.company.pri' } }
        freshNtlm = @{ allow = 1; concatenate = 0; entries = [ordered]@{ '1' = 'wsman/ntlm.company.pri' } }
    }
    function New-SeededLab {
        $lab = Get-DefaultLab
        $lab.hosts[0].localPolicy = $script:Seeded
        $null = New-TestLab -Lab $lab
    }
}

Describe 'Registry.pol and gpt.ini busy (sharing violation)' {
    BeforeEach { New-SeededLab }

    It 'retries a busy Registry.pol (<Times> times, <Access>) and the add ends right' -TestCases @(
        @{ Times = 1; Access = 'Read' }
        @{ Times = 3; Access = 'Any' }
        @{ Times = 5; Access = 'Write' }
    ) {
        $v0 = Get-GptVersion
        Add-FileFault @{ kind = 'busy'; file = 'Registry.pol'; access = $Access; times = $Times }
        $r = Invoke-Prim AddDelegation @{ list = 'fresh'; spn = 'wsman/adfs1.company.pri' }
        $r.ok | Should -BeTrue
        $r.data.added | Should -BeTrue
        $r.data.valueName | Should -Be '3'
        (Get-LabView).fileFaults[0].fired | Should -Be $Times
        (Get-LabView).fileFaults[0].remaining | Should -Be 0
        Get-LocalEntries | Should -Be @('1=TERMSRV/*', '2=wsman/old.company.pri', '3=wsman/adfs1.company.pri')
        (Get-RegValues 'dc1' "$script:CDKey\AllowFreshCredentials")['3'] | Should -Be 'wsman/adfs1.company.pri'
        Get-GptVersion | Should -Be ($v0 + 1)
        @([IO.Directory]::GetFiles([IO.Path]::GetDirectoryName((Get-PolPath)), '*.tmp')) | Should -BeNullOrEmpty
    }

    It 'retries a busy gpt.ini on remove and on set-flags' {
        Add-FileFault @{ kind = 'busy'; file = 'gpt.ini'; access = 'Any'; times = 4 }
        $r = Invoke-Prim RemoveDelegation @{ list = 'fresh'; entries = @(@{ name = '2'; value = 'wsman/old.company.pri' }) }
        $r.ok | Should -BeTrue
        Add-FileFault @{ kind = 'busy'; file = '*'; access = 'Write'; times = 2 }
        $r = Invoke-Prim SetDelegationFlags @{ list = 'freshNtlm'; allow = 0; concatenate = 0 }
        $r.ok | Should -BeTrue
        $r.data.local.allow | Should -Be 0
        Get-LocalEntries | Should -Be @('1=TERMSRV/*')
        @((Get-LabView).fileFaults | ForEach-Object fired) | Should -Be @(4, 2)
    }

    It 'busy beyond the limit (<Case>): a plain error of kind failed, Registry.pol, gpt.ini and the registry unchanged' -TestCases @(
        @{ Case = 'Registry.pol cannot be read'; Fault = @{ kind = 'busy'; file = 'Registry.pol'; access = 'Read'; times = 50 }; Leaf = 'Registry.pol' }
        @{ Case = 'Registry.pol cannot be replaced'; Fault = @{ kind = 'busy'; file = 'Registry.pol'; access = 'Write'; times = 50 }; Leaf = 'Registry.pol' }
        @{ Case = 'gpt.ini cannot be replaced (Registry.pol is put back)'; Fault = @{ kind = 'busy'; file = 'gpt.ini'; access = 'Write'; times = 50 }; Leaf = 'gpt.ini' }
    ) {
        $pol = Get-FileB64 (Get-PolPath); $gpt = Get-FileB64 (Get-GptPath)
        $reg = ConvertTo-Json -Compress -Depth 10 -InputObject (Get-LabHostView 'dc1').registry
        Add-FileFault $Fault
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $r = Invoke-Prim AddDelegation @{ list = 'fresh'; spn = 'wsman/adfs1.company.pri' }
        $sw.Stop()
        $r.ok | Should -BeFalse
        $r.error.kind | Should -Be 'failed'
        $r.error.message | Should -BeLike "The local Group Policy file $Leaf (*) is in use by another program (the Group Policy editor?): CredHop tried 6 times and changed nothing. Close the Local Group Policy Editor (gpedit.msc), then try again."
        $r.error.fullyQualifiedErrorId | Should -Be 'CredHop.PolicyFileInUse'
        (Get-LabView).fileFaults[0].fired | Should -Be 6
        $sw.ElapsedMilliseconds | Should -BeGreaterOrEqual 1500   # 50+100+200+400+800 ms of back-off
        Get-FileB64 (Get-PolPath) | Should -Be $pol
        Get-FileB64 (Get-GptPath) | Should -Be $gpt
        ConvertTo-Json -Compress -Depth 10 -InputObject (Get-LabHostView 'dc1').registry | Should -Be $reg
        @([IO.Directory]::GetFiles([IO.Path]::GetDirectoryName((Get-PolPath)), '*.tmp')) | Should -BeNullOrEmpty
    }
}

Describe 'Another writer (the Group Policy editor) changes Registry.pol meanwhile' {
    BeforeEach { New-SeededLab }

    It 'keeps its entry when CredHop adds, and CredHop''s entry is added (after read <After>)' -TestCases @(
        @{ After = 1 }   # right after CredHop's first read: the edit is redone on the new content
        @{ After = 2 }   # right after the re-read that precedes the replace: caught by the compare
    ) {
        Add-FileFault @{ kind = 'writer'; afterReads = $After }
        $r = Invoke-Prim AddDelegation @{ list = 'fresh'; spn = 'wsman/adfs1.company.pri' }
        $r.ok | Should -BeTrue
        (Get-LabView).fileFaults[0].fired | Should -Be 1
        $recs = Get-PolRecordText
        $recs | Should -Contain 'Software\Policies\Microsoft\Windows\Personalization|NoLockScreen|1'
        $recs | Should -Contain "$script:CDKey\AllowFreshCredentials|3|wsman/adfs1.company.pri"
        Get-LocalEntries | Should -Be @('1=TERMSRV/*', '2=wsman/old.company.pri', '3=wsman/adfs1.company.pri')
    }

    It 'keeps its entry when CredHop removes and sets flags, and CredHop''s changes are applied' {
        Add-FileFault @{ kind = 'writer'; afterReads = 1; entry = @{ key = 'Software\Policies\Microsoft\Windows\Personalization'; name = 'NoLockScreen'; type = 'DWord'; data = 1 } }
        $r = Invoke-Prim RemoveDelegation @{ list = 'fresh'; entries = @(@{ name = '2'; value = 'wsman/old.company.pri' }) }
        $r.ok | Should -BeTrue
        Add-FileFault @{ kind = 'writer'; afterReads = 1; entry = @{ key = "$script:CDKey\AllowFreshCredentialsWhenNTLMOnly"; name = '2'; type = 'String'; data = 'wsman/gpedit.company.pri' } }
        $r = Invoke-Prim SetDelegationFlags @{ list = 'fresh'; allow = 0; concatenate = 0 }
        $r.ok | Should -BeTrue
        @((Get-LabView).fileFaults | ForEach-Object fired) | Should -Be @(1, 1)
        $recs = Get-PolRecordText
        $recs | Should -Contain 'Software\Policies\Microsoft\Windows\Personalization|NoLockScreen|1'
        $recs | Should -Contain "$script:CDKey\AllowFreshCredentialsWhenNTLMOnly|2|wsman/gpedit.company.pri"
        $recs | Should -Contain "$script:CDKey|AllowFreshCredentials|0"
        Get-LocalEntries | Should -Be @('1=TERMSRV/*')
        Get-LocalEntries 'freshNtlm' | Should -Be @('1=wsman/ntlm.company.pri', '2=wsman/gpedit.company.pri')
    }

    It 'never overwrites a value the other writer changed too: a plain error, its entry kept' {
        Add-FileFault @{ kind = 'writer'; afterReads = 1; entry = @{ key = "$script:CDKey\AllowFreshCredentials"; name = '3'; type = 'String'; data = 'wsman/gpedit.company.pri' } }
        $r = Invoke-Prim AddDelegation @{ list = 'fresh'; spn = 'wsman/adfs1.company.pri' }
        $r.ok | Should -BeFalse
        $r.error.kind | Should -Be 'failed'
        $r.error.fullyQualifiedErrorId | Should -Be 'CredHop.PolicyFileConflict'
        $r.error.message | Should -BeLike 'Another program changed the same local Group Policy value (*allowfreshcredentials\3) while CredHop was changing it, so CredHop changed nothing.*'
        Get-LocalEntries | Should -Be @('1=TERMSRV/*', '2=wsman/old.company.pri', '3=wsman/gpedit.company.pri')
    }
}

Describe 'Native programs and gpupdate' {
    It 'a native started by the module gets EOF on stdin at once, even while the shell''s stdin has data' -Skip:($IsWindows) {
        # A child pwsh whose stdin is a pipe holding data, as node-powershell's pwsh has (-File: pwsh itself
        # does not read stdin). Without input from $null, `head -c 10` reads the caller's data.
        $script = [IO.Path]::Combine([IO.Path]::GetTempPath(), 'credhop-native-' + [guid]::NewGuid().ToString('N') + '.ps1')
        [IO.File]::WriteAllText($script, @'
param([string]$Manifest)
Import-Module $Manifest -Force
$r = & (Get-Module CredHop) { Invoke-CredHopNative 'head' @('-c', '10') }
[Console]::Out.WriteLine('RESULT:' + (ConvertTo-Json -Compress -InputObject @{ output = @($r.Output); exitCode = $r.ExitCode }))
'@)
        try {
            $psi = [Diagnostics.ProcessStartInfo]::new($script:Pwsh)
            foreach ($a in '-NoProfile', '-NonInteractive', '-File', $script, $script:ProductManifest) { $psi.ArgumentList.Add($a) }
            $psi.RedirectStandardInput = $true; $psi.RedirectStandardOutput = $true; $psi.UseShellExecute = $false
            $p = [Diagnostics.Process]::Start($psi)
            $p.StandardInput.Write("NEXT-COMMAND-0123456789`n"); $p.StandardInput.Flush()   # stays open
            $out = $p.StandardOutput.ReadToEndAsync()
            $done = $p.WaitForExit(60000)
            if (-not $done) { $p.Kill() }
            $done | Should -BeTrue -Because 'the native must not wait for the shell''s stdin'
            $line = @($out.Result -split "`n" | Where-Object { $_.StartsWith('RESULT:') })[0]
            $res = ConvertFrom-Json $line.Substring(7)
            @($res.output) | Should -BeNullOrEmpty
            $res.exitCode | Should -Be 0
        }
        finally { Remove-Item -LiteralPath $script -Force }
    }

    It 'RefreshPolicy gives gpupdate /wait:45, below the 60 s per-call time-out' {
        $null = New-TestLab
        Mock -CommandName gpupdate -ModuleName CredHop -MockWith { $global:CredHopGpArgs = @($args); $global:LASTEXITCODE = 0 }
        $r = Invoke-Prim RefreshPolicy
        $r.ok | Should -BeTrue
        $global:CredHopGpArgs | Should -Be @('/target:computer', '/force', '/wait:45')
        & (Get-Module CredHop) { $script:GpUpdateWaitSeconds } | Should -BeLessThan 60
    }
}

Describe 'GetPolicyEditor: is the Local Group Policy Editor open?' {
    BeforeAll { $null = New-TestLab }

    It 'says no when no mmc.exe runs (the lab has none)' {
        $r = Invoke-Prim GetPolicyEditor
        $r.ok | Should -BeTrue
        $r.data.open | Should -BeFalse
    }

    It 'says <Open> for <Case>' -TestCases @(
        @{ Case = 'mmc running gpedit.msc'; Line = '"C:\WINDOWS\system32\mmc.exe" "C:\WINDOWS\system32\GPEDIT.MSC"'; Throw = $false; Open = $true }
        @{ Case = 'mmc running another console'; Line = '"C:\WINDOWS\system32\mmc.exe" "C:\WINDOWS\system32\services.msc"'; Throw = $false; Open = $false }
        @{ Case = 'a command line that cannot be read'; Line = $null; Throw = $false; Open = $null }
        @{ Case = 'no process query (unknown)'; Line = ''; Throw = $true; Open = $null }
    ) {
        Mock -CommandName Get-Process -ModuleName CredHop -MockWith { [pscustomobject]@{ Name = 'mmc'; Id = 4242 } }
        $global:CredHopTestLine = $Line; $global:CredHopTestThrow = $Throw
        Mock -CommandName Get-CimInstance -ModuleName CredHop -MockWith {
            if ($global:CredHopTestThrow) { throw 'Get-CimInstance is not available' }
            [pscustomobject]@{ Name = 'mmc.exe'; ProcessId = 4242; CommandLine = $global:CredHopTestLine }
        }
        $r = Invoke-Prim GetPolicyEditor
        $r.ok | Should -BeTrue
        $r.data.open | Should -Be $Open
        @($r.data.PSObject.Properties.Name) | Should -Be @('open')
    }
}
