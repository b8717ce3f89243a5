# The lab's managed-estate parts (issue #11) behave as /work/shared/reference/windows-credssp.md says Windows does.
BeforeDiscovery { . ([System.IO.Path]::Combine($PSScriptRoot, '..', 'spec', 'Subject.ps1')) }   # the spec's subject: tests/spec/README.md
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:ManagedLab = [System.IO.Path]::Combine($script:RepoRoot, 'tests', 'lab', 'managed-workstation.json')
    $script:FreshKey = 'SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation\AllowFreshCredentials'
    function Get-Rsop { param([string]$Class = 'RSOP_RegistryPolicySetting') @(Get-CimInstance -Namespace root\rsop\computer -ClassName $Class) }
    function Get-Caught { param([scriptblock]$Block) $e = $null; try { & $Block } catch { $e = $_ }; $e }
}

Describe 'Lab layout: one file per part of Windows' -Tag 'LabOnly', 'Why: about the lab''s own files' -Skip:$SpecSkipLabOnly {
    It 'dot-sources every file under src and exports the shadowed commands' {
        $m = Get-Module CredHopLab
        $files = @(Get-ChildItem -LiteralPath ([IO.Path]::Combine($script:RepoRoot, 'tests', 'lab', 'src')) -Filter *.ps1 | ForEach-Object BaseName)
        $parts = & $m { $script:LabParts }
        @($files | Sort-Object) | Should -Be @($parts | Sort-Object)
        foreach ($c in 'Enable-WSManCredSSP', 'Get-Service', 'Start-Service', 'Set-Service', 'Get-CimInstance', 'Join-Path', 'Set-Location', 'mkdir', 'Get-ItemPropertyValue', 'Clear-Item', 'Invoke-CredHopLabFileIo', 'Add-CredHopLabFileFault') {
            (Get-Command $c).CommandType | Should -Be 'Function' -Because $c
            (Get-Command $c).Source | Should -Be 'CredHopLab' -Because $c
        }
    }
}

Describe 'Enable-/Disable-WSManCredSSP edit the local GPO; Group Policy applies it' -Tag 'LabOnly', 'Why: seeds registry values and domain GPOs from a lab file' -Skip:$SpecSkipLabOnly {
    BeforeEach {
        $lab = Get-DefaultLab
        $lab.hosts[0].registryValues = @(@{ key = $script:FreshKey; name = '7'; type = 'String'; data = 'wsman/scripted.company.pri' })
        $null = New-TestLab -Lab $lab
    }
    It 'writes the entry into Registry.pol; the registry gets it from Group Policy (recorded as applied), a script-written value stays' {
        Enable-WSManCredSSP -Role Client -DelegateComputer adfs1.company.pri -Force | Out-Null
        $pol = @(Get-PolRecords dc1 | Where-Object { $_.key -eq $script:FreshKey })
        @($pol | ForEach-Object { "$($_.name)=$($_.data)" }) | Should -Be @('1=wsman/adfs1.company.pri')   # count+1 in the GPO only
        $reg = Get-RegValues dc1 $script:FreshKey
        $reg['1'] | Should -Be 'wsman/adfs1.company.pri'
        $reg['7'] | Should -Be 'wsman/scripted.company.pri'
        @((Get-LabHostView dc1).gpApplied | Where-Object { $_.key -eq $script:FreshKey } | ForEach-Object name) | Should -Be @('1')
        (Get-LabHostView dc1).gptIni | Should -Match 'Version=\d+'
    }
    It 'Disable strips wsman* from the GPO and Group Policy removes what it applied; the script-written value stays, so Disable then fails with E9' {
        Enable-WSManCredSSP -Role Client -DelegateComputer adfs1.company.pri -Force | Out-Null
        # its check reads the effective registry, where the script-written wsman* value is left (CredSSP.cs)
        { Disable-WSManCredSSP -Role Client } | Should -Throw -ErrorId 'WsManError,Microsoft.WSMan.Management.DisableWSManCredSSPCommand' -ExpectedMessage 'This command cannot be executed because the setting cannot be disabled.'
        @(Get-PolRecords dc1 | Where-Object { $_.key -eq $script:FreshKey }).Count | Should -Be 0
        $reg = Get-RegValues dc1 $script:FreshKey
        $reg.Contains('1') | Should -BeFalse
        $reg['7'] | Should -Be 'wsman/scripted.company.pri'
    }
    It 'an entry removed only from the registry comes back at the next Group Policy refresh' {
        Enable-WSManCredSSP -Role Client -DelegateComputer adfs1.company.pri -Force | Out-Null
        Remove-ItemProperty -Path "HKLM:\$($script:FreshKey)" -Name 1
        (Get-RegValues dc1 $script:FreshKey).Contains('1') | Should -BeFalse
        $null = gpupdate /target:computer /force
        (Get-RegValues dc1 $script:FreshKey)['1'] | Should -Be 'wsman/adfs1.company.pri'
    }
    It 'fails with E9 (enable) when a domain GPO sets the list: the effective registry is checked for the exact strings' {
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ domainPolicy = @{ fresh = @{ allow = 1; concatenate = 1; entries = @{ '1' = 'wsman/other.company.pri' } } } } }
        $e = Get-Caught { Enable-WSManCredSSP -Role Client -DelegateComputer adfs1.company.pri -Force }
        $e.FullyQualifiedErrorId | Should -BeExactly 'WsManError,Microsoft.WSMan.Management.EnableWSManCredSSPCommand'
        $e.Exception.Message | Should -BeExactly 'This command cannot be executed because the setting cannot be enabled.'
        @(Get-PolRecords dc1 | Where-Object { $_.key -eq $script:FreshKey -and $_.data -eq 'wsman/adfs1.company.pri' }).Count | Should -Be 1   # the local GPO was changed
        (Get-RegValues dc1 $script:FreshKey).Values | Should -Not -Contain 'wsman/adfs1.company.pri'                                       # the domain list won
    }
}

