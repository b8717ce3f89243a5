# The spec's subject plumbing, checked here where Windows is not: what the Windows subject would run and skip
# (tests/spec/run.ps1 -ListOnly runs discovery only and changes nothing).
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $runner = [System.IO.Path]::Combine($script:RepoRoot, 'tests', 'spec', 'run.ps1')
    $script:Windows = @(& $script:Pwsh -NoProfile -NonInteractive -File $runner -Subject windows -ListOnly)
}

Describe 'The Windows-behaviour spec''s subjects' {
    It 'on Windows, every skipped test says why, and nothing the lab alone can answer is run' {
        $skips = @($script:Windows | Where-Object { $_ -like 'SKIP on windows:*' })
        $skips.Count | Should -BeGreaterThan 10
        @($skips | Where-Object { $_ -like '*no reason given*' }) | Should -BeNullOrEmpty
        $runs = @($script:Windows | Where-Object { $_ -like 'RUN  on windows:*' })
        $runs | Should -Contain 'RUN  on windows: WSMan: drive and HKLM: registry.creates, reads, changes and deletes keys and values under HKLM:'
        $runs | Should -Contain 'RUN  on windows: The spec puts back what it changed.puts back the delegation policy, the local GPO, both flags, TrustedHosts, a task and the WinRM service'
        @($runs | Where-Object { $_ -like '*Lab file.*' -or $_ -like '*Counters and faults*' -or $_ -like '*The clock:*' }) | Should -BeNullOrEmpty
        # a file that has not joined the Windows subject is named, not silently left out
        foreach ($line in @($script:Windows | Where-Object { $_ -like '*NOT RUN on Windows:*' })) { $line | Should -Match 'has not joined the Windows subject' }
    }
}
