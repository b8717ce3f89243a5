# The lab behaves as /work/shared/reference/windows-credssp.md says Windows does.
BeforeDiscovery { . ([System.IO.Path]::Combine($PSScriptRoot, '..', 'spec', 'Subject.ps1')) }   # the spec's subject: tests/spec/README.md
BeforeAll { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }

Describe 'Lab file' -Tag 'LabOnly', 'Why: the lab file and its state are the lab''s own; Windows has neither' -Skip:$SpecSkipLabOnly {
    It 'loads the article''s default lab: client dc1, jump adfs1, target mem2 in company.pri' {
        $dir = New-TestLab
        $v = Get-LabView
        $v.client | Should -Be 'dc1'
        $v.domain | Should -Be 'company.pri'
        @($v.hosts.PSObject.Properties.Name) | Should -Be @('dc1', 'adfs1', 'mem2')
        $v.hosts.adfs1.fqdn | Should -Be 'adfs1.company.pri'
        $v.hosts.mem2.clientCredSSP | Should -BeFalse
        $v.hosts.mem2.serviceCredSSP | Should -BeFalse
        @($v.hosts.dc1.registryPol).Count | Should -Be 0
        $env:SystemRoot | Should -Be ([IO.Path]::Combine($dir, 'hosts', 'dc1', 'Windows'))
        hostname | Should -Be 'dc1'
    }

    It 'rejects <Case> with a message naming the field' -TestCases @(
        @{ Case = 'an unknown root field'; Mutate = { param($l) $l.colour = 'red' }; Expect = '(root).colour: unknown field' }
        @{ Case = 'a client that is not a host'; Mutate = { param($l) $l.client = 'ghost' }; Expect = "client: unknown host 'ghost'*missing client" }
        @{ Case = 'a missing client'; Mutate = { param($l) $l.Remove('client') }; Expect = '(root).client: missing' }
        @{ Case = 'a bad type'; Mutate = { param($l) $l.hosts[1].winrm = 'yes' }; Expect = 'hosts`[1`].winrm: expected bool' }
        @{ Case = 'a bad address'; Mutate = { param($l) $l.hosts[2].address = '10.0.0.300' }; Expect = 'hosts`[2`].address: expected an IPv4 address' }
        @{ Case = 'a duplicate host'; Mutate = { param($l) $l.hosts[2].name = 'adfs1'; $l.hosts[2].fqdn = 'adfs1.company.pri' }; Expect = "hosts``[2``].name: duplicate host 'adfs1'" }
        @{ Case = 'an unknown admin account'; Mutate = { param($l) $l.hosts[0].admins = @('COMPANY\nobody') }; Expect = "hosts``[0``].admins``[0``]: unknown account 'COMPANY\nobody'" }
        @{ Case = 'a bad fault action'; Mutate = { param($l) $l.hosts[0].faults = @{ writes = @(@{ command = 'Set-Item'; action = 'explode' }) } }; Expect = "hosts``[0``].faults.writes``[0``].action: expected 'throw' or 'exit'" }
        @{ Case = 'a policy entry that is not a string'; Mutate = { param($l) $l.hosts[0].localPolicy = @{ fresh = @{ entries = @{ '1' = 5 } } } }; Expect = 'hosts`[0`].localPolicy.fresh.entries.1: expected string' }
        @{ Case = 'a missing domain'; Mutate = { param($l) $l.Remove('domain') }; Expect = '(root).domain: missing' }
    ) {
        $lab = Get-DefaultLab
        & $Mutate $lab
        $dir = [IO.Path]::Combine([IO.Path]::GetTempPath(), 'credhop-bad-' + [guid]::NewGuid().ToString('N'))
        $r = Read-CredHopLine (Initialize-CredHopLab -Payload (ConvertTo-B64 @{ stateDir = $dir; lab = $lab; reset = $true }))
        $r.ok | Should -BeFalse
        $r.error.message | Should -BeLike "Invalid lab file*$Expect*"
    }

    It 'rejects a lab file that is not JSON, naming the file' {
        $f = Join-Path $TestDrive 'broken.json'
        Set-Content -LiteralPath $f -Value '{ "domain": '
        $r = Read-CredHopLine (Initialize-CredHopLab -Payload (ConvertTo-B64 @{ stateDir = (Join-Path $TestDrive 's1'); labFile = $f }))
        $r.ok | Should -BeFalse
        $r.error.message | Should -BeLike "Invalid lab file $f*not valid JSON*"
    }

    It 'keeps its state between PowerShell processes and counts each process once' {
        $dir = New-TestLab
        Set-Item WSMan:\localhost\Client\Auth\CredSSP -Value $true
        (Get-LabView).counters.processes | Should -Be 1
        $null = Invoke-Lab Initialize-CredHopLab @{ stateDir = $dir }   # same process: not counted again
        (Get-LabView).counters.processes | Should -Be 1
        $child = Join-Path $TestDrive 'child.ps1'
        Set-Content -LiteralPath $child -Value @'
param($Manifest, $Dir)
Import-Module $Manifest -Global
$p = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes((@{ stateDir = $Dir } | ConvertTo-Json -Compress)))
$null = Initialize-CredHopLab -Payload $p
(Get-Item WSMan:\localhost\Client\Auth\CredSSP).Value
'@
        $out = & $script:Pwsh -NoProfile -NonInteractive -File $child $script:LabManifest $dir
        $out | Should -Be 'true'
        (Get-LabView).counters.processes | Should -Be 2
    }
}

