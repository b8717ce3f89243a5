# Every CredHop primitive, run unchanged on top of the lab.
BeforeDiscovery { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $script:ProductManifest -Force
    $script:Admin = @{ userName = 'COMPANY\Administrator'; password = 'P@ssw0rd!' }
    function Get-Fresh { param($State, [string]$Which = 'effective') $State.delegation.fresh.$Which }
}

Describe 'Protocol and payload validation' {
    BeforeAll { $null = New-TestLab }

    It 'answers <Case> with one CREDHOP line of kind <Kind>' -TestCases @(
        @{ Case = 'an unknown primitive'; Prim = 'FormatDisk'; Raw = (ConvertTo-B64 @{}); Kind = 'unknown-primitive' }
        @{ Case = 'a primitive name in the wrong case'; Prim = 'gethoststate'; Raw = (ConvertTo-B64 @{}); Kind = 'unknown-primitive' }
        @{ Case = 'an empty payload'; Prim = 'GetHostState'; Raw = ''; Kind = 'invalid-payload' }
        @{ Case = 'a payload that is not base64'; Prim = 'GetHostState'; Raw = '{"a":1}'; Kind = 'invalid-payload' }
        @{ Case = 'base64 of something that is not JSON'; Prim = 'GetHostState'; Raw = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('hello')); Kind = 'invalid-payload' }
        @{ Case = 'a JSON array'; Prim = 'GetHostState'; Raw = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('[1,2]')); Kind = 'invalid-payload' }
        @{ Case = 'an unknown field'; Prim = 'GetHostState'; Raw = (ConvertTo-B64 @{ extra = 1 }); Kind = 'invalid-payload' }
        @{ Case = 'a wrong type'; Prim = 'AddDelegation'; Raw = (ConvertTo-B64 @{ list = 5; spn = 'wsman/adfs1' }); Kind = 'invalid-payload' }
        @{ Case = 'a missing field'; Prim = 'SetWinRMFlag'; Raw = (ConvertTo-B64 @{ role = 'client' }); Kind = 'invalid-payload' }
        @{ Case = 'a value not allowed'; Prim = 'SetWinRMFlag'; Raw = (ConvertTo-B64 @{ role = 'both'; enabled = $true }); Kind = 'invalid-payload' }
        @{ Case = 'a DWORD out of range'; Prim = 'SetDelegationFlags'; Raw = (ConvertTo-B64 @{ list = 'fresh'; allow = -1; concatenate = $null }); Kind = 'invalid-payload' }
        @{ Case = 'a too long payload'; Prim = 'GetHostState'; Raw = ('A' * 70000); Kind = 'invalid-payload' }
        @{ Case = 'a password inside the payload (it belongs on the secret channel)'; Prim = 'InvokeRemote'; Raw = (ConvertTo-B64 @{ computerName = 'adfs1'; authentication = 'Negotiate'; credential = @{ userName = 'COMPANY\Administrator'; password = 'x' }; script = 'Whoami'; arguments = @{} }); Kind = 'invalid-payload' }
        @{ Case = 'a secret index with no channel'; Prim = 'InvokeRemote'; Raw = (ConvertTo-B64 @{ computerName = 'adfs1'; authentication = 'Negotiate'; credential = @{ userName = 'COMPANY\Administrator'; secret = 0 }; script = 'Whoami'; arguments = @{} }); Kind = 'invalid-payload' }
        @{ Case = 'CredSSP without a credential'; Prim = 'InvokeRemote'; Raw = (ConvertTo-B64 @{ computerName = 'adfs1'; authentication = 'CredSSP'; credential = $null; script = 'Whoami'; arguments = @{} }); Kind = 'invalid-payload' }
        @{ Case = 'a script outside the catalog'; Prim = 'InvokeRemote'; Raw = (ConvertTo-B64 @{ computerName = 'adfs1'; authentication = 'Default'; script = 'Remove-Item C:\'; arguments = @{} }); Kind = 'invalid-payload' }
        @{ Case = 'a wildcard SPN with two wildcards'; Prim = 'AddDelegation'; Raw = (ConvertTo-B64 @{ list = 'fresh'; spn = 'wsman/*.*.company.pri' }); Kind = 'invalid-payload' }
    ) {
        $r = Read-CredHopLine (Invoke-CredHop -Primitive $Prim -Payload $Raw)
        $r.ok | Should -BeFalse
        $r.error.kind | Should -Be $Kind
        $r.error.message | Should -Not -BeNullOrEmpty
        @($r.error.PSObject.Properties.Name) | Should -Be @('kind', 'message', 'fullyQualifiedErrorId', 'errorCode', 'exceptionType', 'category')
    }

    It 'defines no function with the name of an operating-system command' {
        $own = & (Get-Module CredHop) { @(Get-Command -Module CredHop -All | ForEach-Object Name) + @((Get-ChildItem function:) | Where-Object { $_.ModuleName -eq 'CredHop' } | ForEach-Object Name) }
        $osNames = @((Get-Module CredHopLab).ExportedFunctions.Keys)
        @($own | Where-Object { $osNames -contains $_ }) | Should -BeNullOrEmpty
        @((Get-Module CredHop).ExportedFunctions.Keys) | Should -Be @('Invoke-CredHop')
    }
}

Describe 'GetHostState and GetCredSSPView' {
    BeforeAll { $null = New-TestLab }

    It 'reads the default lab''s client' {
        $r = Invoke-Prim GetHostState
        $r.ok | Should -BeTrue
        $d = $r.data
        $d.computerName | Should -Be 'dc1'
        $d.userName | Should -Be 'company\administrator'
        $d.isElevated | Should -BeTrue
        $d.psVersion | Should -Be $PSVersionTable.PSVersion.ToString()
        $d.psEdition | Should -Be $(if ($env:CREDHOP_TEST_CLIENT_EDITION -eq '5.1') { 'Desktop' } else { 'Core' })   # (the client's edition, TestHelpers.ps1)
        $d.winrm.clientCredSSP | Should -BeFalse
        $d.winrm.serviceCredSSP | Should -BeFalse
        $d.winrm.clientPolicyAllowCredSSP | Should -BeNullOrEmpty
        $d.encryptionOracle | Should -BeNullOrEmpty
        foreach ($l in 'fresh', 'freshNtlm') {
            foreach ($w in 'effective', 'local') {
                $v = $d.delegation.$l.$w
                @($v.PSObject.Properties.Name) | Should -Be @('keyExists', 'allow', 'concatenate', 'listKeyExists', 'entries')
                $v.keyExists | Should -BeFalse
                $v.entries.GetType().IsArray | Should -BeTrue
            }
        }
    }

    It 'sees elevation, policy values and the CVE-2018-0886 value' {
        $lab = Get-DefaultLab
        $lab.hosts[0].elevated = $false
        $lab.hosts[0].encryptionOracle = 2
        $lab.hosts[0].domainPolicy = @{ winrmClientAllowCredSSP = 1 }
        $null = New-TestLab -Lab $lab
        $d = (Invoke-Prim GetHostState).data
        $d.isElevated | Should -BeFalse
        $d.encryptionOracle | Should -Be 2
        $d.winrm.clientPolicyAllowCredSSP | Should -Be 1
        $d.winrm.clientCredSSP | Should -BeTrue
        $null = New-TestLab
    }

    It 'returns the familiar Get-WSManCredSSP lines for display' {
        $r = Invoke-Prim GetCredSSPView
        @($r.data.lines) | Should -Be @('The machine is not configured to allow delegating fresh credentials.', 'This computer is not configured to receive credentials from a remote client computer.')
    }

    It 'reports a failure of Get-WSManCredSSP (not elevated) as a failed result with the cmdlet''s id' {
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ elevated = $false } }
        $r = Invoke-Prim GetCredSSPView
        $r.ok | Should -BeFalse
        $r.error.kind | Should -Be 'failed'
        $r.error.fullyQualifiedErrorId | Should -BeLike 'System.InvalidOperationException,Microsoft.WSMan.Management.GetWSManCredSSPCommand*'
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ elevated = $true } }
    }

    It 'takes an empty RSoP (logging off: no instance, no error) for "unknown", never for "no domain GPO"' {
        $lab = Get-DefaultLab
        $lab.hosts[0].rsopLogging = $false
        $null = New-TestLab -Lab $lab
        @(Get-CimInstance -Namespace root\rsop\computer -ClassName RSOP_RegistryPolicySetting -ErrorAction Stop) | Should -HaveCount 0
        $owners = (Invoke-Prim GetHostState).data.policyOwners
        $owners.rsopAvailable | Should -BeFalse
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ rsopLogging = $true } }
        $null = Invoke-Lab Invoke-CredHopLabGpUpdate @{ host = 'dc1' }
        (Invoke-Prim GetHostState).data.policyOwners.rsopAvailable | Should -BeTrue
    }
}

