# What Windows does with the WSMan: drive, the CredSSP cmdlets and Test-WSMan, as PowerShell's own tests
# (test/powershell/Modules/Microsoft.WSMan.Management/{ConfigProvider,CredSSP,TestWSMan}.Tests.ps1 in the
# PowerShell repository) and its source (src/Microsoft.WSMan.Management/ConfigProvider.cs, CredSSP.cs,
# PingWSMan.cs, resources/WsManResources.resx) show it. Our own tests, not their code: each names the upstream
# test ("mirrors ...") or the source it reads. Every test states a fact about an elevated Windows machine
# (their tests are RequireAdminOnWindows too), so it can be run against real Windows as well as the lab.
# Upstream tests outside the lab's scope (WinRM plug-ins, listeners, client certificates, RunAs, the
# provider's PSDrive object) are not mirrored. It joins the Windows-behaviour spec (tests/spec/README.md):
# blocks both subjects answer bracket with Initialize-/Restore-SpecSubject; the rest is tagged LabOnly.
BeforeDiscovery { . ([System.IO.Path]::Combine($PSScriptRoot, '..', 'spec', 'Subject.ps1')) }
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:TH = 'WSMan:\localhost\Client\TrustedHosts'
    $script:FreshKey = 'SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation\AllowFreshCredentials'
    function Get-Caught { param([scriptblock]$Block) $e = $null; try { & $Block } catch { $e = $_ }; $e }
    function Get-WinRMStatus { [string](Get-Service WinRM).Status }
}

Describe 'The WSMan: drive starts a stopped WinRM itself (ConfigProvider.cs StartWSManService)' {
    BeforeEach { Initialize-SpecSubject; Stop-Service WinRM }
    AfterEach { if ((Get-WinRMStatus) -ne 'Running') { Start-Service WinRM }; Restore-SpecSubject }

    It 'Get-ChildItem WSMan:\localhost -Force starts it (mirrors ConfigProvider.Tests.ps1 "WSMan Config Provider starts WinRM if it is stopped")' {
        Get-ChildItem WSMan:\localhost -Force | Should -Not -BeNullOrEmpty
        Get-WinRMStatus | Should -Be 'Running'
    }

    It '<Call> with -Force starts it silently (Restart-Service WinRM -Force, no prompt)' -TestCases @(
        @{ Call = 'Get-Item'; Do = { $null = Get-Item WSMan:\localhost\Client\Auth\CredSSP -Force } }
        @{ Call = 'Set-Item'; Do = { Set-Item $script:TH -Value 'srv9' -Force } }
    ) {
        & $Do
        Get-WinRMStatus | Should -Be 'Running'
    }

    It 'in a non-interactive PowerShell (as CredHop and its scheduled task run) the prompt cannot be shown: the provider swallows that, WinRM stays stopped and the call fails' -Tag 'LabOnly', 'Why: the spec''s Windows runs are not started -NonInteractive, so Windows would show the prompt' -Skip:$SpecSkipLabOnly {
        # ShouldContinue throws "PowerShell is in NonInteractive mode..." and StartWSManService catches it
        # (CmdletInvocationException): no hang, no answer, no start. (This Pester host is -NonInteractive.)
        $e = Get-Caught { Get-Item WSMan:\localhost\Client\Auth\CredSSP -ErrorAction Stop }
        $e.FullyQualifiedErrorId | Should -BeExactly 'System.InvalidOperationException,Microsoft.PowerShell.Commands.GetItemCommand'
        $e.Exception.Message | Should -BeLike 'The client cannot connect to the destination specified in the request.*'
        Test-Path WSMan:\localhost\Client | Should -BeFalse
        Get-WinRMStatus | Should -Be 'Stopped'
    }

    It 'a Disabled WinRM is not started (Restart-Service fails inside the provider, which does not look): the call fails' {
        Set-Service WinRM -StartupType Disabled
        { Set-Item $script:TH -Value 'srv9' -Force } | Should -Throw -ErrorId 'System.InvalidOperationException,Microsoft.PowerShell.Commands.SetItemCommand'
        Get-WinRMStatus | Should -Be 'Stopped'
        Set-Service WinRM -StartupType Automatic
    }
}

