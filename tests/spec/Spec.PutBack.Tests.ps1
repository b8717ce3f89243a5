# The spec's own promise, on both subjects: what a spec block changes on this machine, the spec puts back
# exactly (tests/spec/MachineState.ps1). The loopback hop relies on the same snapshot and comparison.
BeforeDiscovery { . ([System.IO.Path]::Combine($PSScriptRoot, 'Subject.ps1')) }
BeforeAll { . ([System.IO.Path]::Combine($PSScriptRoot, '..', 'pester', 'TestHelpers.ps1')) }

Describe 'The spec puts back what it changed' {
    BeforeAll { Initialize-SpecSubject }
    AfterAll { Restore-SpecSubject }

    It 'a snapshot equals itself, and a changed value is named with its before and after' {
        $a = Get-SpecMachineState
        @(Compare-SpecMachineState $a (Get-SpecMachineState)) | Should -BeNullOrEmpty
        Set-Item -Path WSMan:\localhost\Client\TrustedHosts -Value 'spec.example' -Force
        $diff = @(Compare-SpecMachineState $a (Get-SpecMachineState))
        $diff | Should -Be @('wsman > trustedHosts: ' + (ConvertTo-Json -InputObject $a.wsman.trustedHosts -Compress) + ' -> "spec.example"')
        # WinRM's own registry keys are in the snapshot too, compared only when asked
        @(Compare-SpecMachineState $a (Get-SpecMachineState) -WithWinRMRegistry | Where-Object { $_.StartsWith('winrmRegistry') }).Count | Should -BeGreaterThan 0
        Set-Item -Path WSMan:\localhost\Client\TrustedHosts -Value $a.wsman.trustedHosts -Force
    }

    It 'puts back the delegation policy, the local GPO, both flags, TrustedHosts, a task and the WinRM service' {
        $before = Get-SpecMachineState
        Enable-WSManCredSSP -Role Client -DelegateComputer spec1.example, spec2.example -Force | Out-Null
        Enable-WSManCredSSP -Role Server -Force | Out-Null
        $cd = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation'
        $null = New-Item -Path "$cd\AllowFreshCredentialsWhenNTLMOnly" -Force
        $null = New-ItemProperty -Path "$cd\AllowFreshCredentialsWhenNTLMOnly" -Name '1' -Value 'wsman/192.0.2.1' -PropertyType String -Force
        $null = New-ItemProperty -Path $cd -Name 'AllowFreshCredentialsWhenNTLMOnly' -Value 1 -PropertyType DWord -Force
        Set-Item -Path WSMan:\localhost\Client\TrustedHosts -Value '192.0.2.1' -Force
        $action = New-ScheduledTaskAction -Execute 'C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe' -Argument '-NoProfile -Command exit'
        $null = Register-ScheduledTask -TaskName 'CredHopSpec put-back' -Action $action -Trigger (New-ScheduledTaskTrigger -Once -At ([datetime]::Now.AddHours(2))) -Principal (New-ScheduledTaskPrincipal -UserId 'NT AUTHORITY\SYSTEM' -RunLevel Highest) -Force
        Set-Service -Name WinRM -StartupType Manual
        $changed = @(Compare-SpecMachineState $before (Get-SpecMachineState))
        # the comparison sees each kind of change (so "nothing differs" below means something)
        foreach ($part in 'registry > SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation', 'localGpo > registryPol', 'wsman > clientCredSSP', 'wsman > serviceCredSSP', 'wsman > trustedHosts', 'tasks', 'winrmService > startType') {
            @($changed | Where-Object { $_.StartsWith($part) }).Count | Should -BeGreaterThan 0 -Because $part
        }
        Stop-Service -Name WinRM -Force
        $left = @(Restore-SpecMachineState $before)
        $left | Should -BeNullOrEmpty
        @(Compare-SpecMachineState $before (Get-SpecMachineState)) | Should -BeNullOrEmpty
        (Get-Service -Name WinRM).Status | Should -Be 'Running'
        @(Get-WSManCredSSP)[1] | Should -BeLike '*not configured to receive*'
    }
}