Describe 'GetCheckState: what the check reads of this computer, in one call' {
    BeforeAll { $null = New-TestLab }

    It 'answers the state, the Get-WSManCredSSP view and the scheduled restores together' {
        $r = Invoke-Prim GetCheckState
        $r.ok | Should -BeTrue
        $r.data.state.computerName | Should -Be 'dc1'
        ($r.data.state | ConvertTo-Json -Depth 10 -Compress) | Should -Be ((Invoke-Prim GetHostState).data | ConvertTo-Json -Depth 10 -Compress)
        @($r.data.credSSPView) | Should -Be @((Invoke-Prim GetCredSSPView).data.lines)
        $r.data.restoreTasks.computerName | Should -Be 'dc1'
        @($r.data.restoreTasks.tasks).Count | Should -Be 0
    }

    It 'still answers the state when the view cannot be read (not elevated): the view is null' {
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ elevated = $false } }
        try {
            $r = Invoke-Prim GetCheckState
            $r.ok | Should -BeTrue
            $r.data.state.isElevated | Should -BeFalse
            $r.data.credSSPView | Should -BeNullOrEmpty
        }
        finally { $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ elevated = $true } } }
    }
}

Describe 'Batch: several of this computer''s effects in one call' {
    BeforeEach { $null = New-TestLab }

    It 'runs the steps in order and answers the state read back after them' {
        $r = Invoke-Prim Batch @{ readBack = $true; steps = @(
                @{ primitive = 'AddDelegation'; payload = @{ list = 'fresh'; spn = 'wsman/adfs1.company.pri' } }
                @{ primitive = 'SetWinRMFlag'; payload = @{ role = 'client'; enabled = $true } }
            ) }
        $r.ok | Should -BeTrue
        $r.data.done | Should -Be 2
        $r.data.error | Should -BeNullOrEmpty
        $r.data.results[0].added | Should -BeTrue
        $r.data.after.winrm.clientCredSSP | Should -BeTrue
        @($r.data.after.delegation.fresh.local.entries | ForEach-Object value) | Should -Be @('wsman/adfs1.company.pri')
        # the machine, read on its own, agrees
        (Invoke-Prim GetHostState).data.winrm.clientCredSSP | Should -BeTrue
    }

    It 'stops at the first step that fails: what ran stays, what follows never runs, the error is the step''s own' {
        $r = Invoke-Prim Batch @{ readBack = $true; steps = @(
                @{ primitive = 'SetWinRMFlag'; payload = @{ role = 'client'; enabled = $true } }
                @{ primitive = 'SetTrustedHosts'; payload = @{ value = 'x'; expect = 'not what is there' } }
                @{ primitive = 'AddDelegation'; payload = @{ list = 'fresh'; spn = 'wsman/adfs1.company.pri' } }
            ) }
        $r.ok | Should -BeTrue
        $r.data.done | Should -Be 1
        $r.data.error.message | Should -Not -BeNullOrEmpty
        $r.data.error.kind | Should -Not -Be 'invalid-payload'
        $r.data.after.winrm.clientCredSSP | Should -BeTrue
        @($r.data.after.delegation.fresh.local.entries).Count | Should -Be 0
    }

    It 'refuses, before running anything, a step that is not one of this computer''s effects (<Prim>)' -TestCases @(
        @{ Prim = 'InvokeRemote' }, @{ Prim = 'Batch' }, @{ Prim = 'ArmRestoreTask' }, @{ Prim = 'Scan' }
    ) {
        $r = Invoke-Prim Batch @{ steps = @(
                @{ primitive = 'SetWinRMFlag'; payload = @{ role = 'client'; enabled = $true } }
                @{ primitive = $Prim; payload = @{} }
            ) }
        $r.ok | Should -BeFalse
        $r.error.kind | Should -Be 'invalid-payload'
        $r.error.message | Should -BeLike '*payload.steps`[1`]*'
        (Invoke-Prim GetHostState).data.winrm.clientCredSSP | Should -BeFalse
    }
}