Describe 'Get-WSManCredSSP line 1 comes from the list key''s wsman* values' -Tag 'LabOnly', 'Why: seeds registry values from a lab file' -Skip:$SpecSkipLabOnly {
    It 'lists wsman* entries of the effective list even when AllowFreshCredentials is 0 and the client flag is off' {
        $lab = Get-DefaultLab
        $lab.hosts[0].registryValues = @(
            @{ key = 'SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation'; name = 'AllowFreshCredentials'; type = 'DWord'; data = 0 },
            @{ key = $script:FreshKey; name = '1'; type = 'String'; data = 'TERMSRV/*' },
            @{ key = $script:FreshKey; name = '2'; type = 'String'; data = 'wsman/a.company.pri' },
            @{ key = $script:FreshKey; name = '3'; type = 'String'; data = 'WSMAN/b.company.pri' })
        $null = New-TestLab -Lab $lab
        $lines = @(Get-WSManCredSSP)
        $lines[0] | Should -BeExactly 'The machine is configured to allow delegating fresh credentials to the following target(s):WSMAN/b.company.pri,wsman/a.company.pri'
    }
    It 'says not configured when the list holds no wsman* value' {
        $null = New-TestLab
        @(Get-WSManCredSSP)[0] | Should -BeExactly 'The machine is not configured to allow delegating fresh credentials.'
    }
}