Describe 'WSMan: drive and HKLM: registry' {
    BeforeAll { Initialize-SpecSubject }
    AfterAll { Restore-SpecSubject }

    It 'shows the CredSSP flags as the strings true/false and sets them from $true, ''true'' and 1' {
        (Get-Item WSMan:\localhost\Client\Auth\CredSSP).Value | Should -BeExactly 'false'
        Set-Item -Path WSMan:\localhost\Client\Auth\CredSSP -Value $true -Force
        (Get-Item WSMan:\localhost\Client\Auth\CredSSP).Value | Should -BeExactly 'true'
        Set-Item -Path WSMan:\localhost\Client\Auth\CredSSP -Value 'false'
        (Get-Item WSMan:\localhost\Client\Auth\CredSSP).Value | Should -BeExactly 'false'
        Set-Item -Path 'WSMan:\localhost\Service\Auth\CredSSP' -Value 1
        (Get-Item WSMan:\localhost\Service\Auth\CredSSP).Value | Should -BeExactly 'true'
        (Get-SpecRegValues 'SOFTWARE\Microsoft\Windows\CurrentVersion\WSMAN\Service').auth_credssp | Should -Be 1
        Set-Item -Path 'WSMan:\localhost\Service\Auth\CredSSP' -Value 0
        Test-Path WSMan:\localhost\Client\Auth\CredSSP | Should -BeTrue
        @(Get-ChildItem WSMan:\localhost\Client\Auth).Name | Should -Contain 'CredSSP'
    }

    It 'forwards every other path to the real cmdlets' {
        $f = Join-Path $TestDrive 'plain.txt'
        New-Item -ItemType File -Path $f -Value 'hello' | Out-Null
        Test-Path -LiteralPath $f | Should -BeTrue
        (Get-Item -LiteralPath $f).GetType().Name | Should -Be 'FileInfo'
        @(Get-ChildItem -Path $TestDrive -Filter 'plain.txt').Count | Should -Be 1
        Remove-Item -LiteralPath $f
        Test-Path -LiteralPath $f | Should -BeFalse
    }

    It 'creates, reads, changes and deletes keys and values under HKLM:' {
        $k = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\CredHopTest'
        Test-Path $k | Should -BeFalse
        New-Item -Path $k | Out-Null
        New-ItemProperty -Path $k -Name 'A' -Value 1 -PropertyType DWord | Out-Null
        New-ItemProperty -LiteralPath $k -Name 'S' -Value 'x' -PropertyType String | Out-Null
        (Get-ItemProperty -Path $k).A | Should -Be 1
        (Get-ItemProperty -Path $k -Name S).S | Should -Be 'x'
        (Get-Item $k).GetValue('A') | Should -Be 1
        @((Get-Item $k).GetValueNames()) | Should -Be @('A', 'S')
        Set-ItemProperty -Path $k -Name 'A' -Value 2
        (Get-ItemProperty -Path $k).A | Should -Be 2
        { New-ItemProperty -Path $k -Name 'A' -Value 3 -PropertyType DWord -ErrorAction Stop } | Should -Throw -ErrorId 'System.IO.IOException,Microsoft.PowerShell.Commands.NewItemPropertyCommand'
        Remove-ItemProperty -Path $k -Name 'S'
        { Remove-ItemProperty -Path $k -Name 'S' -ErrorAction Stop } | Should -Throw -ErrorId 'System.Management.Automation.PSArgumentException,Microsoft.PowerShell.Commands.RemoveItemPropertyCommand'
        New-Item -Path "$k\Sub" | Out-Null
        @(Get-ChildItem $k).PSChildName | Should -Be @('Sub')
        { Remove-Item $k -ErrorAction Stop } | Should -Throw
        Remove-Item $k -Recurse
        Test-Path $k | Should -BeFalse
        { Get-Item $k -ErrorAction Stop } | Should -Throw -ErrorId 'PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand'
        { Get-ItemProperty -Path $k -ErrorAction Stop } | Should -Throw -ExceptionType ([System.Management.Automation.ItemNotFoundException])
    }

    It 'New-Item -Force on an existing key re-creates it empty, as on Windows' {
        $k = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\CredHopForce'
        New-Item -Path $k | Out-Null
        New-ItemProperty -Path $k -Name 'A' -Value 1 -PropertyType DWord | Out-Null
        New-Item -Path $k -Force | Out-Null
        Get-ItemProperty -Path $k | Should -BeNullOrEmpty
        Remove-Item $k -Recurse
    }

    It 'honours the caller''s $ErrorActionPreference like a compiled cmdlet' {
        $ErrorActionPreference = 'Stop'
        { Get-Item 'HKLM:\SOFTWARE\Nope\Nope' } | Should -Throw -ErrorId 'PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand'
    }

    It 'reads HKLM:/WSMan: paths given in provider-qualified form' {
        Test-Path 'Registry::HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows' | Should -BeTrue
        Test-Path 'Microsoft.PowerShell.Core\Registry::HKEY_LOCAL_MACHINE\SOFTWARE\Policies' | Should -BeTrue
    }
}

Describe 'The lab state that reads share' -Tag 'LabOnly', 'Why: about the lab''s own state file and its cache' -Skip:$SpecSkipLabOnly {
    # The reading cmdlets share one parsed lab state while the state file is unchanged. What must hold:
    # whatever changed the file is seen by the next read, and a read never sees a change nobody saved.
    BeforeEach { $script:dir = New-TestLab; $script:file = [IO.Path]::Combine($script:dir, 'state.json') }

    It 'sees a write by another process at once, even one of the same length within the same clock tick' {
        (Get-Item WSMan:\localhost\Client\Auth\CredSSP).Value | Should -BeExactly 'false'
        $text = [IO.File]::ReadAllText($script:file)
        $stamp = [IO.File]::GetLastWriteTimeUtc($script:file)
        # The client's flag set by someone else: same length ('0' -> '1'), and the same time stamp.
        $state = ConvertFrom-Json $text -AsHashtable
        $state.hosts.dc1.registry['SOFTWARE\Microsoft\Windows\CurrentVersion\WSMAN\Client'].auth_credssp.data = 1
        $changed = ConvertTo-Json -InputObject $state -Depth 100
        $changed.Length | Should -Be $text.Length
        [IO.File]::WriteAllText($script:file, $changed)
        [IO.File]::SetLastWriteTimeUtc($script:file, $stamp)
        (Get-Item WSMan:\localhost\Client\Auth\CredSSP).Value | Should -BeExactly 'true'
    }

    It 'never shows a change that was not saved' {
        (Get-Item WSMan:\localhost\Client\Auth\CredSSP).Value | Should -BeExactly 'false'
        $lab = Get-Module CredHopLab
        # A writer takes the state, changes it and fails before saving (as a fault mid-write does).
        & $lab {
            $st = Read-LabState
            $st.hosts.dc1.registry['SOFTWARE\Microsoft\Windows\CurrentVersion\WSMAN\Client'].auth_credssp.data = 1
        }
        (Get-Item WSMan:\localhost\Client\Auth\CredSSP).Value | Should -BeExactly 'false'
        Set-Item -Path WSMan:\localhost\Client\Auth\CredSSP -Value $true
        (Get-Item WSMan:\localhost\Client\Auth\CredSSP).Value | Should -BeExactly 'true'
    }
}