Describe 'AddDelegation / RemoveDelegation / SetDelegationFlags' {
    Context 'a policy with a gap and a duplicate' {
        BeforeAll {
            $lab = Get-DefaultLab
            $lab.hosts[0].localPolicy = @{
                fresh     = @{ allow = 1; concatenate = 1; entries = [ordered]@{ '1' = 'TERMSRV/*'; '3' = 'wsman/old.company.pri'; '4' = 'wsman/old.company.pri' } }
                freshNtlm = @{ allow = 1; concatenate = 0; entries = [ordered]@{ '1' = 'wsman/ntlm.company.pri' } }
            }
            $null = New-TestLab -Lab $lab
            $script:PolPath = [IO.Path]::Combine($env:SystemRoot, 'System32', 'GroupPolicy', 'Machine', 'Registry.pol')
        }

        It 'reads both stores with value names, the gap and the duplicate kept' {
            $d = (Invoke-Prim GetHostState).data
            foreach ($w in 'effective', 'local') {
                $v = Get-Fresh $d $w
                $v.keyExists | Should -BeTrue
                $v.allow | Should -Be 1
                $v.listKeyExists | Should -BeTrue
                @($v.entries.name) | Should -Be @('1', '3', '4')
                @($v.entries.value) | Should -Be @('TERMSRV/*', 'wsman/old.company.pri', 'wsman/old.company.pri')
            }
            $d.delegation.freshNtlm.local.concatenate | Should -Be 0
        }

        It 'adds at the lowest free name in both stores, keeping every other record byte for byte' {
            $before = [IO.File]::ReadAllBytes($script:PolPath)
            $gptBefore = (Get-LabHostView dc1).gptIni
            $r = Invoke-Prim AddDelegation @{ list = 'fresh'; spn = 'wsman/adfs1.company.pri' }
            $r.data.added | Should -BeTrue
            $r.data.valueName | Should -Be '2'
            $after = [IO.File]::ReadAllBytes($script:PolPath)
            $after.Length | Should -BeGreaterThan $before.Length
            [Convert]::ToBase64String($after, 0, $before.Length) | Should -Be ([Convert]::ToBase64String($before))
            $d = (Invoke-Prim GetHostState).data
            foreach ($w in 'effective', 'local') {
                @((Get-Fresh $d $w).entries.name) | Should -Be @('1', '2', '3', '4')
                @((Get-Fresh $d $w).entries.value) | Should -Be @('TERMSRV/*', 'wsman/adfs1.company.pri', 'wsman/old.company.pri', 'wsman/old.company.pri')
            }
            @($d.delegation.freshNtlm.effective.entries.value) | Should -Be @('wsman/ntlm.company.pri')
            $gpt = (Get-LabHostView dc1).gptIni
            [int]([regex]::Match($gpt, 'Version=(\d+)').Groups[1].Value) | Should -Be ([int]([regex]::Match($gptBefore, 'Version=(\d+)').Groups[1].Value) + 1)
            $gpt | Should -Match '\{35378EAC-683F-11D2-A89A-00C04FBBCFA2\}'
        }

        It 'does not add what the local policy already lists (case-insensitive)' {
            (Invoke-Prim AddDelegation @{ list = 'fresh'; spn = 'WSMAN/ADFS1.company.pri' }).data | Should -BeLike '*added=False; valueName=2*'
            (Invoke-Prim AddDelegation @{ list = 'fresh'; spn = 'wsman/old.company.pri' }).data.valueName | Should -Be '3'
        }

        It 'keeps the entry through a Group Policy refresh' {
            (Invoke-Prim RefreshPolicy).data.exitCode | Should -Be 0
            @((Get-Fresh (Invoke-Prim GetHostState).data).entries.value) | Should -Contain 'wsman/adfs1.company.pri'
        }

        It 'removes exactly the pairs it is told, never renumbering or touching others' {
            $r = Invoke-Prim RemoveDelegation @{ list = 'fresh'; entries = @(@{ name = '2'; value = 'wsman/adfs1.company.pri' }, @{ name = '4'; value = 'wsman/somethingelse' }, @{ name = '9'; value = 'wsman/x' }) }
            @($r.data.removed.name) | Should -Be @('2')
            $r.data.removed[0].local | Should -BeTrue
            $r.data.removed[0].effective | Should -BeTrue
            @($r.data.missing.name) | Should -Be @('4', '9')
            $null = Invoke-Prim RefreshPolicy
            $d = (Invoke-Prim GetHostState).data
            foreach ($w in 'effective', 'local') {
                @((Get-Fresh $d $w).entries.name) | Should -Be @('1', '3', '4')
                @((Get-Fresh $d $w).entries.value) | Should -Be @('TERMSRV/*', 'wsman/old.company.pri', 'wsman/old.company.pri')
            }
        }

        It 'adds to the NTLM-only list independently' {
            $r = Invoke-Prim AddDelegation @{ list = 'freshNtlm'; spn = 'wsman/192.168.3.11' }
            $r.data.valueName | Should -Be '2'
            $d = (Invoke-Prim GetHostState).data
            @($d.delegation.freshNtlm.local.entries.value) | Should -Be @('wsman/ntlm.company.pri', 'wsman/192.168.3.11')
            $d.delegation.freshNtlm.local.concatenate | Should -Be 1
            @((Get-Fresh $d).entries.name) | Should -Be @('1', '3', '4')
        }
    }

    Context 'restore to "the key did not exist"' {
        BeforeAll { $null = New-TestLab }

        It 'removes the entry, the DWORDs, the subkey and the key in both stores, and a refresh keeps them absent' {
            (Invoke-Prim AddDelegation @{ list = 'fresh'; spn = 'wsman/adfs1.company.pri' }).data.valueName | Should -Be '1'
            $null = Invoke-Prim RemoveDelegation @{ list = 'fresh'; entries = @(@{ name = '1'; value = 'wsman/adfs1.company.pri' }) }
            $r = Invoke-Prim SetDelegationFlags @{ list = 'fresh'; allow = $null; concatenate = $null; removeEmptyListKey = $true; removeEmptyKey = $true }
            $r.ok | Should -BeTrue
            foreach ($w in 'effective', 'local') {
                $r.data.$w.keyExists | Should -BeFalse
                $r.data.$w.allow | Should -BeNullOrEmpty
                $r.data.$w.listKeyExists | Should -BeFalse
            }
            Test-RegKey dc1 $script:CDKey | Should -BeFalse
            @(Get-PolRecords dc1).Count | Should -Be 0
            $null = Invoke-Prim RefreshPolicy
            Test-RegKey dc1 $script:CDKey | Should -BeFalse
        }

        It 'sets DWORDs to given values in both stores without touching the list' {
            $r = Invoke-Prim SetDelegationFlags @{ list = 'freshNtlm'; allow = 0; concatenate = 1; removeEmptyListKey = $false; removeEmptyKey = $false }
            $r.data.effective.allow | Should -Be 0
            $r.data.local.allow | Should -Be 0
            $r.data.local.concatenate | Should -Be 1
            $r.data.effective.listKeyExists | Should -BeFalse
            $null = Invoke-Prim SetDelegationFlags @{ list = 'freshNtlm'; allow = $null; concatenate = $null; removeEmptyListKey = $true; removeEmptyKey = $true }
            Test-RegKey dc1 $script:CDKey | Should -BeFalse
        }
    }
}