Describe 'HKLM: and WSMan: for ordinary scripts' {
    BeforeEach { Initialize-SpecSubject }
    AfterEach { Set-Location -LiteralPath $TestDrive; Restore-SpecSubject }
    It 'Join-Path joins on the lab drives, -Resolve checks existence' {
        Join-Path HKLM:\SOFTWARE\Policies 'Microsoft\Windows' | Should -Be 'HKLM:\SOFTWARE\Policies\Microsoft\Windows'
        Join-Path 'WSMan:\localhost\Client\' 'TrustedHosts' | Should -Be 'WSMan:\localhost\Client\TrustedHosts'
        Join-Path HKLM:\SOFTWARE 'Policies' -Resolve | Should -Be 'HKLM:\SOFTWARE\Policies'
        { Join-Path HKLM:\SOFTWARE 'NoSuchKey' -Resolve } | Should -Throw -ErrorId 'PathNotFound,Microsoft.PowerShell.Commands.JoinPathCommand'
        Join-Path $TestDrive 'x' | Should -Be ([IO.Path]::Combine($TestDrive, 'x'))   # other paths: the real cmdlet
    }
    It 'Set-Location/Push-Location/Pop-Location into HKLM: and WSMan:, relative paths follow' {
        Push-Location HKLM:\SOFTWARE\Policies\Microsoft\Windows
        (Get-Location).Path | Should -Be 'HKLM:\SOFTWARE\Policies\Microsoft\Windows'
        New-Item -Path . -Name CredentialsDelegation -Force | Out-Null
        Set-Location CredentialsDelegation
        New-ItemProperty -Path . -Name AllowFreshCredentials -Value 1 -PropertyType DWord | Out-Null
        Get-ItemPropertyValue -Path . -Name AllowFreshCredentials | Should -Be 1
        Set-Location ..
        (Get-Location).Path | Should -Be 'HKLM:\SOFTWARE\Policies\Microsoft\Windows'
        Set-Location WSMan:\localhost\Client
        (Get-ChildItem -Name) | Should -Contain 'TrustedHosts'
        Pop-Location
        (Get-Location).Path | Should -Be $TestDrive
        { Set-Location HKLM:\SOFTWARE\NoSuchKey } | Should -Throw -ErrorId 'PathNotFound,Microsoft.PowerShell.Commands.SetLocationCommand'
    }
    It 'Get-ItemPropertyValue, md/mkdir and the provider-qualified WSMan:: form' {
        md HKLM:\SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation | Out-Null
        Test-Path HKLM:\SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation | Should -BeTrue
        Get-ItemPropertyValue -Path HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WSMAN\Client -Name auth_credssp | Should -Be 0
        { Get-ItemPropertyValue -Path HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WSMAN\Client -Name nope } | Should -Throw -ErrorId 'System.Management.Automation.PSArgumentException,Microsoft.PowerShell.Commands.GetItemPropertyValueCommand'
        (Get-Item Microsoft.WSMan.Management\WSMan::localhost\Client\Auth\CredSSP).Value | Should -Be 'false'
        Set-Item Microsoft.WSMan.Management\WSMan::localhost\Client\Auth\CredSSP -Value $true
        Get-ItemPropertyValue WSMan:\localhost\Client\Auth -Name CredSSP | Should -Be 'true'
        (Get-Item WSMan:localhost\client\trustedhosts).Value | Should -Be ''
        $dir = Join-Path $TestDrive 'made'
        mkdir $dir | Out-Null
        [IO.Directory]::Exists($dir) | Should -BeTrue   # other paths: New-Item -ItemType Directory, as Windows' mkdir
    }
    It 'runs a public-sample style script that writes the delegation policy straight into the registry (verbatim)' {
        $sample = @'
Enable-WSManCredSSP -Role Client -DelegateComputer * -Force
Set-Item WSMan:\localhost\Client\TrustedHosts -Value * -Force
$allowed = @('WSMAN/*')
$key = 'hklm:\SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation'
if (!(Test-Path $key)) {
    md $key
}
New-ItemProperty -Path $key -Name AllowFreshCredentialsWhenNTLMOnly -Value 1 -PropertyType Dword -Force
$key = Join-Path $key 'AllowFreshCredentialsWhenNTLMOnly'
if (!(Test-Path $key)) {
    md $key
}
$i = 1
$allowed |% {
    New-ItemProperty -Path $key -Name $i -Value $_ -PropertyType String -Force
    $i++
}
'@
        $null = & ([scriptblock]::Create($sample))
        (Get-SpecRegValues "$($script:CDKey)\AllowFreshCredentialsWhenNTLMOnly")['1'] | Should -Be 'WSMAN/*'
        (Get-SpecRegValues $script:CDKey)['AllowFreshCredentialsWhenNTLMOnly'] | Should -Be 1
        (Get-Item WSMan:\localhost\Client\TrustedHosts).Value | Should -Be '*'
        # written straight into the registry: no GPO behind it, no RSoP record, and a refresh leaves it alone
        @(Get-SpecPolRecords | Where-Object { $_.key -like '*WhenNTLMOnly' }).Count | Should -Be 0
        @(Get-Rsop | Where-Object { $_.registryKey -like '*WhenNTLMOnly' }).Count | Should -Be 0
        $null = gpupdate /force
        (Get-SpecRegValues "$($script:CDKey)\AllowFreshCredentialsWhenNTLMOnly")['1'] | Should -Be 'WSMAN/*'
    }
    It 'runs a public-sample style TrustedHosts and cleanup script (verbatim)' {
        $sample = @'
Set-Location WSMan:\localhost\Client
Get-ChildItem | Out-Null
Set-Item wsman:\localhost\Client\TrustedHosts -Value 192.168.3.11 -Force
Set-Item wsman:\localhost\Client\TrustedHosts -Value adfs1.company.pri -Concatenate -Force
$current = (Get-Item WSMan:\localhost\Client\TrustedHosts).Value
$BasePath = "HKLM:\SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation"
Remove-Item -Path "$BasePath\AllowFreshCredentials" -ErrorAction SilentlyContinue
Remove-ItemProperty -Path $BasePath -Name "AllowFreshCredentials" -ErrorAction SilentlyContinue
$current
'@
        $out = & ([scriptblock]::Create($sample))
        $out | Should -Be '192.168.3.11,adfs1.company.pri'
    }
}