Describe 'Elevation (E10) and consent' -Tag 'LabOnly', 'Why: switches the caller between elevated and not, which a process on Windows cannot do to itself' -Skip:$SpecSkipLabOnly {
    BeforeAll {
        $null = New-TestLab
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ elevated = $false } }
    }
    AfterAll { $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ elevated = $true } } }

    It '<Cmd> fails with E10 and the reference''s FullyQualifiedErrorId' -TestCases @(
        @{ Cmd = 'Enable-WSManCredSSP'; Block = { Enable-WSManCredSSP -Role Client -DelegateComputer adfs1.company.pri -Force }; Id = 'System.InvalidOperationException,Microsoft.WSMan.Management.EnableWSManCredSSPCommand' }
        @{ Cmd = 'Disable-WSManCredSSP'; Block = { Disable-WSManCredSSP -Role Client }; Id = 'System.InvalidOperationException,Microsoft.WSMan.Management.DisableWSManCredSSPCommand' }
        @{ Cmd = 'Get-WSManCredSSP'; Block = { Get-WSManCredSSP }; Id = 'System.InvalidOperationException,Microsoft.WSMan.Management.GetWSManCredSSPCommand' }
    ) {
        $err = $null
        try { & $Block } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.Exception.Message | Should -BeExactly 'Access is denied. You need to run this cmdlet from an elevated process.'
        $err.FullyQualifiedErrorId | Should -BeExactly $Id
        $err.Exception | Should -BeOfType ([System.InvalidOperationException])
    }

    It 'refuses registry and WSMan writes but allows reads' {
        Test-Path 'HKLM:\SOFTWARE\Policies\Microsoft\Windows' | Should -BeTrue
        { New-Item -Path "$script:CD" -ErrorAction Stop } | Should -Throw -ErrorId 'System.Security.SecurityException,Microsoft.PowerShell.Commands.NewItemCommand'
        { Set-Item WSMan:\localhost\Client\Auth\CredSSP -Value $true -ErrorAction Stop } | Should -Throw '*Access is denied*'
        (Get-Item WSMan:\localhost\Client\Auth\CredSSP).Value | Should -Be 'false'
        @(whoami /groups) -join "`n" | Should -Not -Match 'S-1-16-12288'
    }

    It 'shows the High Mandatory Level SID in whoami /groups only when elevated' {
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ elevated = $true } }
        @(whoami /groups) -join "`n" | Should -Match 'S-1-16-12288'
        whoami | Should -BeExactly 'company\administrator'
        whoami /upn | Should -BeExactly 'administrator@company.pri'
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ elevated = $false } }
    }

    It 'asks for consent without -Force; non-interactive it fails like PowerShell does and changes nothing' {
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ elevated = $true } }
        { Enable-WSManCredSSP -Role Client -DelegateComputer adfs1.company.pri } | Should -Throw
        { Enable-WSManCredSSP -Role Server } | Should -Throw
        (Get-LabHostView dc1).clientCredSSP | Should -BeFalse
        (Get-LabHostView dc1).serviceCredSSP | Should -BeFalse
        Test-RegKey dc1 $script:CDKey | Should -BeFalse
    }
}

