# The lab at estate scale: Invoke-Command -ComputerName <many> -ThrottleLimit N runs hosts concurrently,
# streams results with PSComputerName, reports per-host errors with Windows' ids and codes, honours
# New-PSSessionOption's OpenTimeout, and resolves names (Resolve-DnsName) for the lab's hosts only.
BeforeDiscovery { . ([System.IO.Path]::Combine($PSScriptRoot, '..', 'spec', 'Subject.ps1')) }   # the spec's subject: tests/spec/README.md
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    function New-FanOutLab {
        param([int]$Count, [int]$LatencyMs)
        $hosts = @(@{ name = 'dc1' })
        foreach ($i in 1..$Count) { $hosts += @{ name = "srv$i"; credssp = @{ client = $false; service = ($i % 2 -eq 0) } } }
        $hosts += @{ name = 'down1'; reachable = $false }
        $hosts += @{ name = 'deny1'; admins = @() }
        $hosts += @{ name = 'slow1'; latencyMs = 4000 }
        New-TestLab -Lab @{ domain = 'company.pri'; client = 'dc1'; latencyMs = $LatencyMs; hosts = $hosts }
    }
    $script:Probe = { [pscustomobject]@{ flag = [string](Get-Item WSMan:\localhost\Service\Auth\CredSSP).Value; me = (hostname) } }
}