Describe 'The WinRM service (Get-/Start-/Stop-/Set-Service)' {
    BeforeEach { Initialize-SpecSubject }
    AfterEach { Restore-SpecSubject }
    It 'reports, stops, starts and reconfigures WinRM; restores status and start type exactly' {
        $s = Get-Service WinRM
        $s.Status | Should -Be 'Running'; $s.StartType | Should -Be 'Automatic'
        $s.DisplayName | Should -Be 'Windows Remote Management (WS-Management)'
        Stop-Service WinRM
        Set-Service -Name WinRM -StartupType Manual
        (Get-Service WinRM).Status | Should -Be 'Stopped'
        (Get-Service -Name WinRM).StartType | Should -Be 'Manual'
        if ($SpecSubject -eq 'lab') { (Get-LabHostView dc1).winrm | Should -BeFalse }   # the lab's own record agrees
        Start-Service WinRM
        (Get-Service WinRM).Status | Should -Be 'Running'
        Get-Service WinRM | Stop-Service -PassThru | ForEach-Object Status | Should -Be 'Stopped'
    }
    It 'a Disabled service cannot be started (CouldNotStartService)' {
        Stop-Service WinRM; Set-Service WinRM -StartupType Disabled
        $e = Get-Caught { Start-Service WinRM }
        $e.FullyQualifiedErrorId | Should -BeExactly 'CouldNotStartService,Microsoft.PowerShell.Commands.StartServiceCommand'
        $e.Exception.Message | Should -BeExactly "Service 'Windows Remote Management (WS-Management) (WinRM)' cannot be started due to the following error: Cannot start service WinRM on computer '.'."
        $e.Exception.InnerException.InnerException.NativeErrorCode | Should -Be 1058
        (Get-Service WinRM).Status | Should -Be 'Stopped'
    }
    It 'other services are not modelled: NoServiceFoundForGivenName' -Tag 'LabOnly', 'Why: a limit of the lab: Windows has the Spooler service' -Skip:$SpecSkipLabOnly {
        { Get-Service Spooler } | Should -Throw -ErrorId 'NoServiceFoundForGivenName,Microsoft.PowerShell.Commands.GetServiceCommand'
        @(Get-Service 'Spo*').Count | Should -Be 0
    }
    It 'while WinRM is stopped the CredSSP cmdlets and the WSMan: drive without -Force (its prompt cannot be shown here) fail with the reference''s text; outbound remoting works' {
        Stop-Service WinRM
        $e = Get-Caught { Get-Item WSMan:\localhost\Client\TrustedHosts }
        $e.FullyQualifiedErrorId | Should -BeExactly 'System.InvalidOperationException,Microsoft.PowerShell.Commands.GetItemCommand'
        $e.Exception.Message | Should -BeLike 'The client cannot connect to the destination specified in the request. Verify that the service on the destination is running and is accepting requests. *'
        foreach ($b in @(
                @{ Id = 'WsManError,Microsoft.WSMan.Management.EnableWSManCredSSPCommand'; Do = { Enable-WSManCredSSP -Role Client -DelegateComputer adfs1.company.pri -Force } },
                @{ Id = 'WsManError,Microsoft.WSMan.Management.DisableWSManCredSSPCommand'; Do = { Disable-WSManCredSSP -Role Client } },
                @{ Id = 'WsManError,Microsoft.WSMan.Management.GetWSManCredSSPCommand'; Do = { Get-WSManCredSSP } })) {
            $e = Get-Caught $b.Do
            $e.FullyQualifiedErrorId | Should -BeExactly $b.Id
            $e.Exception.Message | Should -BeLike '*Code="2150858770"*The client cannot connect to the destination specified in the request.*'
        }
        @(Get-SpecPolRecords).Count | Should -Be 0   # no effect
        Test-Path WSMan:\localhost\Client | Should -BeFalse
    }
    It 'while WinRM is stopped here, outbound remoting works and connections to this host fail' -Tag 'LabOnly', 'Why: needs a second machine (the lab''s adfs1)' -Skip:$SpecSkipLabOnly {
        Stop-Service WinRM
        Invoke-Command -ComputerName adfs1.company.pri { hostname } | Should -Be 'adfs1'
        { Invoke-Command -ComputerName adfs1 { Invoke-Command -ComputerName dc1 -Credential $using:c { 1 } } } | Should -Throw
        # the drive with -Force starts the service itself (Lab.WSManFidelity.Tests.ps1 has the whole rule)
        Set-Item WSMan:\localhost\Client\TrustedHosts -Value x -Force
        (Get-Service WinRM).Status | Should -Be 'Running'
    }
}