Describe 'Enable-WSManCredSSP / Disable-WSManCredSSP / Get-WSManCredSSP' {
    Context 'on an empty policy' {
        BeforeAll { Initialize-SpecSubject }
        AfterAll { Restore-SpecSubject }

        It 'Enable -Role Client sets the flag and both DWORDs and appends wsman/X in both stores' {
            Enable-WSManCredSSP -Role Client -DelegateComputer adfs1.company.pri -Force | Out-Null
            (Get-Item WSMan:\localhost\Client\Auth\CredSSP).Value | Should -Be 'true'
            $p = Get-SpecRegValues $script:CDKey
            $p.AllowFreshCredentials | Should -Be 1
            $p.ConcatenateDefaults_AllowFresh | Should -Be 1
            (Get-SpecRegValues "$script:CDKey\AllowFreshCredentials").'1' | Should -Be 'wsman/adfs1.company.pri'
            $pol = Get-SpecPolRecords
            ($pol | Where-Object { $_.key -eq "$script:CDKey\AllowFreshCredentials" -and $_.name -eq '1' }).data | Should -Be 'wsman/adfs1.company.pri'
            ($pol | Where-Object { $_.name -eq 'AllowFreshCredentials' }).data | Should -Be 1
            Get-SpecGptIni | Should -Match 'Version=\d+'
            Get-SpecGptIni | Should -Match '35378EAC-683F-11D2-A89A-00C04FBBCFA2'
            $bytes = [IO.File]::ReadAllBytes([IO.Path]::Combine($env:SystemRoot, 'System32', 'GroupPolicy', 'Machine', 'Registry.pol'))
            [Text.Encoding]::ASCII.GetString($bytes, 0, 4) | Should -Be 'PReg'
            [BitConverter]::ToInt32($bytes, 4) | Should -Be 1
        }

        It 'does not de-duplicate: a second Enable appends a duplicate at count+1' {
            Enable-WSManCredSSP -Role Client -DelegateComputer adfs1.company.pri -Force | Out-Null
            $l = Get-SpecRegValues "$script:CDKey\AllowFreshCredentials"
            @($l.Keys) | Should -Be @('1', '2')
            $l.'2' | Should -Be 'wsman/adfs1.company.pri'
        }

        It 'Get-WSManCredSSP prints the two lines (PowerShell 7 spelling: no space after the colon; 5.1: one space)' {
            $lines = @(Get-WSManCredSSP)
            $colon = ':'
            if ($SpecEdition -eq 'Desktop') { $colon = ': ' }   # the reference quotes 5.1's text; not yet seen on Windows
            $lines[0] | Should -BeExactly ('The machine is configured to allow delegating fresh credentials to the following target(s)' + $colon + 'wsman/adfs1.company.pri,wsman/adfs1.company.pri')   # joined by ',' with no space (CredSSP.cs)
            $lines[1] | Should -BeExactly 'This computer is not configured to receive credentials from a remote client computer.'
            Enable-WSManCredSSP -Role Server -Force | Out-Null
            @(Get-WSManCredSSP)[1] | Should -BeExactly 'This computer is configured to receive credentials from a remote client computer.'
        }

        It 'refuses -DelegateComputer with -Role Server and a missing -DelegateComputer with -Role Client' {
            { Enable-WSManCredSSP -Role Server -DelegateComputer x -Force } | Should -Throw -ErrorId 'System.InvalidOperationException,Microsoft.WSMan.Management.EnableWSManCredSSPCommand'
            { Enable-WSManCredSSP -Role Client -Force } | Should -Throw -ErrorId 'System.InvalidOperationException,Microsoft.WSMan.Management.EnableWSManCredSSPCommand'
        }

        It 'Disable -Role Server turns the service flag off' {
            Disable-WSManCredSSP -Role Server
            (Get-Item WSMan:\localhost\Service\Auth\CredSSP).Value | Should -Be 'false'
        }

        It 'Disable -Role Client with no survivors removes the DWORDs and the subkey' {
            Disable-WSManCredSSP -Role Client
            (Get-Item WSMan:\localhost\Client\Auth\CredSSP).Value | Should -Be 'false'
            Test-SpecRegKey "$script:CDKey\AllowFreshCredentials" | Should -BeFalse
            (Get-SpecRegValues $script:CDKey).Contains('AllowFreshCredentials') | Should -BeFalse
            @(Get-SpecPolRecords).Count | Should -Be 0
            @(Get-WSManCredSSP)[0] | Should -BeExactly 'The machine is not configured to allow delegating fresh credentials.'
        }
    }

    Context 'on a policy with a gap, other entries and an NTLM-only list' -Tag 'LabOnly', 'Why: the policy is seeded from a lab file; on Windows that seed would be a Registry.pol the spec writes first (not yet written)' -Skip:$SpecSkipLabOnly {
        BeforeAll {
            $lab = Get-DefaultLab
            $lab.hosts[0].localPolicy = @{
                fresh     = @{ allow = 1; concatenate = 1; entries = [ordered]@{ '1' = 'TERMSRV/*'; '3' = 'wsman/old.company.pri' } }
                freshNtlm = @{ allow = 1; concatenate = 1; entries = [ordered]@{ '1' = 'wsman/ntlm.company.pri' } }
            }
            $null = New-TestLab -Lab $lab
        }

        It 'Enable overwrites at count+1 where the names have a gap (both stores), never touching NTLM-only' {
            Enable-WSManCredSSP -Role Client -DelegateComputer adfs1.company.pri -Force | Out-Null
            $l = Get-RegValues dc1 "$script:CDKey\AllowFreshCredentials"
            $l.'1' | Should -Be 'TERMSRV/*'
            $l.'3' | Should -Be 'wsman/adfs1.company.pri'
            @($l.Keys).Count | Should -Be 2
            $pol = @(Get-PolRecords dc1 | Where-Object { $_.key -eq "$script:CDKey\AllowFreshCredentials" })
            ($pol | Where-Object name -eq '3').data | Should -Be 'wsman/adfs1.company.pri'
            (Get-RegValues dc1 "$script:CDKey\AllowFreshCredentialsWhenNTLMOnly").'1' | Should -Be 'wsman/ntlm.company.pri'
        }

        It 'Disable strips every wsman* value, renumbers survivors from 1, keeps the DWORDs, ignores NTLM-only' {
            Enable-WSManCredSSP -Role Client -DelegateComputer mem2.company.pri, WSMAN/x -Force | Out-Null
            Disable-WSManCredSSP -Role Client
            $l = Get-RegValues dc1 "$script:CDKey\AllowFreshCredentials"
            @($l.Keys) | Should -Be @('1')
            $l.'1' | Should -Be 'TERMSRV/*'
            (Get-RegValues dc1 $script:CDKey).AllowFreshCredentials | Should -Be 1
            $pol = @(Get-PolRecords dc1 | Where-Object { $_.key -eq "$script:CDKey\AllowFreshCredentials" })
            @($pol.data) | Should -Be @('TERMSRV/*')
            (Get-RegValues dc1 "$script:CDKey\AllowFreshCredentialsWhenNTLMOnly").'1' | Should -Be 'wsman/ntlm.company.pri'
        }
    }

    Context 'under domain GPOs' -Tag 'LabOnly', 'Why: needs domain GPOs; the Windows runner is a workgroup machine' -Skip:$SpecSkipLabOnly {
        It 'E9: Enable fails when a domain GPO owns AllowFreshCredentials, and the domain list wins' {
            $lab = Get-DefaultLab
            $lab.hosts[0].domainPolicy = @{ fresh = @{ allow = 1; concatenate = 1; entries = @{ '1' = 'wsman/corp.company.pri' } } }
            $null = New-TestLab -Lab $lab
            { Enable-WSManCredSSP -Role Client -DelegateComputer adfs1.company.pri -Force } | Should -Throw 'This command cannot be executed because the setting cannot be enabled.'
            @((Get-RegValues dc1 "$script:CDKey\AllowFreshCredentials").Values) | Should -Be @('wsman/corp.company.pri')
            { Disable-WSManCredSSP -Role Client } | Should -Throw 'This command cannot be executed because the setting cannot be disabled.'
        }

        It 'W1: a WinRM AllowCredSSP policy blocks changing the flag' {
            $lab = Get-DefaultLab
            $lab.hosts[0].domainPolicy = @{ winrmClientAllowCredSSP = 0; winrmServiceAllowCredSSP = 1 }
            $null = New-TestLab -Lab $lab
            $w1 = 'The config setting CredSSP cannot be changed because is controlled by policies. The policy would need to be set to "Not Configured" in order to change the config setting.'
            { Enable-WSManCredSSP -Role Client -DelegateComputer adfs1.company.pri -Force } | Should -Throw $w1
            { Set-Item WSMan:\localhost\Client\Auth\CredSSP -Value $true -ErrorAction Stop } | Should -Throw $w1
            (Get-Item WSMan:\localhost\Client\Auth\CredSSP).Value | Should -Be 'false'
            (Get-Item WSMan:\localhost\Service\Auth\CredSSP).Value | Should -Be 'true'
            (Get-Item WSMan:\localhost\Service\Auth\CredSSP).SourceOfValue | Should -Be 'GPO'
            Test-RegKey dc1 $script:CDKey | Should -BeFalse
        }
    }
}