Describe 'The WSMan: drive and a stopped WinRM: what needs the lab' -Tag 'LabOnly', 'Why: an interactive child PowerShell on the lab, and the lab''s elevation switch' -Skip:$SpecSkipLabOnly {
    BeforeEach { $script:Dir = New-TestLab; Stop-Service WinRM }
    AfterEach { if ((Get-WinRMStatus) -ne 'Running') { Start-Service WinRM } }

    It 'without -Force it asks "Start WinRM Service": No fails with WinRMServiceError, Yes starts it (an interactive PowerShell reading its answers from stdin)' {
        $dir = $script:Dir
        $child = Join-Path $TestDrive 'prompt.ps1'
        Set-Content -LiteralPath $child -Value @'
param($Manifest, $Dir)
Import-Module $Manifest -Global
$null = Initialize-CredHopLab -Payload ([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes((@{ stateDir = $Dir } | ConvertTo-Json -Compress))))
foreach ($n in 1, 2) {
    try { $null = Get-Item WSMan:\localhost\Client\TrustedHosts; "RESULT $n ok" } catch { "RESULT $n $($_.FullyQualifiedErrorId) | $($_.Exception.Message)" }
    "STATUS $n $((Get-Service WinRM).Status)"
}
'@
        $out = @("N`nY`n" | & $script:Pwsh -NoProfile -File $child $script:LabManifest $dir 2>&1 | ForEach-Object { [string]$_ })
        ($out -join "`n") | Should -Match 'Start WinRM Service'
        $out | Should -Contain 'RESULT 1 System.InvalidOperationException,Microsoft.PowerShell.Commands.GetItemCommand | This command cannot be executed because the WinRM Service is not started.'
        $out | Should -Contain 'STATUS 1 Stopped'
        $out | Should -Contain 'RESULT 2 ok'
        $out | Should -Contain 'STATUS 2 Running'
    }

    It 'not elevated: the elevation error comes first and nothing is started, -Force or not' {
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ elevated = $false } }
        try {
            $e = Get-Caught { Get-ChildItem WSMan:\localhost -Force }
            $e.FullyQualifiedErrorId | Should -BeExactly 'System.InvalidOperationException,Microsoft.PowerShell.Commands.GetChildItemCommand'
            $e.Exception.Message | Should -BeExactly 'Access is denied. You need to run this cmdlet from an elevated process.'
            (Get-LabHostView dc1).winrm | Should -BeFalse
        }
        finally { $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ elevated = $true } } }
    }
}

