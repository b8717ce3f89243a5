# The scheduled restore's primitives on the lab: bad input refused in plain words with nothing
# registered; RunRestorePlan restores what it knows, leaves alone what changed since, reports the rest.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $script:ProductManifest -Force
    $script:Sid = '0b0e7f4e-2f7c-4c1e-9a53-0d4f2e7c1b66'
    function New-Plan { param($Steps = @(), [string]$Session = $script:Sid) @{ version = 1; session = $Session; machine = 'client'; computerName = 'dc1'; expiresAt = '2030-01-01T00:00:00.000Z'; steps = @($Steps) } }
}

Describe 'ArmRestoreTask refuses bad input, registering nothing' {
    BeforeEach { $null = New-TestLab }

    It 'refuses <Case>' -TestCases @(
        @{ Case = 'a session id that is not a GUID'; Payload = { @{ session = "x'; Remove-Item C:\"; expiresAt = '2030-01-01T00:00:00.000Z'; plan = (New-Plan) } }; Expect = 'payload.session: expected a session id*' }
        @{ Case = 'an expiry that is not UTC'; Payload = { @{ session = $script:Sid; expiresAt = '2030-01-01T00:00:00+02:00'; plan = (New-Plan) } }; Expect = 'payload.expiresAt: expected an ISO time in UTC*' }
        @{ Case = 'a plan for another session'; Payload = { @{ session = $script:Sid; expiresAt = '2030-01-01T00:00:00.000Z'; plan = (New-Plan -Session 'ffffffff-0000-4000-8000-000000000000') } }; Expect = "payload.plan.session: must be the task's session" }
        @{ Case = 'a step without a kind'; Payload = { @{ session = $script:Sid; expiresAt = '2030-01-01T00:00:00.000Z'; plan = (New-Plan @(@{ list = 'fresh' })) } }; Expect = 'payload.plan.steps: each step is an object with a kind*' }
    ) {
        $r = Invoke-Prim 'ArmRestoreTask' (& $Payload)
        $r.ok | Should -BeFalse
        $r.error.kind | Should -Be 'invalid-payload'
        $r.error.message | Should -BeLike $Expect
        @((Get-LabHostView 'dc1').scheduledTasks).Count | Should -Be 0
        @((Get-LabHostView 'dc1').credhopFiles).Count | Should -Be 0
    }

    It 'registers nothing and leaves no files when Task Scheduler refuses (not elevated)' {
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ elevated = $false } }
        $r = Invoke-Prim 'ArmRestoreTask' @{ session = $script:Sid; expiresAt = '2030-01-01T00:00:00.000Z'; plan = (New-Plan) }
        $r.ok | Should -BeFalse
        $r.error.message | Should -Be 'Access is denied.'
        @((Get-LabHostView 'dc1').credhopFiles).Count | Should -Be 0
    }
}

Describe 'RunRestorePlan' {
    BeforeEach { $null = New-TestLab }

    It 'restores the steps it knows and reports a kind it does not know (one a newer CredHop added)' {
        $null = Invoke-Prim 'SetWinRMFlag' @{ role = 'client'; enabled = $true }
        $r = Invoke-Prim 'RunRestorePlan' (New-Plan @(@{ kind = 'firewall-rule'; value = 'adfs1' }, @{ kind = 'client-credssp'; enabled = $false; expect = $true }))
        $r.ok | Should -BeTrue
        @($r.data.restored) | Should -Be @("CredSSP in this computer's WinRM client set back to false")
        @($r.data.notKnown)[0] | Should -BeLike 'firewall-rule: this scheduled restore does not know how to put it back*'
        $r.data.complete | Should -BeFalse
        (Get-LabHostView 'dc1').clientCredSSP | Should -BeFalse
    }

    It 'puts TrustedHosts back exactly while it is what CredHop left, starting WinRM for it and stopping it again' {
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ trustedHosts = 'srv9,192.168.10.11'; winrm = $false; winrmStartType = 'Manual' } }
        $r = Invoke-Prim 'RunRestorePlan' (New-Plan @(@{ kind = 'trusted-hosts'; value = 'srv9'; expect = 'srv9,192.168.10.11'; known = @('192.168.10.11') }))
        $r.ok | Should -BeTrue
        @($r.data.failed).Count | Should -Be 0
        $r.data.complete | Should -BeTrue
        (Get-LabHostView 'dc1').trustedHosts | Should -BeExactly 'srv9'
        (Get-LabHostView 'dc1').winrm | Should -BeFalse
    }

    It "takes out only CredHop's entry from a TrustedHosts list someone changed since, and says so" {
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ trustedHosts = '192.168.10.11,theirs.company.pri' } }
        $r = Invoke-Prim 'RunRestorePlan' (New-Plan @(@{ kind = 'trusted-hosts'; value = ''; expect = '192.168.10.11'; known = @('192.168.10.11') }))
        $r.ok | Should -BeTrue
        (Get-LabHostView 'dc1').trustedHosts | Should -BeExactly 'theirs.company.pri'
        @($r.data.leftAlone)[0] | Should -BeLike 'TrustedHosts was changed since CredHop set it*'
    }

    It 'starts a WinRM stopped by a restart to set the flag back, then stops it again' {
        $null = Invoke-Prim 'SetWinRMFlag' @{ role = 'client'; enabled = $true }
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ winrm = $false; winrmStartType = 'Manual' } }
        $r = Invoke-Prim 'RunRestorePlan' (New-Plan @(
                @{ kind = 'client-credssp'; enabled = $false; expect = $true },
                @{ kind = 'winrm-service'; running = $false; startType = 'Manual'; expect = @{ status = 'Running'; startType = 'Manual' } }))
        $r.ok | Should -BeTrue
        (Get-LabHostView 'dc1').clientCredSSP | Should -BeFalse
        (Get-LabHostView 'dc1').winrm | Should -BeFalse
        @($r.data.failed).Count | Should -Be 0
        $r.data.complete | Should -BeTrue
    }

    It 'leaves the WinRM service alone when someone changed its start type since' {
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ winrmStartType = 'Automatic' } }
        $r = Invoke-Prim 'RunRestorePlan' (New-Plan @(@{ kind = 'winrm-service'; running = $false; startType = 'Manual'; expect = @{ status = 'Running'; startType = 'Manual' } }))
        @($r.data.leftAlone)[0] | Should -BeLike "The WinRM service's start type was changed since CredHop started it (now Automatic)*"
        (Get-LabHostView 'dc1').winrm | Should -BeTrue
    }

    It 'says "absent" for a switch it removed, in the words of CredHop''s own restore (never a blank)' {
        $null = Invoke-Prim 'AddDelegation' @{ list = 'fresh'; spn = 'wsman/adfs1.company.pri' }
        $null = Invoke-Prim 'RemoveDelegation' @{ list = 'fresh'; entries = @(@{ name = '1'; value = 'wsman/adfs1.company.pri' }) }
        $r = Invoke-Prim 'RunRestorePlan' (New-Plan @(@{ kind = 'set-delegation-flags'; list = 'fresh'; allow = $null; concatenate = $null; removeEmptyListKey = $true; removeEmptyKey = $true; store = 'both'; expect = @{ allow = 1; concatenate = 1 }; known = @('wsman/adfs1.company.pri') }))
        @($r.data.restored) | Should -Be @("AllowFreshCredentials's switches set back (allow=absent, concatenate=absent)")
    }

    It 'never switches a list off under entries CredHop did not add (another session''s or someone else''s)' {
        $null = Invoke-Prim 'AddDelegation' @{ list = 'fresh'; spn = 'wsman/other.company.pri' }
        $r = Invoke-Prim 'RunRestorePlan' (New-Plan @(@{ kind = 'set-delegation-flags'; list = 'fresh'; allow = $null; concatenate = $null; removeEmptyListKey = $true; removeEmptyKey = $true; store = 'both'; expect = @{ allow = 1; concatenate = 1 }; known = @('wsman/adfs1.company.pri') }))
        @($r.data.leftAlone)[0] | Should -Be 'AllowFreshCredentials stays on: it still lists wsman/other.company.pri, which CredHop did not add'
        (Get-RegValues dc1 $script:CDKey).AllowFreshCredentials | Should -Be 1
    }
}