Describe 'Group Policy refresh (gpupdate)' {
    BeforeAll { Initialize-SpecSubject }
    AfterAll { Restore-SpecSubject }

    It 're-applies the local GPO over a registry-only removal' {
        Enable-WSManCredSSP -Role Client -DelegateComputer adfs1.company.pri -Force | Out-Null
        Remove-ItemProperty -Path "$script:CD\AllowFreshCredentials" -Name '1'
        (Get-SpecRegValues "$script:CDKey\AllowFreshCredentials").Count | Should -Be 0
        $out = gpupdate /target:computer /force
        $LASTEXITCODE | Should -Be 0
        $out | Should -Contain 'Computer Policy update has completed successfully.'
        (Get-SpecRegValues "$script:CDKey\AllowFreshCredentials").'1' | Should -Be 'wsman/adfs1.company.pri'
    }

    It 'keeps a registry-only addition when no GPO sets the list with **delvals.' {
        New-ItemProperty -Path "$script:CD\AllowFreshCredentials" -Name '9' -Value 'wsman/extra' -PropertyType String | Out-Null
        gpupdate /target:computer /force | Out-Null
        (Get-SpecRegValues "$script:CDKey\AllowFreshCredentials").'9' | Should -Be 'wsman/extra'
    }

    It 'lets a domain GPO list (with **delvals.) replace the subkey and win over the local GPO' -Tag 'LabOnly', 'Why: needs a domain GPO; the Windows runner is a workgroup machine' -Skip:$SpecSkipLabOnly {
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ domainPolicy = @{ fresh = @{ allow = 1; entries = @{ '1' = 'wsman/dom.company.pri' } } } } }
        gpupdate /target:computer /force | Out-Null
        $l = Get-SpecRegValues "$script:CDKey\AllowFreshCredentials"
        @($l.Values) | Should -Be @('wsman/dom.company.pri')
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ domainPolicy = $null } }
        gpupdate /target:computer /force | Out-Null
        @((Get-SpecRegValues "$script:CDKey\AllowFreshCredentials").Values) | Should -Be @('wsman/adfs1.company.pri')
    }

    It 'removes what it applied once the GPO no longer sets it' {
        Disable-WSManCredSSP -Role Client
        gpupdate /target:computer /force | Out-Null
        Test-SpecRegKey $script:CDKey | Should -BeFalse
    }
}