Describe 'TrustedHosts and connections by address or to a host without a WSMAN SPN' -Tag 'LabOnly', 'Why: needs the lab''s machines by address and a domain GPO; the loopback hop shows TrustedHosts by address on Windows' -Skip:$SpecSkipLabOnly {
    BeforeAll {
        $lab = Get-DefaultLab
        $lab.hosts += @{ name = 'nospn'; address = '192.168.3.13'; spn = $false; admins = @('COMPANY\Administrator') }
        $null = New-TestLab -Lab $lab
        $Admin = New-Cred
        function Get-TransportError { param([scriptblock]$Block) $e = Get-Caught $Block; $e }
    }
    BeforeEach {
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ trustedHosts = ''; domainPolicy = $null } }
    }
    It 'reads an empty string, sets, appends with -Concatenate, clears' {
        (Get-Item WSMan:\localhost\Client\TrustedHosts).Value | Should -BeExactly ''
        Set-Item WSMan:\localhost\Client\TrustedHosts -Value 'adfs1.company.pri' -Force
        Set-Item WSMan:\localhost\Client\TrustedHosts -Value '192.168.3.*' -Concatenate -Force
        (Get-Item WSMan:\localhost\Client\TrustedHosts).Value | Should -BeExactly 'adfs1.company.pri,192.168.3.*'
        (Get-LabHostView dc1).trustedHosts | Should -BeExactly 'adfs1.company.pri,192.168.3.*'
        Clear-Item WSMan:\localhost\Client\TrustedHosts -Force
        (Get-Item WSMan:\localhost\Client\TrustedHosts).Value | Should -BeExactly ''
    }
    It 'a GPO that owns the list: the policy''s value, SourceOfValue GPO, and setting it fails (W1 wording)' {
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ domainPolicy = @{ winrmClientTrustedHosts = '*.company.pri' } } }
        $null = Invoke-Lab Invoke-CredHopLabGpUpdate @{ host = 'dc1' }
        $i = Get-Item WSMan:\localhost\Client\TrustedHosts
        $i.Value | Should -BeExactly '*.company.pri'; $i.SourceOfValue | Should -Be 'GPO'
        $e = Get-Caught { Set-Item WSMan:\localhost\Client\TrustedHosts -Value x -Force }
        $e.FullyQualifiedErrorId | Should -BeExactly 'System.InvalidOperationException,Microsoft.PowerShell.Commands.SetItemCommand'
        $e.Exception.Message | Should -BeExactly 'The config setting TrustedHosts cannot be changed because is controlled by policies. The policy would need to be set to "Not Configured" in order to change the config setting.'
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ domainPolicy = $null } }
        $null = Invoke-Lab Invoke-CredHopLabGpUpdate @{ host = 'dc1' }
    }
    It 'default auth by address: CannotUseIPAddress, even when trusted without -Credential' {
        Set-Item WSMan:\localhost\Client\TrustedHosts -Value '192.168.3.11' -Force
        $e = Get-TransportError { Invoke-Command -ComputerName 192.168.3.11 { 1 } }
        $e.FullyQualifiedErrorId | Should -BeExactly 'CannotUseIPAddress,PSSessionStateBroken'
        Invoke-Command -ComputerName 192.168.3.11 -Credential $Admin { hostname } | Should -Be 'adfs1'   # trusted + explicit credentials
    }
    It 'Negotiate with -Credential by address needs TrustedHosts: ServerNotTrusted (0x803380E4), then it works' {
        $e = Get-TransportError { Invoke-Command -ComputerName 192.168.3.11 -Authentication Negotiate -Credential $Admin { 1 } }
        $e.FullyQualifiedErrorId | Should -BeExactly 'ServerNotTrusted,PSSessionStateBroken'
        $e.Exception.ErrorCode | Should -Be -2144108316
        $e.Exception.Message | Should -BeExactly ('Connecting to remote server 192.168.3.11 failed with the following error message : The WinRM client cannot process the request. If the authentication scheme is different from Kerberos, or if the client computer is not joined to a domain, then HTTPS transport must be used or the destination machine must be added to the TrustedHosts configuration setting. Use winrm.cmd to configure TrustedHosts. Note that computers in the TrustedHosts list might not be authenticated. You can get more information about that by running the following command: winrm help config. For more information, see the about_Remote_Troubleshooting Help topic.')
        $e2 = Get-TransportError { New-PSSession -ComputerName 192.168.3.11 -Authentication Negotiate -Credential $Admin }
        $e2.FullyQualifiedErrorId | Should -BeExactly 'ServerNotTrusted,PSSessionOpenFailed'
        Set-Item WSMan:\localhost\Client\TrustedHosts -Value '192.168.3.*' -Force
        Invoke-Command -ComputerName 192.168.3.11 -Authentication Negotiate -Credential $Admin { hostname } | Should -Be 'adfs1'
    }
    It 'CredSSP by address or to a no-SPN host: E5 first, then TrustedHosts, then the NTLM-only list (E3)' {
        $e = Get-TransportError { Invoke-Command -ComputerName 192.168.3.11 -Authentication Credssp -Credential $Admin { 1 } }
        $e.FullyQualifiedErrorId | Should -BeExactly '-2144108126,PSSessionStateBroken'
        Enable-WSManCredSSP -Role Client -DelegateComputer 192.168.3.11 -Force | Out-Null
        (Get-TransportError { Invoke-Command -ComputerName 192.168.3.11 -Authentication Credssp -Credential $Admin { 1 } }).FullyQualifiedErrorId | Should -BeExactly 'ServerNotTrusted,PSSessionStateBroken'
        (Get-TransportError { Invoke-Command -ComputerName nospn.company.pri -Authentication Credssp -Credential $Admin { 1 } }).FullyQualifiedErrorId | Should -BeExactly 'ServerNotTrusted,PSSessionStateBroken'
        Set-Item WSMan:\localhost\Client\TrustedHosts -Value '192.168.3.11,nospn.company.pri' -Force
        (Get-TransportError { Invoke-Command -ComputerName 192.168.3.11 -Authentication Credssp -Credential $Admin { 1 } }).FullyQualifiedErrorId | Should -BeExactly '-2144108124,PSSessionStateBroken'
        # Negotiate by name to a no-SPN host uses Kerberos with the HOST SPN: no TrustedHosts needed
        Invoke-Command -ComputerName nospn.company.pri -Authentication Negotiate -Credential $Admin { hostname } | Should -Be 'nospn'
    }
}