Describe 'The task on a laptop unplugged at its time' {
    BeforeEach { $null = New-TestLab }

    It 'starts on batteries and restores (Windows'' defaults would not start it at all)' {
        $null = Invoke-Prim 'SetWinRMFlag' @{ role = 'client'; enabled = $true }
        $at = [datetime]::UtcNow.AddMinutes(10).ToString('yyyy-MM-ddTHH:mm:ss.fffZ')
        $r = Invoke-Prim 'ArmRestoreTask' @{ session = $script:Sid; expiresAt = $at; plan = (New-Plan @(@{ kind = 'client-credssp'; enabled = $false; expect = $true })) }
        $r.ok | Should -BeTrue
        $task = @((Get-LabHostView 'dc1').scheduledTasks)[0]
        $task.allowOnBatteries | Should -BeTrue
        $task.stopOnBatteries | Should -BeFalse
        $task.executionTimeLimit | Should -Be 'PT15M'
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ power = 'battery' } }
        $ran = @((Invoke-Lab Move-CredHopLabClock @{ host = 'dc1'; by = 1200 }).ran)
        @($ran.result) | Should -Be @(0)
        (Get-LabHostView 'dc1').clientCredSSP | Should -BeFalse
    }
}

Describe 'ProgramData\CredHop: folders a user could plant first' {
    BeforeEach {
        $null = New-TestLab
        $script:Arm = { Invoke-Prim 'ArmRestoreTask' @{ session = $script:Sid; expiresAt = [datetime]::UtcNow.AddMinutes(10).ToString('yyyy-MM-ddTHH:mm:ss.fffZ'); plan = (New-Plan @(@{ kind = 'client-credssp'; enabled = $false; expect = $true })) } }
        $script:CredHopDir = [IO.Path]::Combine($env:ProgramData, 'CredHop')
    }

    It 'refuses ProgramData\CredHop\Restore planted as a junction, scheduling nothing and writing nothing where it points' {
        $theirs = [IO.Path]::Combine($env:ProgramData, 'Users-Stuff'); [void][IO.Directory]::CreateDirectory($theirs)
        [void][IO.Directory]::CreateDirectory($script:CredHopDir)
        $null = New-Item -ItemType SymbolicLink -Path ([IO.Path]::Combine($script:CredHopDir, 'Restore')) -Target $theirs
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ fileOwners = @{ 'Users-Stuff' = 'COMPANY\jdoe' } } }
        $r = & $script:Arm
        $r.ok | Should -BeFalse
        $r.error.message | Should -BeLike '*Restore is a junction or link, not a folder*Nothing was scheduled*'
        @((Get-LabHostView 'dc1').scheduledTasks).Count | Should -Be 0
        @([IO.Directory]::GetFileSystemEntries($theirs)).Count | Should -Be 0
    }

    It 'refuses ProgramData\CredHop created first by a user (it stays theirs after any Set-Acl)' {
        [void][IO.Directory]::CreateDirectory($script:CredHopDir)
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ fileOwners = @{ 'CredHop' = 'COMPANY\jdoe' } } }
        $r = & $script:Arm
        $r.ok | Should -BeFalse
        $r.error.message | Should -BeLike '*CredHop is owned by COMPANY\jdoe, not by Administrators or SYSTEM*'
        @((Get-LabHostView 'dc1').scheduledTasks).Count | Should -Be 0
    }

    It 'the task''s script checks the same before it runs anything: a folder a user took over after arming runs nothing' {
        $null = Invoke-Prim 'SetWinRMFlag' @{ role = 'client'; enabled = $true }
        (& $script:Arm).ok | Should -BeTrue
        $null = Invoke-Lab Set-CredHopLabHost @{ host = 'dc1'; set = @{ fileOwners = @{ 'CredHop/Outcomes' = 'COMPANY\jdoe' } } }
        $ran = @((Invoke-Lab Move-CredHopLabClock @{ host = 'dc1'; by = 1200 }).ran)
        $ran[0].result | Should -Not -Be 0
        ($ran[0].output -join "`n") | Should -BeLike '*Outcomes is not owned by Administrators or SYSTEM: refusing*'
        (Get-LabHostView 'dc1').clientCredSSP | Should -BeTrue
        [IO.File]::Exists([IO.Path]::Combine($script:CredHopDir, 'Outcomes', $script:Sid + '.json')) | Should -BeFalse
    }
}

