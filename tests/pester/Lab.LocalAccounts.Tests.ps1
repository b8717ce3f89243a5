# The lab's local accounts (tests/lab/src/LabFile.ps1, Remoting.ps1): each host has its own accounts; a local
# account has no Kerberos, so every connection made with one is NTLM, with Windows' consequences; one host's
# local account means nothing on another. Runs on the shipped practice lab (tests/lab/local-accounts.json)
# with passwords added, so a wrong password is refused too.
BeforeDiscovery { . ([System.IO.Path]::Combine($PSScriptRoot, '..', 'spec', 'Subject.ps1')) }
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    $script:LabPath = [System.IO.Path]::Combine($script:RepoRoot, 'tests', 'lab', 'local-accounts.json')
    function New-LocalLab {
        param([string]$JumpTrustedHosts = 'mem2.company.pri')
        $lab = ConvertFrom-Json -InputObject ([System.IO.File]::ReadAllText($script:LabPath)) -AsHashtable
        $lab.hosts[1].localAccounts[0].password = 'adfs1-local-pw'
        $lab.hosts[2].localAccounts[0].password = 'mem2-local-pw'
        $lab.hosts[1].trustedHosts = $JumpTrustedHosts
        New-TestLab -Lab $lab
    }
    function New-Cred { param([string]$User, [string]$Password) [pscredential]::new($User, (ConvertTo-SecureString -String $Password -AsPlainText -Force)) }
    function Get-Failure {
        param([scriptblock]$Call)
        # the error record, whether the caller's preference makes it terminating (tests/pester/run.ps1: Stop) or not
        try { $out = & $Call 2>&1 } catch { return $_ }
        @($out | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })[0]
    }
    $script:Adfs1 = New-Cred 'ADFS1\Administrator' 'adfs1-local-pw'
    $script:Mem2 = New-Cred 'MEM2\Administrator' 'mem2-local-pw'
}

Describe 'Local accounts in the lab file' -Tag 'LabOnly', 'Why: the lab file format itself' -Skip:$SpecSkipLabOnly {
    It 'gives each host its own accounts and puts admin: true ones in that host''s Administrators' {
        $null = New-LocalLab
        (Get-LabHostView 'adfs1').admins | Should -Contain 'ADFS1\Administrator'
        (Get-LabHostView 'mem2').admins | Should -Contain 'MEM2\Administrator'
        (Get-LabHostView 'mem2').admins | Should -Not -Contain 'ADFS1\Administrator'
        (Get-LabView).accounts.name | Should -Not -Contain 'ADFS1\Administrator'
    }

    It 'refuses a host''s admins naming another host''s local account' {
        $lab = ConvertFrom-Json -InputObject ([System.IO.File]::ReadAllText($script:LabPath)) -AsHashtable
        $lab.hosts[2].admins = @('COMPANY\Administrator', 'ADFS1\Administrator')
        $r = Read-CredHopLine (Initialize-CredHopLab -Payload (ConvertTo-B64 @{ stateDir = (Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid())); lab = $lab; reset = $true }))
        $r.ok | Should -BeFalse
        $r.error.message | Should -BeLike "*hosts``[2``].admins``[1``]: unknown account 'ADFS1\Administrator'*"
    }
}