Describe 'Remoting and the second hop' -Tag 'LabOnly', 'Why: needs the article''s three machines in a domain; on Windows, tests/windows/Invoke-LoopbackHop.ps1 shows the real second hop on one machine' -Skip:$SpecSkipLabOnly {
    BeforeAll {
        $lab = Get-DefaultLab
        $lab.accounts = @(@{ name = 'COMPANY\Administrator'; password = 'P@ssw0rd!' }, @{ name = 'COMPANY\helpdesk'; password = 'Help123!' })
        $lab.hosts[1].admins = @('COMPANY\Administrator', 'COMPANY\helpdesk')
        $lab.hosts += @{ name = 'nospn'; address = '192.168.3.20'; spn = $false }
        $lab.hosts += @{ name = 'down'; winrm = $false }
        $lab.hosts += @{ name = 'gone'; reachable = $false }
        $lab.hosts += @{ name = 'web'; httpSpnConflict = $true }
        $script:LabDir = New-TestLab -Lab $lab
        $script:Admin = New-Cred
        $script:Help = New-Cred 'COMPANY\helpdesk' 'Help123!'
        # by address or to a host without a WSMAN SPN, Negotiate and CredSSP need the destination in TrustedHosts
        # (Lab.ManagedEstate.Tests.ps1 covers the ServerNotTrusted error); these tests are about what comes after it
        Set-Item WSMan:\localhost\Client\TrustedHosts -Value '192.168.3.*,nospn.company.pri' -Force
    }

    It 'reaches a host by short name, FQDN and (Negotiate + credential) address, as the identity expected' {
        Invoke-Command -ComputerName adfs1 -ScriptBlock { hostname } | Should -Be 'adfs1'
        Invoke-Command -ComputerName adfs1.company.pri -ScriptBlock { hostname } | Should -Be 'adfs1'
        Invoke-Command -ComputerName 192.168.3.11 -Authentication Negotiate -Credential $Admin -ScriptBlock { whoami } | Should -Be 'company\administrator'
        Invoke-Command -ComputerName mem2 { $env:COMPUTERNAME } | Should -Be 'MEM2'
        $o = Invoke-Command -ComputerName mem2 { [pscustomobject]@{ n = 1 } }
        $o.PSComputerName | Should -Be 'mem2'
        hostname | Should -Be 'dc1'   # the caller is still dc1
    }

    It 'fails with <Row> (<Id>, code <Code>)' -TestCases @(
        @{ Row = 'name does not resolve'; Block = { Invoke-Command -ComputerName nosuch.company.pri { 1 } }; Id = 'ComputerNotFound,PSSessionStateBroken'; Code = -2144108103; Start = 'Connecting to remote server nosuch.company.pri failed with the following error message : WinRM cannot complete the operation. Verify that the specified computer name is valid' }
        @{ Row = 'WinRM stopped'; Block = { Invoke-Command -ComputerName down { 1 } }; Id = 'CannotConnect,PSSessionStateBroken'; Code = -2144108526; Start = 'Connecting to remote server down failed with the following error message : WinRM cannot complete the operation.' }
        @{ Row = 'unreachable'; Block = { Invoke-Command -ComputerName gone { 1 } }; Id = 'WinRMOperationTimeout,PSSessionStateBroken'; Code = -2144108250; Start = 'Connecting to remote server gone failed with the following error message : WinRM cannot complete the operation.' }
        @{ Row = 'IP address with default auth'; Block = { Invoke-Command -ComputerName 192.168.3.11 { 1 } }; Id = 'CannotUseIPAddress,PSSessionStateBroken'; Code = -2144108101; Start = 'Connecting to remote server 192.168.3.11 failed with the following error message : The WinRM client cannot process the request. Default authentication may be used with an IP address' }
        @{ Row = 'E5 client flag off'; Block = { Invoke-Command -ComputerName adfs1.company.pri -Authentication Credssp -Credential $Admin { 1 } }; Id = '-2144108126,PSSessionStateBroken'; Code = -2144108126; Start = 'Connecting to remote server adfs1.company.pri failed with the following error message : The WinRM client cannot process the request. CredSSP authentication is currently disabled in the client configuration.'; Setup = { Set-Item WSMan:\localhost\Client\Auth\CredSSP -Value false } }
        @{ Row = 'E2 no delegation entry'; Block = { Invoke-Command -ComputerName adfs1.company.pri -Authentication Credssp -Credential $Admin { 1 } }; Id = '-2144108125,PSSessionStateBroken'; Code = -2144108125; Start = '*The WinRM client cannot process the request. A computer policy does not allow the delegation of the user credentials to the target computer. Use gpedit.msc*Allow Delegating Fresh Credentials.*'; Setup = { Set-Item WSMan:\localhost\Client\Auth\CredSSP -Value true } }
        @{ Row = 'E2 short name while only the FQDN is listed'; Block = { Invoke-Command -ComputerName adfs1 -Authentication Credssp -Credential $Admin { 1 } }; Id = '-2144108125,PSSessionStateBroken'; Code = -2144108125; Start = '*A computer policy does not allow the delegation*'; Setup = { Enable-WSManCredSSP -Role Client -DelegateComputer adfs1.company.pri -Force | Out-Null } }
        @{ Row = 'E4 service flag off'; Block = { Invoke-Command -ComputerName adfs1.company.pri -Authentication Credssp -Credential $Admin { 1 } }; Id = 'AccessDenied,PSSessionStateBroken'; Code = 5; Start = '*The WinRM client cannot process the request. The authentication mechanism requested by the client is not supported by the server or unencrypted traffic is disabled*' }
        @{ Row = 'E3 by address'; Block = { Invoke-Command -ComputerName 192.168.3.11 -Authentication Credssp -Credential $Admin { 1 } }; Id = '-2144108124,PSSessionStateBroken'; Code = -2144108124; Start = '*The WinRM client cannot process the request. A computer policy does not allow the delegation of the user credentials to the target computer because the computer is not trusted.*' }
        @{ Row = 'E3 no WSMAN SPN'; Block = { Invoke-Command -ComputerName nospn.company.pri -Authentication Credssp -Credential $Admin { 1 } }; Id = '-2144108124,PSSessionStateBroken'; Code = -2144108124; Start = '*because the computer is not trusted.*'; Setup = { Enable-WSManCredSSP -Role Client -DelegateComputer nospn.company.pri -Force | Out-Null } }
        @{ Row = 'E6 HTTP SPN owned by a service account'; Block = { Invoke-Command -ComputerName web { 1 } }; Id = '-2144108387,PSSessionStateBroken'; Code = -2144108387; Start = '*The following error with errorcode 0x80090322 occurred while using Kerberos authentication: An unknown security error occurred.*' }
        @{ Row = 'E7 not an administrator'; Block = { Invoke-Command -ComputerName mem2 -Credential $Help { 1 } }; Id = 'AccessDenied,PSSessionStateBroken'; Code = 5; Start = 'Connecting to remote server mem2 failed with the following error message : Access is denied. For more information, see the about_Remote_Troubleshooting Help topic.' }
        @{ Row = 'logon failure'; Block = { Invoke-Command -ComputerName mem2 -Credential (New-Cred 'COMPANY\Administrator' 'wrong') { 1 } }; Id = 'LogonFailure,PSSessionStateBroken'; Code = 1326; Start = '*The user name or password is incorrect.*' }
    ) {
        if ($Setup) { & $Setup }
        $e = $null
        try { & $Block } catch { $e = $_ }   # Pester runs tests with $ErrorActionPreference = 'Stop'
        $e | Should -Not -BeNullOrEmpty
        $e.FullyQualifiedErrorId | Should -BeExactly $Id
        $e.Exception | Should -BeOfType ([System.Management.Automation.Remoting.PSRemotingTransportException])
        $e.Exception.ErrorCode | Should -Be $Code
        $e.CategoryInfo.Category | Should -Be 'OpenError'
        $e.Exception.Message | Should -BeLike "$Start*"
        $e.Exception.Message | Should -BeLike '*For more information, see the about_Remote_Troubleshooting Help topic.'
    }

    It 'fails before connecting when CredSSP has no -Credential (reference text, not counted)' {
        $before = (Get-LabView).counters.connections.adfs1
        $Error.Clear()
        Invoke-Command -ComputerName adfs1.company.pri -Authentication Credssp { 1 } -ErrorAction SilentlyContinue
        $Error[0].Exception.Message | Should -BeExactly 'The WinRM client cannot process the request. Requests must include user name and password when CredSSP authentication mechanism is used. Add the user name and password or change the authentication mechanism and try the request again.'
        (Get-LabView).counters.connections.adfs1 | Should -Be $before
    }

    It 'works over CredSSP once client flag, FQDN entry and server flag are set; wildcards match as on Windows' {
        Set-Item WSMan:\localhost\Client\Auth\CredSSP -Value true
        Invoke-Command -ComputerName adfs1 { Enable-WSManCredSSP -Role Server -Force } | Out-Null
        Invoke-Command -ComputerName adfs1.company.pri -Authentication Credssp -Credential $Admin { hostname } | Should -Be 'adfs1'
        { Invoke-Command -ComputerName adfs1 -Authentication Credssp -Credential $Admin { hostname } -ErrorAction Stop } | Should -Throw -ErrorId '-2144108125,PSSessionStateBroken'
        Disable-WSManCredSSP -Role Client
        Set-Item WSMan:\localhost\Client\Auth\CredSSP -Value true
        New-Item -Path "$script:CD\AllowFreshCredentials" -Force | Out-Null
        New-ItemProperty -Path $script:CD -Name AllowFreshCredentials -Value 1 -PropertyType DWord -Force | Out-Null
        New-ItemProperty -Path "$script:CD\AllowFreshCredentials" -Name 1 -Value 'wsman/*.company.pri' -PropertyType String -Force | Out-Null
        Invoke-Command -ComputerName adfs1.company.pri -Authentication Credssp -Credential $Admin { hostname } | Should -Be 'adfs1'
        { Invoke-Command -ComputerName adfs1 -Authentication Credssp -Credential $Admin { 1 } -ErrorAction Stop } | Should -Throw -ErrorId '-2144108125,PSSessionStateBroken'
        Set-ItemProperty -Path "$script:CD\AllowFreshCredentials" -Name 1 -Value 'wsman/*'
        Invoke-Command -ComputerName adfs1 -Authentication Credssp -Credential $Admin { hostname } | Should -Be 'adfs1'
    }

    It 'accepts the NTLM-only list for a host reached by address (E3 fixed)' {
        New-Item -Path "$script:CD\AllowFreshCredentialsWhenNTLMOnly" -Force | Out-Null
        New-ItemProperty -Path $script:CD -Name AllowFreshCredentialsWhenNTLMOnly -Value 1 -PropertyType DWord -Force | Out-Null
        New-ItemProperty -Path "$script:CD\AllowFreshCredentialsWhenNTLMOnly" -Name 1 -Value 'wsman/192.168.3.11' -PropertyType String -Force | Out-Null
        Invoke-Command -ComputerName 192.168.3.11 -Authentication Credssp -Credential $Admin { hostname } | Should -Be 'adfs1'
    }

    It 'E1: a second hop from a Kerberos session fails; the error comes back as a remote error carrying code 1312' {
        $Error.Clear()
        $out = Invoke-Command -ComputerName adfs1.company.pri { Invoke-Command -ComputerName mem2 { hostname } } -ErrorAction SilentlyContinue -ErrorVariable ev
        $out | Should -BeNullOrEmpty
        $e = @($ev)[0]
        $e.FullyQualifiedErrorId | Should -BeExactly '1312,PSSessionStateBroken'
        $e.Exception | Should -BeOfType ([System.Management.Automation.RemoteException])
        $e.Exception.SerializedRemoteException.ErrorCode | Should -Be 1312
        $e.Exception.SerializedRemoteException.PSObject.TypeNames[0] | Should -Be 'Deserialized.System.Management.Automation.Remoting.PSRemotingTransportException'
        $e.Exception.Message | Should -BeLike 'Connecting to remote server mem2 failed with the following error message : WinRM cannot process the request. The following error with errorcode 0x8009030e occurred while using Kerberos authentication: A specified logon session does not exist. It may already have been terminated.*'
        $e.OriginInfo.PSComputerName | Should -Be 'adfs1.company.pri'
        $ev2 = $null
        Invoke-Command -ComputerName adfs1 { Invoke-Command -ComputerName mem2 -Authentication Negotiate { 1 } } -ErrorAction SilentlyContinue -ErrorVariable ev2
        @($ev2)[0].Exception.Message | Should -BeLike '*occurred while using Negotiate authentication: A specified logon session does not exist*'
    }

    It 'a second hop from inside a CredSSP session works; explicit -Credential on the inner call works without CredSSP' {
        Invoke-Command -ComputerName adfs1 -Authentication Credssp -Credential $Admin { Invoke-Command -ComputerName mem2 { "$(hostname) as $(whoami)" } } | Should -Be 'mem2 as company\administrator'
        $c = $Admin
        Invoke-Command -ComputerName adfs1 { Invoke-Command -ComputerName mem2 -Credential $using:c { hostname } } | Should -Be 'mem2'
    }

    It 'runs remote script blocks in a fresh runspace: caller variables and the CredHop module are not there' {
        $secret = 'local-only'
        Invoke-Command -ComputerName adfs1 { "[$secret]" } | Should -Be '[]'
        Invoke-Command -ComputerName adfs1 { param($x) "[$x]" } -ArgumentList $secret | Should -Be '[local-only]'
        Invoke-Command -ComputerName adfs1 { "[$using:secret]" } | Should -Be '[local-only]'
        Import-Module $script:ProductManifest -Force
        Invoke-Command -ComputerName adfs1 { [bool](Get-Command Invoke-CredHop -ErrorAction SilentlyContinue) } | Should -BeFalse
        Invoke-Command -ComputerName adfs1 { $env:SystemRoot } | Should -Be ([IO.Path]::Combine($script:LabDir, 'hosts', 'adfs1', 'Windows'))
        $env:SystemRoot | Should -Be ([IO.Path]::Combine($script:LabDir, 'hosts', 'dc1', 'Windows'))
    }

    It 'round-trips arguments and results through the serializer like remoting' {
        $f = Get-Item -LiteralPath $TestDrive
        $r = Invoke-Command -ComputerName adfs1 { param($d) $d.PSObject.TypeNames[0]; [pscustomobject]@{ n = 1; s = 'x' } } -ArgumentList $f
        $r[0] | Should -Be 'Deserialized.System.IO.DirectoryInfo'
        $r[1].PSObject.TypeNames[0] | Should -Be 'Deserialized.System.Management.Automation.PSCustomObject'
        $r[1].n | Should -Be 1
        $r[1].RunspaceId | Should -Not -BeNullOrEmpty
    }

    It 'New-PSSession: errors end in PSSessionOpenFailed; -Session reuses one connection and keeps state' {
        $Error.Clear()
        New-PSSession -ComputerName nosuch -ErrorAction SilentlyContinue | Out-Null
        $Error[0].FullyQualifiedErrorId | Should -BeExactly 'ComputerNotFound,PSSessionOpenFailed'
        $before = [int](Get-LabView).counters.connections.mem2
        $s = New-PSSession -ComputerName mem2
        Invoke-Command -Session $s { $x = 41 }
        Invoke-Command -Session $s { $x + 1 } | Should -Be 42
        (Get-LabView).counters.connections.mem2 | Should -Be ($before + 1)
        @(Get-PSSession).Count | Should -Be 1
        Remove-PSSession $s
        @(Get-PSSession).Count | Should -Be 0
    }

    It 'Test-WSMan answers for a running WinRM and fails for a stopped one' {
        (Test-WSMan -ComputerName adfs1).ProductVendor | Should -Be 'Microsoft Corporation'
        { Test-WSMan -ComputerName down -ErrorAction Stop } | Should -Throw -ErrorId 'WsManError,Microsoft.WSMan.Management.TestWSManCommand'
    }
}