Describe 'Set-Item on WSMan: checks its value (ConfigProvider.cs SetItem)' {
    BeforeAll { Initialize-SpecSubject; Set-Item $script:TH -Value 'keep1,keep2' -Force }
    AfterAll { Restore-SpecSubject }

    It 'Set-Item on TrustedHosts succeeds with a string (mirrors ConfigProvider.Tests.ps1 "Set-Item on TrustedHosts should succeed")' {
        $before = (Get-Item "$($script:TH)\").Value
        try {
            Set-Item -Path "$($script:TH)\" -Value 'hello' -Force
            (Get-Item "$($script:TH)\").Value | Should -Be 'hello'
        }
        finally { Set-Item $script:TH $before -Force }
        (Get-Item $script:TH).Value | Should -Be 'keep1,keep2'
    }

    It 'refuses $null with an ArgumentException and keeps the list (mirrors "Set-Item should fail for `$null value")' {
        $e = Get-Caught { Set-Item $script:TH $null -Force }
        $e.FullyQualifiedErrorId | Should -BeExactly 'System.ArgumentException,Microsoft.PowerShell.Commands.SetItemCommand'
        $e.Exception.Message | Should -BeExactly 'This command cannot be used because Parameter Value is not supplied. Check the value again and run your command.'
        (Get-Item $script:TH).Value | Should -Be 'keep1,keep2'
    }

    It 'refuses <Case> for TrustedHosts (TrustedHostValueTypeError) and keeps the list' -TestCases @(
        @{ Case = 'an array'; Value = @('a', 'b') }
        @{ Case = 'a boolean'; Value = $true }
        @{ Case = 'a number'; Value = 5 }
    ) {
        $e = Get-Caught { Set-Item $script:TH -Value $Value -Force }
        $e.FullyQualifiedErrorId | Should -BeExactly 'System.InvalidOperationException,Microsoft.PowerShell.Commands.SetItemCommand'
        $e.Exception.Message | Should -BeExactly "Cannot convert 'System.Object[]' to the type 'System.String' required by the parameter. Specified method is not supported."
        (Get-Item $script:TH).Value | Should -Be 'keep1,keep2'
    }

    It 'refuses <Path>, which is not a setting (mirrors "Set-Item should fail for <path>")' -TestCases @(
        @{ Path = 'WSMan:\' }
        @{ Path = 'WSMan:\localhost' }
    ) {
        { Set-Item $Path 'foo' } | Should -Throw -ErrorId 'System.InvalidOperationException,Microsoft.PowerShell.Commands.SetItemCommand' -ExpectedMessage 'This command cannot be used in the current path because this cmdlet is not supported at this level of Provider path.'
    }

    It 'Test-Path -PathType Container is false for a path that does not exist (mirrors "Container check works")' {
        Test-Path wsman:\foo -PathType container | Should -BeFalse
        Test-Path WSMan:\localhost\Client -PathType Container | Should -BeTrue
    }
}

Describe '-WhatIf and -Confirm on HKLM: and WSMan: (the providers call ShouldProcess before writing)' {
    BeforeEach {
        Initialize-SpecSubject
        $null = New-Item -Path "HKLM:\$($script:FreshKey)" -Force
        $null = New-ItemProperty -Path "HKLM:\$($script:FreshKey)" -Name 1 -Value 'TERMSRV/*'
        Set-Item $script:TH -Value 'keep1' -Force
    }
    AfterEach { Restore-SpecSubject }

    It 'Set-Item -WhatIf on TrustedHosts changes nothing (mirrors ConfigProvider.Tests.ps1 "Set-Item -WhatIf should work")' {
        $before = Get-Item $script:TH
        Set-Item $script:TH 'hello' -WhatIf
        (Get-Item $script:TH).Value | Should -Be $before.Value
        Set-Item WSMan:\localhost\Client\Auth\CredSSP $true -WhatIf
        (Get-Item WSMan:\localhost\Client\Auth\CredSSP).Value | Should -Be 'false'
    }

    It '<Call> -WhatIf on HKLM: writes nothing' -TestCases @(
        @{ Call = 'New-Item'; Do = { New-Item -Path "HKLM:\$($script:FreshKey)\Sub" -WhatIf } }
        @{ Call = 'New-ItemProperty'; Do = { New-ItemProperty -Path "HKLM:\$($script:FreshKey)" -Name 2 -Value 'wsman/x' -WhatIf } }
        @{ Call = 'Set-ItemProperty'; Do = { Set-ItemProperty -Path "HKLM:\$($script:FreshKey)" -Name 1 -Value 'wsman/x' -WhatIf } }
        @{ Call = 'Remove-ItemProperty'; Do = { Remove-ItemProperty -Path "HKLM:\$($script:FreshKey)" -Name 1 -WhatIf } }
        @{ Call = 'Remove-Item'; Do = { Remove-Item -Path "HKLM:\$($script:FreshKey)" -WhatIf } }
        @{ Call = 'Clear-Item'; Do = { Clear-Item -Path "HKLM:\$($script:FreshKey)" -WhatIf } }
    ) {
        & $Do
        $v = Get-SpecRegValues $script:FreshKey
        @($v.Keys) | Should -Be @('1')
        $v['1'] | Should -Be 'TERMSRV/*'
        Test-Path "HKLM:\$($script:FreshKey)\Sub" | Should -BeFalse
    }

    It '-Confirm asks before the write: where no one can answer (a non-interactive PowerShell) the call fails and writes nothing' -Tag 'LabOnly', 'Why: the spec''s Windows runs are not started -NonInteractive, so Windows would show the prompt' -Skip:$SpecSkipLabOnly {
        { Set-ItemProperty -Path "HKLM:\$($script:FreshKey)" -Name 1 -Value 'wsman/x' -Confirm } | Should -Throw '*NonInteractive*'
        (Get-SpecRegValues $script:FreshKey)['1'] | Should -Be 'TERMSRV/*'
        { Set-Item $script:TH 'hello' -Force -Confirm } | Should -Throw '*NonInteractive*'
        (Get-Item $script:TH).Value | Should -Be 'keep1'
    }
}

Describe 'Enable-/Disable-/Get-WSManCredSSP (CredSSP.cs)' {
    BeforeEach { Initialize-SpecSubject }
    AfterEach { Restore-SpecSubject }

    It 'Error returned if invalid parameters: <Description> (mirrors CredSSP.Tests.ps1)' -TestCases @(
        @{ Params = @{ Role = 'Client' }; Description = 'Client role, no DelegateComputer' }
        @{ Params = @{ Role = 'Server'; DelegateComputer = '.' }; Description = 'Server role w/ DelegateComputer' }
    ) {
        { Enable-WSManCredSSP @Params } | Should -Throw -ErrorId 'System.InvalidOperationException,Microsoft.WSMan.Management.EnableWSManCredSSPCommand'
    }

    It 'Enable-WSManCredSSP works: <Description> (mirrors CredSSP.Tests.ps1)' -TestCases @(
        @{ Params = @{ Role = 'Client'; DelegateComputer = '*' }; Description = 'client'; Line = 0; Expected = 'The machine is configured to allow delegating fresh credentials to the following target\(s\):wsman/\*' }
        @{ Params = @{ Role = 'Server' }; Description = 'server'; Line = 1; Expected = 'This computer is configured to receive credentials from a remote client computer' }
    ) {
        $c = Enable-WSManCredSSP @Params -Force
        $c.CredSSP | Should -BeTrue
        (Get-WSManCredSSP)[$Line] | Should -Match $Expected
    }

    It 'Disable-WSManCredSSP works: <Role> (mirrors CredSSP.Tests.ps1)' -TestCases @(
        @{ Role = 'Client'; Line = 0; Expected = 'The machine is not configured to allow delegating fresh credentials.' }
        @{ Role = 'Server'; Line = 1; Expected = 'This computer is not configured to receive credentials from a remote client computer' }
    ) {
        $null = Enable-WSManCredSSP -Role Server -Force
        $null = Enable-WSManCredSSP -Role Client -DelegateComputer '*' -Force
        Disable-WSManCredSSP -Role $Role | Should -BeNullOrEmpty
        (Get-WSManCredSSP)[$Line] | Should -Match $Expected
    }

    It 'Get-WSManCredSSP lists the wsman* values newest first (each is prepended), joined by the list separator with no space (GetDelegateSettings)' {
        $null = Enable-WSManCredSSP -Role Client -DelegateComputer 'a.company.pri', 'b.company.pri' -Force
        $null = Enable-WSManCredSSP -Role Client -DelegateComputer 'c.company.pri' -Force
        $colon = ':'
        if ($SpecEdition -eq 'Desktop') { $colon = ': ' }   # Windows PowerShell 5.1's resource text (the reference; not yet seen on Windows)
        (Get-WSManCredSSP)[0] | Should -BeExactly ('The machine is configured to allow delegating fresh credentials to the following target(s)' + $colon + 'wsman/c.company.pri,wsman/b.company.pri,wsman/a.company.pri')
    }

    It 'Disable-WSManCredSSP -Role Client fails with E9 (disable) when a script wrote a wsman* value straight into the registry; the flag is off and the local GPO stripped anyway' {
        # its check reads the effective registry and polls up to 60 s; the lab gives that outcome at once
        $null = Enable-WSManCredSSP -Role Client -DelegateComputer 'adfs1.company.pri' -Force
        $null = New-ItemProperty -Path "HKLM:\$($script:FreshKey)" -Name 9 -Value 'wsman/scripted.company.pri'
        { Disable-WSManCredSSP -Role Client } | Should -Throw -ErrorId 'WsManError,Microsoft.WSMan.Management.DisableWSManCredSSPCommand' -ExpectedMessage 'This command cannot be executed because the setting cannot be disabled.'
        (Get-Item WSMan:\localhost\Client\Auth\CredSSP).Value | Should -Be 'false'
        @(Get-SpecPolRecords | Where-Object { $_.key -eq $script:FreshKey }).Count | Should -Be 0
        (Get-SpecRegValues $script:FreshKey)['9'] | Should -Be 'wsman/scripted.company.pri'
    }
}

Describe 'The CredSSP cmdlets not elevated' -Tag 'LabOnly', 'Why: the lab''s elevation switch (the spec runs elevated on Windows)' -Skip:$SpecSkipLabOnly {
    BeforeEach { $null = New-TestLab }

    It 'Error returned if runas non-admin: <Cmdline> (mirrors CredSSP.Tests.ps1 "CredSSP cmdlet error cases tests")' -TestCases @(
        @{ Cmdline = 'Enable-WSManCredSSP -Role Server -Force'; Cmd = 'EnableWSManCredSSPCommand' }
        @{ Cmdline = 'Disable-WSManCredSSP -Role Server'; Cmd = 'DisableWSManCredSSPCommand' }
        @{ Cmdline = 'Get-WSManCredSSP'; Cmd = 'GetWSmanCredSSPCommand' }
    ) {
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ elevated = $false } }
        [scriptblock]::Create($Cmdline) | Should -Throw -ErrorId "System.InvalidOperationException,Microsoft.WSMan.Management.$Cmd"
    }
}

Describe 'Test-WSMan (PingWSMan.cs)' {
    BeforeAll { Initialize-SpecSubject }
    AfterAll { Restore-SpecSubject }

    It '-Authentication for unsupported type should return error (mirrors TestWSMan.Tests.ps1)' {
        { Test-WSMan -Authentication foo -ErrorAction Stop } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,Microsoft.WSMan.Management.TestWSManCommand'
    }

    It 'Test-WSMan works for <TestName> (mirrors TestWSMan.Tests.ps1)' -TestCases @(
        @{ TestName = 'Null'; ComputerName = $null }
        @{ TestName = 'localhost'; ComputerName = 'localhost' }
        @{ TestName = 'computername'; ComputerName = '<this computer>' }
    ) {
        if ($ComputerName -eq '<this computer>') { $ComputerName = ([string](hostname)).Trim() }
        $response = Test-WSMan -ComputerName $ComputerName
        $response | Should -Not -BeNullOrEmpty
        $response.PSObject.TypeNames[0] | Should -Be 'System.Xml.XmlElement#http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd#IdentifyResponse'
        $response.wsmid | Should -Be 'http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd'
        $response.ProtocolVersion | Should -Be 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd'
        $response.ProductVendor | Should -Be 'Microsoft Corporation'
        $response.ProductVersion | Should -Be 'OS: 0.0.0 SP: 0.0 Stack: 3.0'
    }
}

Describe 'Errors of these commands look like a compiled cmdlet''s: exact id, the caller''s line, a stack that starts at the caller' {
    BeforeAll { Initialize-SpecSubject }
    AfterAll { Restore-SpecSubject }

    It '<Case>' -TestCases @(
        @{ Case = 'a terminating provider error (Set-Item $null)'; Name = 'Set-Item'; Id = 'System.ArgumentException,Microsoft.PowerShell.Commands.SetItemCommand'; Do = { Set-Item $script:TH $null -Force } }
        @{ Case = 'a non-terminating error stopped by -ErrorAction Stop (Get-Service)'; Name = 'Get-Service'; Id = 'NoServiceFoundForGivenName,Microsoft.PowerShell.Commands.GetServiceCommand'; Do = { Get-Service CredHopSpecNoSuchService -ErrorAction Stop } }
        @{ Case = 'a WSMan cmdlet''s error (Disable-WSManCredSSP, WinRM stopped)'; Name = 'Disable-WSManCredSSP'; Id = 'WsManError,Microsoft.WSMan.Management.DisableWSManCredSSPCommand'; Do = { Stop-Service WinRM; try { Disable-WSManCredSSP -Role Client } finally { Start-Service WinRM } } }
    ) {
        $e = Get-Caught $Do
        $e.FullyQualifiedErrorId | Should -BeExactly $Id
        $e.InvocationInfo.MyCommand.Name | Should -Be $Name
        $e.InvocationInfo.ScriptName | Should -Be $PSCommandPath
        $e.InvocationInfo.Line | Should -BeLike "*$Name*"
        $lab = [IO.Path]::Combine($script:RepoRoot, 'tests', 'lab')
        (($e.ScriptStackTrace -split "`n")[0]) | Should -BeLike "*$([IO.Path]::GetFileName($PSCommandPath))*"
        $e.ScriptStackTrace | Should -Not -BeLike "*$lab*"
    }
}