Describe 'Invoke-Command over many computers' -Tag 'LabOnly', 'Why: needs an estate of lab machines' -Skip:$SpecSkipLabOnly {
    It 'answers every host once, each result carrying PSComputerName as typed, and errors per host with Windows'' ids' {
        $null = New-FanOutLab -Count 6 -LatencyMs 0
        $names = @('srv1', 'SRV2.company.pri', 'srv3', 'srv4', 'srv5', 'srv6', 'down1', 'deny1', 'nope1')
        $out = @(Invoke-Command -ComputerName $names -ThrottleLimit 4 -ErrorAction Continue -ScriptBlock $script:Probe 2>&1)
        $ok = @($out | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] })
        $errs = @($out | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        $ok.Count | Should -Be 6
        ($ok | Where-Object { $_.PSComputerName -eq 'SRV2.company.pri' }).me | Should -Be 'srv2'
        ($ok | Where-Object { $_.PSComputerName -eq 'srv3' }).flag | Should -Be 'false'
        ($ok | Where-Object { $_.PSComputerName -eq 'srv4' }).flag | Should -Be 'true'
        $byHost = @{}; foreach ($e in $errs) { $byHost[[string]$e.TargetObject] = $e }
        $byHost['down1'].FullyQualifiedErrorId | Should -Be 'WinRMOperationTimeout,PSSessionStateBroken'
        $byHost['down1'].Exception.ErrorCode | Should -Be -2144108250
        $byHost['deny1'].FullyQualifiedErrorId | Should -Be 'AccessDenied,PSSessionStateBroken'
        $byHost['deny1'].Exception.ErrorCode | Should -Be 5
        $byHost['nope1'].FullyQualifiedErrorId | Should -Be 'ComputerNotFound,PSSessionStateBroken'
        $byHost['nope1'].Exception.Message | Should -BeLike 'Connecting to remote server nope1 failed with the following error message : WinRM cannot complete the operation.*'
        # every attempt that resolved is counted, once
        $c = (Get-LabView).counters.connections
        $c.srv1 | Should -Be 1
        $c.down1 | Should -Be 1
        # the lab's own account of the call (what the bench reports as the lab's work per host)
        $f = (Invoke-Lab Get-CredHopLabState @{ fanOut = $true }).fanOut
        $f.hosts | Should -Be 9
        $f.ran | Should -Be 6
        $f.runMs | Should -BeGreaterThan 0
        $f.wallMs | Should -BeGreaterOrEqual $f.runMs
    }

    # No timed assertions (the machine is shared and slow): concurrency shows in the order results arrive.
    It 'runs hosts concurrently and streams: behind a slow host, a fast one answers first at throttle 2, not at throttle 1' {
        $null = New-FanOutLab -Count 1 -LatencyMs 0
        $two = @(Invoke-Command -ComputerName 'slow1', 'srv1' -ThrottleLimit 2 -ScriptBlock $script:Probe | ForEach-Object { $_.PSComputerName })
        $two | Should -Be @('srv1', 'slow1')
        $one = @(Invoke-Command -ComputerName 'slow1', 'srv1' -ThrottleLimit 1 -ScriptBlock $script:Probe | ForEach-Object { $_.PSComputerName })
        $one | Should -Be @('slow1', 'srv1')
    }

    It 'gives up on a host after New-PSSessionOption''s OpenTimeout, as WinRM does' {
        $null = New-FanOutLab -Count 1 -LatencyMs 0
        $so = New-PSSessionOption -OpenTimeout 500 -OperationTimeout 60000
        $so.OpenTimeout.TotalMilliseconds | Should -Be 500
        $out = @(Invoke-Command -ComputerName 'srv1', 'slow1', 'down1' -SessionOption $so -ErrorAction Continue -ScriptBlock $script:Probe 2>&1)
        @($out | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] } | ForEach-Object PSComputerName) | Should -Be @('srv1')
        $errs = @($out | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        @($errs | ForEach-Object { [string]$_.TargetObject } | Sort-Object) | Should -Be @('down1', 'slow1')
        @($errs | ForEach-Object FullyQualifiedErrorId | Sort-Object -Unique) | Should -Be @('WinRMOperationTimeout,PSSessionStateBroken')
    }

    It 'gives each host a fresh runspace: a variable one host''s script set is not seen by the next' {
        $null = New-FanOutLab -Count 4 -LatencyMs 0
        $out = @(Invoke-Command -ComputerName 'srv1', 'srv2', 'srv3', 'srv4' -ThrottleLimit 1 -ScriptBlock { $seen = $leftOver; $leftOver = hostname; [pscustomobject]@{ seen = $seen } })
        @($out | Where-Object { $null -ne $_.seen }).Count | Should -Be 0
    }

    It 'keeps the session state of one host from the next: functions, the HKLM: location and the real one' {
        $null = New-FanOutLab -Count 2 -LatencyMs 0
        $here = (Get-Location).Path
        $out = @(Invoke-Command -ComputerName 'srv1', 'srv2' -ThrottleLimit 1 -ScriptBlock {
                $o = [pscustomobject]@{ me = (hostname); fn = [bool](Test-Path function:Left-Over); at = [string](Get-Location) }
                function global:Left-Over { 1 }
                Set-Location HKLM:\SOFTWARE
                $o
            })
        $out.Count | Should -Be 2
        @($out | Where-Object { $_.fn }).Count | Should -Be 0
        ($out | Where-Object { $_.me -eq 'srv2' }).at | Should -Be $here
    }

    It 'keeps no more than ThrottleLimit connections open: at throttle 2 a third host waits for a slot' {
        $hosts = @(@{ name = 'dc1' }, @{ name = 'slow1'; latencyMs = 1500 }, @{ name = 'slow2'; latencyMs = 1500 }, @{ name = 'fast1' })
        $null = New-TestLab -Lab @{ domain = 'company.pri'; client = 'dc1'; hosts = $hosts }
        $two = @(Invoke-Command -ComputerName 'slow1', 'slow2', 'fast1' -ThrottleLimit 2 -ScriptBlock $script:Probe | ForEach-Object { $_.PSComputerName })
        # (the two slow hosts answer at the same moment, in either order, as two machines would)
        $two.Count | Should -Be 3
        $two[2] | Should -Be 'fast1'
        $three = @(Invoke-Command -ComputerName 'slow1', 'slow2', 'fast1' -ThrottleLimit 3 -ScriptBlock $script:Probe | ForEach-Object { $_.PSComputerName })
        $three.Count | Should -Be 3
        $three[0] | Should -Be 'fast1'
    }

    It 'stops when the caller stops: what arrived is kept and nothing it opened is left open' {
        $dir = New-FanOutLab -Count 2 -LatencyMs 0
        $before = @(Get-Runspace).Count
        $rs = [runspacefactory]::CreateRunspace(); $rs.Open()
        $ps = [powershell]::Create(); $ps.Runspace = $rs
        $null = $ps.AddCommand('Import-Module').AddParameter('Name', $script:LabManifest).AddParameter('Global').AddParameter('Force').Invoke()
        $ps.Commands.Clear()
        $null = $ps.AddCommand('Initialize-CredHopLab').AddParameter('Payload', (ConvertTo-B64 @{ stateDir = $dir })).Invoke()
        $ps.Commands.Clear()
        $null = $ps.AddScript('Invoke-Command -ComputerName srv1, slow1, srv2 -ThrottleLimit 3 -ScriptBlock { [pscustomobject]@{ me = (hostname) } }')
        $out = [System.Management.Automation.PSDataCollection[psobject]]::new()
        $async = $ps.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $out)
        # slow1 answers 4 s after the other two: stop once they are in
        $tries = 0
        while ($out.Count -lt 2 -and -not $async.IsCompleted -and $tries -lt 1200) { Start-Sleep -Milliseconds 50; $tries++ }
        $ps.Stop()
        $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        @($out | ForEach-Object { $_.PSComputerName } | Sort-Object) | Should -Be @('srv1', 'srv2')
        $ps.Dispose(); $rs.Dispose()
        @(Get-Runspace).Count | Should -Be $before
    }

    It 'passes arguments and $using: values to every host' {
        $null = New-FanOutLab -Count 3 -LatencyMs 0
        $word = 'hello'
        $out = @(Invoke-Command -ComputerName 'srv1', 'srv2', 'srv3' -ArgumentList 7 -ScriptBlock { param($n) "$using:word $n $(hostname)" })
        @($out | Sort-Object) | Should -Be @('hello 7 srv1', 'hello 7 srv2', 'hello 7 srv3')
    }
}

Describe 'Resolve-DnsName' -Tag 'LabOnly', 'Why: resolves the lab''s own names' -Skip:$SpecSkipLabOnly {
    It 'resolves a lab host by name, FQDN or address and refuses any other name as Windows does' {
        $null = New-TestLab
        (Resolve-DnsName 'adfs1').Name | Should -Be 'adfs1.company.pri'
        (Resolve-DnsName 'MEM2.company.pri').Name | Should -Be 'mem2.company.pri'
        $e = Resolve-DnsName 'gone.company.pri' -ErrorAction SilentlyContinue -ErrorVariable ev
        $e | Should -BeNullOrEmpty
        $ev[0].FullyQualifiedErrorId | Should -Be 'DNS_ERROR_RCODE_NAME_ERROR,Microsoft.DnsClient.Commands.ResolveDnsName'
        $ev[0].Exception.NativeErrorCode | Should -Be 9003
        $ev[0].Exception.Message | Should -Be 'gone.company.pri : DNS name does not exist'
    }
}