Describe 'Counters and faults' -Tag 'LabOnly', 'Why: the lab''s own counters and injected faults' -Skip:$SpecSkipLabOnly {
    It 'counts remote connections per host and stops answering after N' {
        $lab = Get-DefaultLab
        $lab.hosts[2].faults = @{ stopAnsweringAfter = 2 }
        $null = New-TestLab -Lab $lab
        Invoke-Command -ComputerName mem2 { 1 } | Should -Be 1
        Invoke-Command -ComputerName mem2 { 2 } | Should -Be 2
        { Invoke-Command -ComputerName mem2 { 3 } -ErrorAction Stop } | Should -Throw -ErrorId 'WinRMOperationTimeout,PSSessionStateBroken'
        (Get-LabView).counters.connections.mem2 | Should -Be 3
        Invoke-Command -ComputerName adfs1 { 1 } | Out-Null
        (Get-LabView).counters.connections.adfs1 | Should -Be 1
    }

    It 'a write fault with action throw fails AFTER the effect and is consumed persistently' {
        $null = New-TestLab
        $null = Invoke-Lab Add-CredHopLabFault @{ host = 'dc1'; command = 'New-ItemProperty'; path = '*CredentialsDelegation*'; action = 'throw'; times = 1 }
        New-Item -Path $script:CD -Force | Out-Null
        { New-ItemProperty -Path $script:CD -Name AllowFreshCredentials -Value 1 -PropertyType DWord -ErrorAction Stop } | Should -Throw '*CredHop lab fault*failed after its effect*'
        (Get-RegValues dc1 $script:CDKey).AllowFreshCredentials | Should -Be 1
        @((Get-LabView).faults)[0].remaining | Should -Be 0
        New-ItemProperty -Path $script:CD -Name ConcatenateDefaults_AllowFresh -Value 1 -PropertyType DWord | Out-Null
    }

    It 'a write fault with action exit ends the PowerShell process mid-call; a restart proceeds' {
        $dir = New-TestLab
        $null = Invoke-Lab Add-CredHopLabFault @{ host = 'dc1'; command = 'Enable-WSManCredSSP'; path = 'Client'; action = 'exit'; exitCode = 42 }
        $child = Join-Path $TestDrive 'exit.ps1'
        Set-Content -LiteralPath $child -Value @'
param($Manifest, $Dir)
Import-Module $Manifest -Global
$p = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes((@{ stateDir = $Dir } | ConvertTo-Json -Compress)))
$null = Initialize-CredHopLab -Payload $p
Enable-WSManCredSSP -Role Client -DelegateComputer adfs1.company.pri -Force | Out-Null
'finished'
'@
        $out = & $script:Pwsh -NoProfile -NonInteractive -File $child $script:LabManifest $dir
        $LASTEXITCODE | Should -Be 42
        $out | Should -Not -Contain 'finished'
        (Get-RegValues dc1 "$script:CDKey\AllowFreshCredentials").'1' | Should -Be 'wsman/adfs1.company.pri'
        $out = & $script:Pwsh -NoProfile -NonInteractive -File $child $script:LabManifest $dir
        $LASTEXITCODE | Should -Be 0
        $out | Should -Contain 'finished'
        $v = Get-LabView
        $v.counters.processes | Should -Be 3
        @((Get-RegValues dc1 "$script:CDKey\AllowFreshCredentials").Keys) | Should -Be @('1', '2')
    }
}