Describe 'SetWinRMFlag and RefreshPolicy' {
    It 'sets the client and service flags and reads them back' {
        $null = New-TestLab
        $r = Invoke-Prim SetWinRMFlag @{ role = 'client'; enabled = $true }
        $r.data.before | Should -BeFalse
        $r.data.after | Should -BeTrue
        (Invoke-Prim SetWinRMFlag @{ role = 'service'; enabled = $true }).data.after | Should -BeTrue
        (Invoke-Prim SetWinRMFlag @{ role = 'client'; enabled = $false }).data.after | Should -BeFalse
        (Get-LabHostView dc1).serviceCredSSP | Should -BeTrue
    }

    It 'reports W1 as a failure when a policy controls the flag' {
        $lab = Get-DefaultLab
        $lab.hosts[0].domainPolicy = @{ winrmClientAllowCredSSP = 0 }
        $null = New-TestLab -Lab $lab
        $r = Invoke-Prim SetWinRMFlag @{ role = 'client'; enabled = $true }
        $r.ok | Should -BeFalse
        $r.error.kind | Should -Be 'failed'
        $r.error.message | Should -BeLike 'The config setting CredSSP cannot be changed because is controlled by policies.*'
    }

    It 'a Trusted Hosts policy set to Disabled (TrustedHosts = 0) does not own the list: the local one is read and set' {
        $lab = Get-DefaultLab
        $lab.hosts[0].domainPolicy = @{ winrmClientTrustedHostsDisabled = $true }
        $lab.hosts[0].winrm = $true
        $null = New-TestLab -Lab $lab
        (Get-ItemProperty -Path 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WinRM\Client').TrustedHosts | Should -Be 0
        (Invoke-Prim GetHostState).data.trustedHosts.policyOwned | Should -BeFalse
        $r = Invoke-Prim SetTrustedHosts @{ add = 'adfs1.company.pri' }
        $r.ok | Should -BeTrue
        (Get-LabHostView dc1).trustedHosts | Should -BeExactly 'adfs1.company.pri'
    }

    It 'refuses to change a flag while WinRM is stopped: Set-Item -Force would start the service unplanned, behind the snapshot''s back' {
        # Windows' WSMan: drive starts a stopped WinRM itself under -Force (ConfigProvider.cs StartWSManService)
        $null = New-TestLab
        Stop-Service WinRM
        $r = Invoke-Prim SetWinRMFlag @{ role = 'client'; enabled = $true }
        $r.ok | Should -BeFalse
        $r.error.message | Should -BeLike 'The WinRM service is not running on this computer, so CredSSP in its WinRM client cannot be changed*Run the check again*'
        (Get-Service WinRM).Status | Should -Be 'Stopped'
        (Get-LabHostView dc1).clientCredSSP | Should -BeFalse
    }

    It 'reads this computer''s state without starting a stopped WinRM (its snapshot records the service as it found it)' {
        $null = New-TestLab
        Stop-Service WinRM
        $s = (Invoke-Prim GetHostState).data
        $s.winrmService.status | Should -Be 'Stopped'
        $null = Invoke-Prim GetCheckState
        (Get-Service WinRM).Status | Should -Be 'Stopped'
    }

    It 'RefreshPolicy runs gpupdate and re-applies the local GPO' {
        $null = New-TestLab
        $null = Invoke-Prim AddDelegation @{ list = 'fresh'; spn = 'wsman/adfs1.company.pri' }
        Remove-ItemProperty -Path "$script:CD\AllowFreshCredentials" -Name '1'
        (Invoke-Prim RefreshPolicy).data.exitCode | Should -Be 0
        @((Get-Fresh (Invoke-Prim GetHostState).data).entries.value) | Should -Be @('wsman/adfs1.company.pri')
    }
}

Describe 'InvokeRemote' {
    BeforeAll {
        $null = New-TestLab
        function Remote($Auth, $Script, $Arguments = @{}, $Computer = 'adfs1.company.pri', $Cred = $script:Admin) {
            $p = @{ computerName = $Computer; authentication = $Auth; credential = $Cred; script = $Script; arguments = $Arguments }
            if ($Auth -ne 'CredSSP' -and $null -eq $Cred) { $p.credential = $null }
            $r = Invoke-Prim InvokeRemote $p
            $r.ok | Should -BeTrue
            $r.data
        }
    }

    It 'ReadServerState and Whoami over the default authentication' {
        $d = Remote 'Default' 'ReadServerState' @{} 'adfs1.company.pri' $null
        @($d.errors).Count | Should -Be 0
        $d.output[0].computerName | Should -Be 'adfs1'
        $d.output[0].userName | Should -Be 'company\administrator'
        $d.output[0].serviceCredSSP | Should -BeFalse
        $d.output[0].servicePolicyAllowCredSSP | Should -BeNullOrEmpty
        $d.output[0].trustedHosts | Should -Be ''   # the jump server's own list (empty in the article's lab)
        @($d.output[0].PSObject.Properties.Name) | Should -Be @('computerName', 'userName', 'serviceCredSSP', 'servicePolicyAllowCredSSP', 'trustedHosts', 'languageMode', 'executionPolicy')
        $d.output[0].languageMode | Should -Be 'FullLanguage'
        $d.output[0].executionPolicy | Should -Be 'Undefined'
        (Remote 'Kerberos' 'Whoami' @{} 'adfs1' $null).output[0].computerName | Should -Be 'adfs1'
    }

    It 'returns connection failures as errors: <Row>' -TestCases @(
        @{ Row = 'E5'; Code = -2144108126; Id = '-2144108126,PSSessionStateBroken'; Setup = {} }
        @{ Row = 'E2'; Code = -2144108125; Id = '-2144108125,PSSessionStateBroken'; Setup = { $null = Invoke-Prim SetWinRMFlag @{ role = 'client'; enabled = $true } } }
        @{ Row = 'E4'; Code = 5; Id = 'AccessDenied,PSSessionStateBroken'; Setup = { $null = Invoke-Prim AddDelegation @{ list = 'fresh'; spn = 'wsman/adfs1.company.pri' } } }
    ) {
        & $Setup
        $d = Remote 'CredSSP' 'Whoami'
        @($d.output).Count | Should -Be 0
        $e = $d.errors[0]
        $e.errorCode | Should -Be $Code
        $e.fullyQualifiedErrorId | Should -Be $Id
        $e.exceptionType | Should -Be 'System.Management.Automation.Remoting.PSRemotingTransportException'
        $e.category | Should -Be 'OpenError'
        $e.targetObject | Should -Be 'adfs1.company.pri'
        $e.origin | Should -Be 'local'
        @($e.PSObject.Properties.Name) | Should -Be @('message', 'fullyQualifiedErrorId', 'errorCode', 'exceptionType', 'category', 'targetObject', 'origin')
    }

    It 'SetServiceFlag turns the jump server''s service flag on, then the CredSSP hop works end to end' {
        $d = Remote 'Default' 'SetServiceFlag' @{ enabled = $true } 'adfs1.company.pri' $null
        $d.output[0].before | Should -BeFalse
        $d.output[0].after | Should -BeTrue
        $p = Remote 'CredSSP' 'Probe' @{ target = 'mem2' }
        @($p.errors).Count | Should -Be 0
        $p.output[0].computerName | Should -Be 'mem2'
        $p.output[0].userName | Should -Be 'company\administrator'
        (Remote 'CredSSP' 'Probe' @{ target = 'mem2.company.pri'; command = 'hostname' }).output | Should -Be @('mem2')
    }

    It 'E1 from the jump server comes back as a remote error with code 1312' {
        $d = Remote 'Default' 'Probe' @{ target = 'mem2' } 'adfs1.company.pri' $null
        @($d.output).Count | Should -Be 0
        $e = $d.errors[0]
        $e.errorCode | Should -Be 1312
        $e.fullyQualifiedErrorId | Should -Be '1312,PSSessionStateBroken'
        $e.origin | Should -Be 'remote'
        $e.exceptionType | Should -Be 'System.Management.Automation.Remoting.PSRemotingTransportException'
        $e.message | Should -BeLike '*errorcode 0x8009030e*A specified logon session does not exist*'
    }

    It 'ProbeExplicit works without any CredSSP (explicit credential on the inner call)' {
        $null = New-TestLab
        $d = Remote 'Default' 'ProbeExplicit' @{ target = 'mem2'; targetCredential = $script:Admin } 'adfs1' $null
        @($d.errors).Count | Should -Be 0
        $d.output[0].computerName | Should -Be 'mem2'
    }

    It 'a probe command that fails on the target returns its error as remote' {
        $d = Remote 'Default' 'ProbeExplicit' @{ target = 'mem2'; targetCredential = $script:Admin; command = 'throw "boom"' } 'adfs1' $null
        $d.errors[0].message | Should -Be 'boom'
        $d.errors[0].origin | Should -Be 'remote'
    }

    It 'an unresolvable name is an error in the data, not a failure' {
        $d = Remote 'Default' 'Whoami' @{} 'nosuch.company.pri' $null
        $d.errors[0].fullyQualifiedErrorId | Should -Be 'ComputerNotFound,PSSessionStateBroken'
        $d.errors[0].errorCode | Should -Be -2144108103
    }

    It 'keeps one management session per jump server and account, and CloseSessions ends them all' {
        $null = Invoke-Prim CloseSessions
        $p = @{ computerName = 'adfs1.company.pri'; authentication = 'Default'; credential = $null; script = 'ReadServerState'; arguments = @{}; reuseSession = $true }
        (Invoke-Prim InvokeRemote $p).data.output[0].computerName | Should -Be 'adfs1'
        (Invoke-Prim InvokeRemote $p).data.output[0].computerName | Should -Be 'adfs1'
        (Get-LabView).openSessions.adfs1 | Should -Be 1
        $c = Invoke-Prim CloseSessions
        $c.ok | Should -BeTrue
        $c.data.closed | Should -Be 1
        @((Get-LabView).openSessions.PSObject.Properties).Count | Should -Be 0
        (Invoke-Prim CloseSessions).data.closed | Should -Be 0
        # the next call opens a new one
        (Invoke-Prim InvokeRemote $p).data.output[0].computerName | Should -Be 'adfs1'
        (Get-LabView).openSessions.adfs1 | Should -Be 1
        $null = Invoke-Prim CloseSessions
    }
}

Describe 'Snapshot, configure, test, restore' {
    It 'puts both machines back exactly, also after a Group Policy refresh' {
        $lab = Get-DefaultLab
        $lab.hosts[0].localPolicy = @{ fresh = @{ allow = 1; concatenate = 1; entries = [ordered]@{ '1' = 'TERMSRV/*' } } }
        $null = New-TestLab -Lab $lab
        $snapClient = (Invoke-Prim GetHostState).data
        $snapServer = (Invoke-Prim InvokeRemote @{ computerName = 'adfs1.company.pri'; authentication = 'Default'; credential = $null; script = 'ReadServerState'; arguments = @{} }).data.output[0]
        $add = (Invoke-Prim AddDelegation @{ list = 'fresh'; spn = 'wsman/adfs1.company.pri' }).data
        $null = Invoke-Prim SetWinRMFlag @{ role = 'client'; enabled = $true }
        $null = Invoke-Prim InvokeRemote @{ computerName = 'adfs1.company.pri'; authentication = 'Default'; credential = $null; script = 'SetServiceFlag'; arguments = @{ enabled = $true } }
        $probe = (Invoke-Prim InvokeRemote @{ computerName = 'adfs1.company.pri'; authentication = 'CredSSP'; credential = $script:Admin; script = 'Probe'; arguments = @{ target = 'mem2' } }).data
        $probe.output[0].computerName | Should -Be 'mem2'
        # restore
        $null = Invoke-Prim RemoveDelegation @{ list = 'fresh'; entries = @(@{ name = $add.valueName; value = 'wsman/adfs1.company.pri' }) }
        $f = $snapClient.delegation.fresh.local
        $null = Invoke-Prim SetDelegationFlags @{ list = 'fresh'; allow = $f.allow; concatenate = $f.concatenate; removeEmptyListKey = (-not $f.listKeyExists); removeEmptyKey = (-not $f.keyExists) }
        $null = Invoke-Prim SetWinRMFlag @{ role = 'client'; enabled = $snapClient.winrm.clientCredSSP }
        $null = Invoke-Prim InvokeRemote @{ computerName = 'adfs1.company.pri'; authentication = 'Default'; credential = $null; script = 'SetServiceFlag'; arguments = @{ enabled = $snapServer.serviceCredSSP } }
        $null = Invoke-Prim RefreshPolicy
        $now = (Invoke-Prim GetHostState).data
        ($now.delegation | ConvertTo-Json -Depth 10 -Compress) | Should -Be ($snapClient.delegation | ConvertTo-Json -Depth 10 -Compress)
        ($now.winrm | ConvertTo-Json -Compress) | Should -Be ($snapClient.winrm | ConvertTo-Json -Compress)
        (Invoke-Prim InvokeRemote @{ computerName = 'adfs1.company.pri'; authentication = 'Default'; credential = $null; script = 'ReadServerState'; arguments = @{} }).data.output[0].serviceCredSSP | Should -BeFalse
    }
}

Describe 'Hostile payloads' {
    BeforeAll {
        $lab = Get-DefaultLab
        $script:CanaryPw = 'Canary-Pw-' + [guid]::NewGuid().ToString('N').Substring(0, 10)
        $lab.accounts = @(@{ name = 'COMPANY\Administrator'; password = $script:CanaryPw })
        $script:HostileLab = New-TestLab -Lab $lab
        $script:CanaryFile = [IO.Path]::Combine([IO.Path]::GetTempPath(), 'credhop-canary-' + [guid]::NewGuid().ToString('N'))
        $cf = $script:CanaryFile
        $bases = @(
            "`$(New-Item -ItemType File -Path '$cf')", "`$(Set-Content -Path '$cf' -Value x)", "; New-Item -ItemType File -Path '$cf'",
            "| New-Item -ItemType File -Path '$cf'", "& { New-Item -ItemType File -Path '$cf' }", "`nNew-Item -ItemType File -Path '$cf'",
            "`r`nSet-Content '$cf' x", "@(New-Item -ItemType File -Path '$cf')", "`${function:New-Item}", "{New-Item -ItemType File -Path '$cf'}.Invoke()",
            "`$([IO.File]::WriteAllText('$cf','x'))", "`$(touch $cf)", "``; touch $cf", "-Command New-Item $cf", "--% & touch $cf",
            "`$null", "`$env:PATH", "%SystemRoot%", "..\..\..\Windows\System32", "../../../etc/passwd"
        )
        $wraps = @('{0}', "'{0}'", '"{0}"', 'adfs1{0}', 'wsman/adfs1{0}', "'; {0}; '", '"; {0}; "', "‘{0}’", '“{0}”', '`{0}`', 'x{0}y')
        $list = [System.Collections.Generic.List[string]]::new()
        foreach ($b in $bases) { foreach ($w in $wraps) { $list.Add(($w -f $b)) } }
        foreach ($s in @("a`0b", "adfs1`0", "wsman/adfs1.company.pri`n", "adfs1 ", ' adfs1', 'adfs1;rm', '*', '?', '[a]', 'wsman/*.*', 'wsman/', 'wsman//', 'WSMAN/adfs1/x',
                "adfs1`t", 'ädfs1', 'adfs1.cömpany.pri', '漢字', '😀', "‮adfs1", ('a' * 64), ('a' * 300), ('x' * 5000), ('a.' * 130), '-adfs1', 'adfs1-', '1.2.3.4.5', '999.1.1.1',
                'COMPANY\\Administrator', 'COMPANY/Administrator', "COMPANY\Administrator'", 'Administrator@', '@company.pri', 'a b c', '', ' ', "`r", "`n", 'true', 'null', '0', 'fresh ', 'Fresh', 'CLIENT', 'credssp', 'Probe;', 'ReadServerState ')) { $list.Add($s) }
        $script:Hostile = $list.ToArray()
        $script:Lines = [System.Collections.Generic.List[string]]::new()
        function Send([string]$Prim, $Payload) {
            $raw = @(Invoke-CredHopRaw $Prim $Payload)
            foreach ($l in $raw) { $script:Lines.Add([string]$l) }
            Read-CredHopLine $raw
        }
    }

    It 'has at least 200 hostile strings' { $script:Hostile.Count | Should -BeGreaterOrEqual 200 }

    It 'rejects or treats as data every hostile string in <Field>' -TestCases @(
        @{ Field = 'AddDelegation.spn'; Prim = 'AddDelegation'; Make = { param($s) @{ list = 'fresh'; spn = $s } } }
        @{ Field = 'AddDelegation.list'; Prim = 'AddDelegation'; Make = { param($s) @{ list = $s; spn = 'wsman/adfs1' } } }
        @{ Field = 'RemoveDelegation.list'; Prim = 'RemoveDelegation'; Make = { param($s) @{ list = $s; entries = @() } } }
        @{ Field = 'RemoveDelegation.entries.name'; Prim = 'RemoveDelegation'; Make = { param($s) @{ list = 'fresh'; entries = @(@{ name = $s; value = 'wsman/x' }) } } }
        @{ Field = 'RemoveDelegation.entries.value'; Prim = 'RemoveDelegation'; Make = { param($s) @{ list = 'fresh'; entries = @(@{ name = '1'; value = $s }) } } }
        @{ Field = 'SetDelegationFlags.list'; Prim = 'SetDelegationFlags'; Make = { param($s) @{ list = $s; allow = $null; concatenate = $null } } }
        @{ Field = 'SetWinRMFlag.role'; Prim = 'SetWinRMFlag'; Make = { param($s) @{ role = $s; enabled = $false } } }
        @{ Field = 'InvokeRemote.computerName'; Prim = 'InvokeRemote'; Make = { param($s) @{ computerName = $s; authentication = 'Default'; script = 'Whoami'; arguments = @{} } } }
        @{ Field = 'InvokeRemote.authentication'; Prim = 'InvokeRemote'; Make = { param($s) @{ computerName = 'nohost.company.pri'; authentication = $s; script = 'Whoami'; arguments = @{} } } }
        @{ Field = 'InvokeRemote.script'; Prim = 'InvokeRemote'; Make = { param($s) @{ computerName = 'nohost.company.pri'; authentication = 'Default'; script = $s; arguments = @{} } } }
        @{ Field = 'InvokeRemote.credential.userName'; Prim = 'InvokeRemote'; Make = { param($s) @{ computerName = 'nohost.company.pri'; authentication = 'Negotiate'; credential = @{ userName = $s; password = 'x' }; script = 'Whoami'; arguments = @{} } } }
        @{ Field = 'InvokeRemote.credential.password'; Prim = 'InvokeRemote'; Make = { param($s) @{ computerName = 'nohost.company.pri'; authentication = 'Negotiate'; credential = @{ userName = 'COMPANY\Administrator'; password = $s }; script = 'Whoami'; arguments = @{} } } }
        @{ Field = 'InvokeRemote.arguments.target'; Prim = 'InvokeRemote'; Make = { param($s) @{ computerName = 'nohost.company.pri'; authentication = 'Default'; script = 'Probe'; arguments = @{ target = $s } } } }
        @{ Field = 'InvokeRemote.arguments.targetCredential.userName'; Prim = 'InvokeRemote'; Make = { param($s) @{ computerName = 'nohost.company.pri'; authentication = 'Default'; script = 'ProbeExplicit'; arguments = @{ target = 'mem2'; targetCredential = @{ userName = $s; password = 'x' } } } } }
        @{ Field = 'InvokeRemote.arguments.targetCredential.password'; Prim = 'InvokeRemote'; Make = { param($s) @{ computerName = 'nohost.company.pri'; authentication = 'Default'; script = 'ProbeExplicit'; arguments = @{ target = 'mem2'; targetCredential = @{ userName = 'COMPANY\Administrator'; password = $s } } } } }
        @{ Field = 'primitive name'; Prim = $null; Make = $null }
    ) {
        $accepted = 0; $rejected = 0
        foreach ($s in $script:Hostile) {
            if ($null -eq $Prim) { $r = Read-CredHopLine @(Invoke-CredHop -Primitive $s -Payload (ConvertTo-B64 @{})) }
            else { $r = Send $Prim (& $Make $s) }
            if ($r.ok) {
                $accepted++
                # Account names may hold ' $ ( ) and letters of any script (O'Brien, jürgen): data, never code
                # (the canary check below proves it); the other structured fields take plain values only.
                if ($Field -notlike '*password' -and $Field -notlike '*userName' -and $Field -ne 'RemoveDelegation.entries.value') {
                    # whatever a structured field accepts is plain: no quotes, no $( ), no backticks, no ; | & or control characters
                    $s | Should -Match '\A[A-Za-z0-9.\\@ _$*/-]*\z' -Because "$Field accepted it"
                    $s | Should -Not -Match '\$\(|;|`'
                }
            }
            else {
                # A password the channel refuses (over 4,096 bytes) is a secret-channel error, also never run.
                $r.error.kind | Should -BeIn @('invalid-payload', 'unknown-primitive', 'secret-channel')
                $r.error.message | Should -Not -BeNullOrEmpty
                $rejected++
            }
            [IO.File]::Exists($script:CanaryFile) | Should -BeFalse -Because "the canary must never run ($Field)"
        }
        ($accepted + $rejected) | Should -Be $script:Hostile.Count
        if ($Field -notlike '*password' -and $Field -ne 'RemoveDelegation.entries.value') { $rejected | Should -BeGreaterThan 150 }
    }

    It 'never lets the canary password out: not in any output line, not in any lab state file' {
        $ok = Send 'InvokeRemote' @{ computerName = 'adfs1.company.pri'; authentication = 'Negotiate'; credential = @{ userName = 'COMPANY\Administrator'; password = $script:CanaryPw }; script = 'Whoami'; arguments = @{} }
        $ok.data.output[0].computerName | Should -Be 'adfs1'
        $bad = Send 'InvokeRemote' @{ computerName = 'adfs1.company.pri'; authentication = 'Negotiate'; credential = @{ userName = 'COMPANY\Administrator'; password = $script:CanaryPw + 'x' }; script = 'Whoami'; arguments = @{} }
        $bad.data.errors[0].errorCode | Should -Be 1326
        $null = Send 'InvokeRemote' @{ computerName = 'adfs1.company.pri'; authentication = 'Default'; script = 'ProbeExplicit'; arguments = @{ target = 'mem2'; targetCredential = @{ userName = 'COMPANY\Administrator'; password = $script:CanaryPw }; command = 'whoami' } }
        $null = Send 'InvokeRemote' @{ computerName = 'adfs1.company.pri'; authentication = 'Default'; credential = @{ userName = 'bad user!'; password = $script:CanaryPw }; script = 'Whoami'; arguments = @{} }
        $null = Send 'InvokeRemote' @{ computerName = 'adfs1.company.pri'; authentication = 'Default'; credential = @{ userName = 'COMPANY\Administrator'; password = $script:CanaryPw; extra = 1 }; script = 'Whoami'; arguments = @{} }
        foreach ($l in $script:Lines) { $l | Should -Not -BeLike "*$($script:CanaryPw)*" }
        $u8 = [Text.Encoding]::UTF8.GetBytes($script:CanaryPw); $u16 = [Text.Encoding]::Unicode.GetBytes($script:CanaryPw)
        foreach ($f in [IO.Directory]::GetFiles($script:HostileLab, '*', 'AllDirectories')) {
            $b = [Convert]::ToBase64String([IO.File]::ReadAllBytes($f))
            $text = [IO.File]::ReadAllText($f)
            $text.Contains($script:CanaryPw) | Should -BeFalse -Because $f
            [Text.Encoding]::Unicode.GetString([IO.File]::ReadAllBytes($f)).Contains($script:CanaryPw) | Should -BeFalse -Because $f
        }
    }
}