Describe 'Local GPO file faults through Invoke-CredHopLabFileIo' -Tag 'LabOnly', 'Why: the lab''s injected file faults' -Skip:$SpecSkipLabOnly {
    BeforeEach {
        $null = New-TestLab
        Enable-WSManCredSSP -Role Client -DelegateComputer adfs1.company.pri -Force | Out-Null
        $script:Pol = [IO.Path]::Combine($env:SystemRoot, 'System32', 'GroupPolicy', 'Machine', 'Registry.pol')
    }
    It 'without a fault it just runs the action' {
        $p = $script:Pol
        $b = Invoke-CredHopLabFileIo -Path $p -Access Read -Action { , [System.IO.File]::ReadAllBytes($p) }.GetNewClosure()
        $b.GetType().Name | Should -Be 'Byte[]'   # the action's output, as '& $Action' gives it
        $b.Length | Should -Be ([IO.File]::ReadAllBytes($p)).Length
    }
    It 'busy: the next N calls fail with a sharing violation (0x80070020) before the action, then it works' {
        $null = Invoke-Lab Add-CredHopLabFileFault @{ host = 'dc1'; kind = 'busy'; file = 'Registry.pol'; access = 'Any'; times = 2 }
        $p = $script:Pol
        $read = { [System.IO.File]::ReadAllBytes($p) }.GetNewClosure()
        foreach ($n in 1, 2) {
            $e = Get-Caught { Invoke-CredHopLabFileIo -Path $p -Access Read -Action $read }
            $e.Exception | Should -BeOfType ([System.Management.Automation.MethodInvocationException])
            $e.Exception.Message | Should -BeExactly "Exception calling ""ReadAllBytes"" with ""1"" argument(s): ""The process cannot access the file '$p' because it is being used by another process."""
            $e.Exception.InnerException | Should -BeOfType ([System.IO.IOException])
            $e.Exception.InnerException.HResult | Should -Be ([int]0x80070020)
        }
        (Invoke-CredHopLabFileIo -Path $p -Access Read -Action $read).Length | Should -BeGreaterThan 8
        (Get-LabView).fileFaults[0].fired | Should -Be 2
    }
    It 'busy on Write only, for gpt.ini: names the .NET method of the action' {
        $null = Invoke-Lab Add-CredHopLabFileFault @{ host = 'dc1'; kind = 'busy'; file = 'gpt.ini'; access = 'Write'; times = 1 }
        $g = [IO.Path]::Combine($env:SystemRoot, 'System32', 'GroupPolicy', 'gpt.ini'); $t = "$g.tmp"
        [IO.File]::WriteAllText($t, "[General]`r`nVersion=9`r`n")
        $null = Invoke-CredHopLabFileIo -Path $g -Access Read -Action { [System.IO.File]::ReadAllLines($g) }.GetNewClosure()
        $e = Get-Caught { Invoke-CredHopLabFileIo -Path $g -Access Write -Action { [System.IO.File]::Replace($t, $g, [NullString]::Value) }.GetNewClosure() }
        $e.Exception.Message | Should -BeLike 'Exception calling "Replace" with "3" argument(s): "The process cannot access the file*'
        [IO.File]::Exists($t) | Should -BeTrue   # the action did not run
    }
    It 'writer: gpedit appends its entry right after the Nth read, so a replace from stale bytes would lose it' {
        $null = Invoke-Lab Add-CredHopLabFileFault @{ host = 'dc1'; kind = 'writer'; afterReads = 1 }
        $p = $script:Pol
        $before = Invoke-CredHopLabFileIo -Path $p -Access Read -Action { [System.IO.File]::ReadAllBytes($p) }.GetNewClosure()
        $after = Invoke-CredHopLabFileIo -Path $p -Access Read -Action { [System.IO.File]::ReadAllBytes($p) }.GetNewClosure()
        $after.Length | Should -BeGreaterThan $before.Length
        @(Get-PolRecords dc1 | Where-Object { $_.name -eq 'NoLockScreen' }).Count | Should -Be 1
        (Get-LabView).fileFaults[0].fired | Should -Be 1
        $null = Invoke-CredHopLabFileIo -Path $p -Access Read -Action { [System.IO.File]::ReadAllBytes($p) }.GetNewClosure()
        @(Get-PolRecords dc1 | Where-Object { $_.name -eq 'NoLockScreen' }).Count | Should -Be 1   # fired once
    }
    It 'rejects a bad fault' {
        $r = Read-CredHopLine (Add-CredHopLabFileFault -Payload (ConvertTo-B64 @{ host = 'dc1'; kind = 'explode' }))
        $r.ok | Should -BeFalse
        $r.error.message | Should -BeLike "*fault.kind: expected 'busy' or 'writer'*"
    }
}