Describe 'RestoreServer: a jump server put back over one call' {
    BeforeEach { $null = New-TestLab }

    It 'removes the session''s scheduled restore there, sets the flag back and answers the tasks left, each part on its own' {
        $remote = { param($A) Invoke-Prim 'InvokeRemote' @{ computerName = 'adfs1.company.pri'; authentication = 'Default'; credential = $null; script = $args[0]; arguments = $A } }
        $null = & $remote @{ enabled = $true } 'SetServiceFlag'
        $plan = @{ version = 1; session = $script:Sid; machine = 'server'; computerName = 'adfs1.company.pri'; expiresAt = '2030-01-01T00:00:00.000Z'; steps = @(@{ kind = 'server-credssp'; enabled = $false; expect = $true }) }
        (& $remote @{ session = $script:Sid; expiresAt = '2030-01-01T00:00:00.000Z'; plan = $plan } 'ArmRestoreTask').ok | Should -BeTrue
        @((Get-LabHostView 'adfs1').scheduledTasks).Count | Should -Be 1

        $r = & $remote @{ session = $script:Sid; enabled = $false } 'RestoreServer'
        $r.ok | Should -BeTrue
        @($r.data.errors).Count | Should -Be 0
        $parts = @{}; foreach ($o in $r.data.output) { $parts[$o.part] = $o }
        $parts['disarm'].done | Should -BeTrue
        $parts['disarm'].taskRemoved | Should -BeTrue
        $parts['flag'].before | Should -BeTrue
        $parts['flag'].after | Should -BeFalse
        $parts['flag'].error | Should -BeNullOrEmpty
        @($parts['tasks'].tasks).Count | Should -Be 0
        (Get-LabHostView 'adfs1').serviceCredSSP | Should -BeFalse
        @((Get-LabHostView 'adfs1').scheduledTasks).Count | Should -Be 0
        @((Get-LabHostView 'adfs1').credhopFiles).Count | Should -Be 0
    }

    It 'with no session and no flag to set, only reads the flag (and removes nothing)' {
        $r = Invoke-Prim 'InvokeRemote' @{ computerName = 'adfs1.company.pri'; authentication = 'Default'; credential = $null; script = 'RestoreServer'; arguments = @{ session = $null; enabled = $null } }
        $r.ok | Should -BeTrue
        $parts = @{}; foreach ($o in $r.data.output) { $parts[$o.part] = $o }
        $parts['disarm'].done | Should -BeFalse
        $parts['flag'].after | Should -BeFalse
    }

    It 'refuses a session id that is not a GUID before connecting' {
        $r = Invoke-Prim 'InvokeRemote' @{ computerName = 'adfs1.company.pri'; authentication = 'Default'; credential = $null; script = 'RestoreServer'; arguments = @{ session = "x'; Remove-Item C:\"; enabled = $false } }
        $r.ok | Should -BeFalse
        $r.error.kind | Should -Be 'invalid-payload'
        $r.error.message | Should -BeLike 'payload.arguments.session: expected a session id*'
    }
}