Describe 'A local account authenticates with NTLM only' -Tag 'LabOnly', 'Why: three machines of a domain, each with its own local accounts' -Skip:$SpecSkipLabOnly {
    BeforeEach { $null = New-LocalLab }

    It 'needs the destination in the caller''s TrustedHosts even by name (ServerNotTrusted), then works as that account' {
        $e = Get-Failure { Invoke-Command -ComputerName adfs1.company.pri -Credential $script:Adfs1 -ScriptBlock { whoami } }
        $e.FullyQualifiedErrorId | Should -Be 'ServerNotTrusted,PSSessionStateBroken'
        $e.Exception.ErrorCode | Should -Be -2144108316
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ trustedHosts = 'adfs1.company.pri' } }
        Invoke-Command -ComputerName adfs1.company.pri -Credential $script:Adfs1 -ScriptBlock { whoami } | Should -Be 'adfs1\administrator'
        # a domain account by name still uses Kerberos: no TrustedHosts needed
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ trustedHosts = '' } }
        Invoke-Command -ComputerName adfs1.company.pri -ScriptBlock { whoami } | Should -Be 'company\administrator'
    }

    It 'resolves .\name on the destination' {
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ trustedHosts = 'adfs1.company.pri' } }
        Invoke-Command -ComputerName adfs1.company.pri -Credential (New-Cred '.\Administrator' 'adfs1-local-pw') -ScriptBlock { whoami } | Should -Be 'adfs1\administrator'
    }

    It 'refuses another host''s local account, and a wrong password, with "Access is denied." (code 5) from the destination' {
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ trustedHosts = 'adfs1.company.pri,mem2.company.pri' } }
        foreach ($c in @($script:Mem2, (New-Cred 'ADFS1\Administrator' 'wrong'))) {
            $e = Get-Failure { Invoke-Command -ComputerName adfs1.company.pri -Credential $c -ScriptBlock { whoami } }
            $e.FullyQualifiedErrorId | Should -Be 'AccessDenied,PSSessionStateBroken'
            $e.Exception.ErrorCode | Should -Be 5
            $e.Exception.Message | Should -Be 'Connecting to remote server adfs1.company.pri failed with the following error message : Access is denied. For more information, see the about_Remote_Troubleshooting Help topic.'
        }
        Invoke-Command -ComputerName mem2.company.pri -Credential $script:Mem2 -ScriptBlock { whoami } | Should -Be 'mem2\administrator'
    }

    It 'CredSSP: TrustedHosts, then the NTLM-only list (E3), never the plain fresh list' {
        $null = Enable-WSManCredSSP -Role Client -DelegateComputer adfs1.company.pri -Force
        $null = Invoke-Command -ComputerName adfs1.company.pri -ScriptBlock { Enable-WSManCredSSP -Role Server -Force }
        $e = Get-Failure { Invoke-Command -ComputerName adfs1.company.pri -Authentication Credssp -Credential $script:Adfs1 -ScriptBlock { whoami } }
        $e.FullyQualifiedErrorId | Should -Be 'ServerNotTrusted,PSSessionStateBroken'
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ trustedHosts = 'adfs1.company.pri' } }
        $e = Get-Failure { Invoke-Command -ComputerName adfs1.company.pri -Authentication Credssp -Credential $script:Adfs1 -ScriptBlock { whoami } }
        $e.FullyQualifiedErrorId | Should -Be '-2144108124,PSSessionStateBroken'
        $k = "$script:CD\AllowFreshCredentialsWhenNTLMOnly"
        $null = New-Item -Path $k -Force
        $null = New-ItemProperty -Path $script:CD -Name AllowFreshCredentialsWhenNTLMOnly -Value 1 -PropertyType DWord -Force
        $null = New-ItemProperty -Path $k -Name 1 -Value 'wsman/adfs1.company.pri' -PropertyType String
        Invoke-Command -ComputerName adfs1.company.pri -Authentication Credssp -Credential $script:Adfs1 -ScriptBlock { whoami } | Should -Be 'adfs1\administrator'
    }

    It 'one hop further: the jump server''s own TrustedHosts decides the inner NTLM call, and delegated local credentials mean nothing on the target' {
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ trustedHosts = 'adfs1.company.pri' } }
        $inner = { param($c) Invoke-Command -ComputerName mem2.company.pri -Credential $c -ScriptBlock { whoami } }
        Invoke-Command -ComputerName adfs1.company.pri -Credential $script:Adfs1 -ScriptBlock $inner -ArgumentList $script:Mem2 | Should -Be 'mem2\administrator'
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'adfs1'; set = @{ trustedHosts = '' } }
        $e = Get-Failure { Invoke-Command -ComputerName adfs1.company.pri -Credential $script:Adfs1 -ScriptBlock $inner -ArgumentList $script:Mem2 }
        $e.FullyQualifiedErrorId | Should -Be 'ServerNotTrusted,PSSessionStateBroken'
        # CredSSP delegates ADFS1\Administrator; used as it is on mem2 it is refused there
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'adfs1'; set = @{ trustedHosts = 'mem2.company.pri' } }
        $k = "$script:CD\AllowFreshCredentialsWhenNTLMOnly"
        $null = New-Item -Path $k -Force
        $null = New-ItemProperty -Path $script:CD -Name AllowFreshCredentialsWhenNTLMOnly -Value 1 -PropertyType DWord -Force
        $null = New-ItemProperty -Path $k -Name 1 -Value 'wsman/adfs1.company.pri' -PropertyType String
        $null = Set-Item WSMan:\localhost\Client\Auth\CredSSP -Value true -Force
        $null = Invoke-Command -ComputerName adfs1.company.pri -ScriptBlock { Enable-WSManCredSSP -Role Server -Force }
        $e = Get-Failure { Invoke-Command -ComputerName adfs1.company.pri -Authentication Credssp -Credential $script:Adfs1 -ScriptBlock { Invoke-Command -ComputerName mem2.company.pri -ScriptBlock { whoami } } }
        $e.FullyQualifiedErrorId | Should -Be 'AccessDenied,PSSessionStateBroken'
    }
}