Describe 'RSoP: RSOP_RegistryPolicySetting and RSOP_GPO in root\rsop\computer' -Tag 'LabOnly', 'Why: needs domain GPOs; the Windows runner is a workgroup machine' -Skip:$SpecSkipLabOnly {
    BeforeEach {
        $lab = Get-DefaultLab
        $lab.hosts[0].domainPolicy = @{ gpoName = 'Helpdesk CredSSP'; gpoGuid = '{0F2A4B6C-1D3E-4F50-8A9B-0C1D2E3F4A5B}'; freshNtlm = @{ allow = 1; entries = @{ '1' = 'wsman/ntlm.company.pri' } } }
        $lab.hosts[0].localPolicy = @{ freshNtlm = @{ allow = 0 } }
        $lab.hosts[0].registryValues = @(@{ key = $script:FreshKey; name = '9'; type = 'String'; data = 'wsman/script.company.pri' })
        $null = New-TestLab -Lab $lab
    }
    It 'records which GPO supplied each applied value; precedence 1 wins; script-written values have no record' {
        Enable-WSManCredSSP -Role Client -DelegateComputer adfs1.company.pri -Force | Out-Null
        $all = Get-Rsop
        $mine = @($all | Where-Object { $_.registryKey -eq $script:FreshKey -and $_.valueName -eq '1' })
        $mine.Count | Should -Be 1
        $mine[0].GPOID | Should -BeExactly 'LocalGPO'
        $mine[0].precedence | Should -Be 1
        $mine[0].valueType | Should -Be 1
        [Text.Encoding]::Unicode.GetString($mine[0].value).TrimEnd([char]0) | Should -BeExactly 'wsman/adfs1.company.pri'
        $mine[0].deleted | Should -BeFalse
        $allow = @($all | Where-Object { $_.valueName -eq 'AllowFreshCredentialsWhenNTLMOnly' } | Sort-Object precedence)
        $allow.Count | Should -Be 2
        $allow[0].GPOID | Should -BeExactly 'cn={0F2A4B6C-1D3E-4F50-8A9B-0C1D2E3F4A5B},cn=policies,cn=system,DC=company,DC=pri'
        [BitConverter]::ToInt32($allow[0].value, 0) | Should -Be 1
        $allow[1].GPOID | Should -BeExactly 'LocalGPO'; $allow[1].precedence | Should -Be 2
        @($all | Where-Object { $_.valueName -eq '9' }).Count | Should -Be 0
        $gpos = Get-Rsop RSOP_GPO
        ($gpos | Where-Object id -like 'cn=*').name | Should -BeExactly 'Helpdesk CredSSP'
        ($gpos | Where-Object id -eq 'LocalGPO').name | Should -BeExactly 'Local Group Policy'
        @(Get-CimInstance -Namespace root/rsop/computer -ClassName RSOP_RegistryPolicySetting -Filter "GPOID = 'LocalGPO' AND valueName = '1'").Count | Should -Be 1
        @(Get-CimInstance -Namespace root\rsop\computer -Query "SELECT * FROM RSOP_GPO WHERE name = 'Helpdesk CredSSP'").Count | Should -Be 1
    }
    It 'RSoP logging off: the namespace answers no instance and no error (not even the local GPO)' {
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ rsopLogging = $false } }
        $null = gpupdate /force
        @(Get-Rsop) | Should -HaveCount 0
        @(Get-Rsop RSOP_GPO) | Should -HaveCount 0
        $Error.Clear(); $null = Get-CimInstance -Namespace root\rsop\computer -ClassName RSOP_GPO -ErrorAction Stop; $Error.Count | Should -Be 0
    }
}

Describe 'The managed workstation lab (managed-workstation.json)' -Tag 'LabOnly', 'Why: about the lab file shipped for practice mode' -Skip:$SpecSkipLabOnly {
    BeforeAll { $null = New-TestLab -LabFile $script:ManagedLab }
    It 'is ws1 with WinRM stopped (Manual), TrustedHosts empty, the jump server at an address' {
        $v = Get-LabView
        $v.client | Should -Be 'ws1'
        $v.hosts.ws1.winrm | Should -BeFalse
        $v.hosts.ws1.winrmStartType | Should -Be 'Manual'
        $v.hosts.ws1.trustedHosts | Should -BeExactly ''
        $v.hosts.adfs1.address | Should -Be '192.168.10.11'
        (Get-Service WinRM).Status | Should -Be 'Stopped'
        (Get-Service WinRM).StartType | Should -Be 'Manual'
        { Get-Item WSMan:\localhost\Client\Auth\CredSSP } | Should -Throw -ErrorId 'System.InvalidOperationException,Microsoft.PowerShell.Commands.GetItemCommand'
        $v.hosts.ws1.rsop | Should -Not -BeNullOrEmpty
    }
    It 'holds a script-written delegation entry in the registry only: not in the local GPO, no RSoP record' {
        (Get-RegValues ws1 $script:FreshKey)['1'] | Should -Be 'wsman/legacy-jump.company.pri'
        @(Get-PolRecords ws1).Count | Should -Be 0
        @(Get-Rsop).Count | Should -Be 0
    }
    It 'outbound remoting works with the local service stopped; by address it needs TrustedHosts' {
        Invoke-Command -ComputerName adfs1.company.pri { hostname } | Should -Be 'adfs1'
        $e = Get-Caught { Invoke-Command -ComputerName 192.168.10.11 -Authentication Negotiate -Credential (New-Cred) { 1 } }
        $e.FullyQualifiedErrorId | Should -BeExactly 'ServerNotTrusted,PSSessionStateBroken'
    }
    It 'the helpdesk flow: start WinRM, TrustedHosts, enable, restore status and start type' {
        Start-Service WinRM
        Set-Item WSMan:\localhost\Client\TrustedHosts -Value '192.168.10.11' -Force
        Enable-WSManCredSSP -Role Client -DelegateComputer 192.168.10.11 -Force | Out-Null
        (Get-RegValues ws1 $script:FreshKey)['1'] | Should -Be 'wsman/192.168.10.11'   # value name 1: the GPO's entry overwrote the script's (Windows does the same)
        Stop-Service WinRM; Set-Service WinRM -StartupType Manual
        (Get-Service WinRM).Status | Should -Be 'Stopped'
    }
}

Describe 'What the lab cannot model (the lab README''s "Stubbed or simplified" list), so no one claims every script runs unchanged' -Tag 'LabOnly', 'Why: the lab''s own limits' -Skip:$SpecSkipLabOnly {
    BeforeEach { $null = New-TestLab }
    It 'platform checks answer Linux: a script gated on $IsWindows takes its other branch' {
        $IsLinux | Should -BeTrue
        $IsWindows | Should -BeFalse
        $PSVersionTable.Platform | Should -Be 'Unix'
    }
    It 'COM is not there: New-Object -ComObject fails' {
        { New-Object -ComObject WScript.Shell } | Should -Throw
    }
    It 'the usual "am I admin" check with [WindowsPrincipal] fails; whoami /groups answers instead' {
        { ([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator) } | Should -Throw
        (whoami /groups | Out-String) | Should -Match 'S-1-16-12288'
    }
    It '.NET registry calls do not reach the lab registry' {
        { [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey('SOFTWARE\Policies') } | Should -Throw
        Test-Path 'HKLM:\SOFTWARE\Policies' | Should -BeTrue
    }
}
