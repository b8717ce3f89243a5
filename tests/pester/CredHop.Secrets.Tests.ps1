# The secret channel (src/Secrets.ps1) on real pipes, and a static guard over the module's source:
# no path by which a password can become command text or a parameter binding (what PowerShell logs).
BeforeDiscovery { . (Join-Path $PSScriptRoot 'TestHelpers.ps1') }
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $script:ProductManifest -Force
    $script:Module = Get-Module CredHop
    function Set-Wait([int]$Ms) { & $script:Module { param($v) $script:SecretWaitMs = $v } $Ms }
}

Describe 'The secret channel' {
    BeforeAll {
        $lab = Get-DefaultLab
        $script:Pw = "Pw-ünï'`"`$(x)``;-" + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $lab.accounts = @(@{ name = 'COMPANY\Administrator'; password = $script:Pw })
        $null = New-TestLab -Lab $lab
    }
    AfterEach { Set-Wait 15000 }

    It 'carries a non-ASCII, quote-laden password intact: the lab accepts it, and rejects it one character off' {
        $ok = Invoke-Prim InvokeRemote @{ computerName = 'adfs1.company.pri'; authentication = 'Negotiate'; credential = @{ userName = 'COMPANY\Administrator'; password = $script:Pw }; script = 'Whoami'; arguments = @{} }
        $ok.ok | Should -BeTrue
        @($ok.data.errors).Count | Should -Be 0
        $bad = Invoke-Prim InvokeRemote @{ computerName = 'adfs1.company.pri'; authentication = 'Negotiate'; credential = @{ userName = 'COMPANY\Administrator'; password = $script:Pw.Substring(1) }; script = 'Whoami'; arguments = @{} }
        $bad.data.errors[0].errorCode | Should -Be 1326
    }

    It 'carries two secrets in one call (the jump account and the target account of the explicit test)' {
        $d = (Invoke-Prim InvokeRemote @{ computerName = 'adfs1.company.pri'; authentication = 'Negotiate'; credential = @{ userName = 'COMPANY\Administrator'; password = $script:Pw }; script = 'ProbeExplicit'; arguments = @{ target = 'mem2'; targetCredential = @{ userName = 'COMPANY\Administrator'; password = $script:Pw } } }).data
        @($d.errors).Count | Should -Be 0
        $d.output[0].computerName | Should -Be 'mem2'
    }

    It 'is a clear error, never a fallback, when nobody hands over the secret' {
        Set-Wait 300
        $p = ConvertTo-B64 @{ computerName = 'adfs1'; authentication = 'Negotiate'; credential = @{ userName = 'COMPANY\Administrator'; secret = 0 }; script = 'Whoami'; arguments = @{} }
        $r = Read-CredHopLine @(Invoke-CredHop -Primitive InvokeRemote -Payload $p -SecretChannel '0123456789abcdef')
        $r.ok | Should -BeFalse
        $r.error.kind | Should -Be 'secret-channel'
        $r.error.message | Should -Match 'did not hand over the password'
    }

    It 'refuses a frame that is not CredHop''s, and a PowerShell started without a channel prefix' {
        $id = 'fedcba9876543210'
        $ps = [powershell]::Create()
        $null = $ps.AddScript({ param($Path) for ($i = 0; $i -lt 400; $i++) { $c = New-Object System.IO.Pipes.NamedPipeClientStream -ArgumentList '.', $Path, ([System.IO.Pipes.PipeDirection]::Out); try { $c.Connect(20); $c.Write([byte[]](1, 2, 3, 4, 5, 6), 0, 6); return } catch { Start-Sleep -Milliseconds 5 } finally { $c.Dispose() } } }).AddArgument($env:CREDHOP_SECRET_CHANNEL + '-' + $id)
        $null = $ps.BeginInvoke()
        $p = ConvertTo-B64 @{ computerName = 'adfs1'; authentication = 'Negotiate'; credential = @{ userName = 'COMPANY\Administrator'; secret = 0 }; script = 'Whoami'; arguments = @{} }
        try { $r = Read-CredHopLine @(Invoke-CredHop -Primitive InvokeRemote -Payload $p -SecretChannel $id) } finally { $ps.Dispose() }
        $r.error.kind | Should -Be 'secret-channel'
        $r.error.message | Should -Match 'not a CredHop frame'
        $saved = $env:CREDHOP_SECRET_CHANNEL
        try {
            $env:CREDHOP_SECRET_CHANNEL = $null
            $r2 = Read-CredHopLine @(Invoke-CredHop -Primitive InvokeRemote -Payload $p -SecretChannel $id)
        }
        finally { $env:CREDHOP_SECRET_CHANNEL = $saved }
        $r2.error.kind | Should -Be 'secret-channel'
        $r2.error.message | Should -Match 'not started by CredHop'
    }

    It 'leaves no pipe behind, and holds no secret after the call' {
        $null = Invoke-Prim InvokeRemote @{ computerName = 'adfs1.company.pri'; authentication = 'Negotiate'; credential = @{ userName = 'COMPANY\Administrator'; password = $script:Pw }; script = 'Whoami'; arguments = @{} }
        @([System.IO.Directory]::GetFileSystemEntries($script:SecretHome)).Count | Should -Be 0
        @(& $script:Module { $script:Secrets }).Count | Should -Be 0
    }
}

Describe 'Static guard: no path for a secret string into a command' {
    BeforeAll {
        $root = [System.IO.Path]::Combine($script:RepoRoot, 'resources', 'powershell', 'CredHop')
        $files = @([System.IO.Path]::Combine($root, 'CredHop.psm1')) + @(Get-ChildItem -LiteralPath ([System.IO.Path]::Combine($root, 'src')) -Filter '*.ps1' | ForEach-Object FullName)
        function Get-Findings([System.Management.Automation.Language.Ast[]]$Asts) {
            foreach ($ast in $Asts) {
                $isChannel = $ast.Extent.File -like '*Secrets.ps1' -or [string]::IsNullOrEmpty($ast.Extent.File)
                # 1. No plain-text SecureString conversion (its -String is a logged binding).
                foreach ($c in $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] -and $n.GetCommandName() -eq 'ConvertTo-SecureString' }, $true)) {
                    if ($c.Extent.Text -match '-AsPlainText') { "ConvertTo-SecureString -AsPlainText at line $($c.Extent.StartLineNumber)" }
                }
                # 2. No parameter named like a password that is a string (or untyped, so it takes one).
                foreach ($p in $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.ParameterAst] }, $true)) {
                    if ($p.Name.VariablePath.UserPath -match '(?i)pass|pwd|secret(?!s\b|channel)') {
                        $t = $p.StaticType
                        if ($t -eq [string] -or $t -eq [object] -or $t -eq [char[]] -or $t -eq [byte[]]) { "parameter `$$($p.Name.VariablePath.UserPath) of type $($t.Name) at line $($p.Extent.StartLineNumber)" }
                    }
                }
                # 3. No plain text out of a credential.
                foreach ($m in $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.InvokeMemberExpressionAst] -and $n.Member.Extent.Text -eq 'GetNetworkCredential' }, $true)) {
                    "GetNetworkCredential() at line $($m.Extent.StartLineNumber)"
                }
                # 4. The channel's byte and char buffers go only into method calls, never to a command.
                if ($isChannel) { foreach ($c in $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true)) {
                    foreach ($el in $c.CommandElements) {
                        if ($el -is [System.Management.Automation.Language.VariableExpressionAst] -and $el.VariablePath.UserPath -in @('buffer', 'chars', 'head', 'len')) {
                            "`$$($el.VariablePath.UserPath) passed to $($c.GetCommandName()) at line $($el.Extent.StartLineNumber)"
                        }
                    }
                } }
                # 5. No PowerShell-level pass over a password's bytes or characters: a loop, an index, a
                #    pipeline or .ForEach() makes one call per character with it as an argument, and
                #    PowerShell 7.3+ hands each method call's arguments to AMSI. Only whole buffers go to .NET.
                if ($isChannel) {
                    $secret = { param($n) $n -is [System.Management.Automation.Language.VariableExpressionAst] -and $n.VariablePath.UserPath -in @('buffer', 'chars') }
                    foreach ($n in $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.ForEachStatementAst] }, $true)) {
                        if ($null -ne $n.Condition.Find($secret, $true)) { "a foreach loop over a password buffer at line $($n.Extent.StartLineNumber)" }
                    }
                    foreach ($n in $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.IndexExpressionAst] -and (& $secret $n.Target) }, $true)) {
                        "an element of a password buffer ($($n.Extent.Text)) at line $($n.Extent.StartLineNumber)"
                    }
                    foreach ($n in $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.PipelineAst] -and $n.PipelineElements.Count -gt 1 -and $null -ne $n.PipelineElements[0].Find($secret, $true) }, $true)) {
                        "a password buffer piped at line $($n.Extent.StartLineNumber)"
                    }
                    foreach ($n in $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.InvokeMemberExpressionAst] -and (& $secret $n.Expression) -and $n.Member.Extent.Text -in 'ForEach', 'Where' }, $true)) {
                        ".$($n.Member.Extent.Text)() over a password buffer at line $($n.Extent.StartLineNumber)"
                    }
                }
            }
        }
        $script:Asts = foreach ($f in $files) { $t = $null; $e = $null; [System.Management.Automation.Language.Parser]::ParseFile($f, [ref]$t, [ref]$e) }
    }

    It 'finds nothing in the product module' {
        @(Get-Findings $script:Asts) | Should -BeNullOrEmpty
    }

    It 'would find each kind of slip (the guard can fail)' {
        $t = $null; $e = $null
        $bad = [System.Management.Automation.Language.Parser]::ParseInput(@'
function Connect-Bad { param([string]$Password, $SecretText) $s = ConvertTo-SecureString $Password -AsPlainText -Force; $c.GetNetworkCredential().Password; Write-Output $buffer }
foreach ($c in $chars) { $sec.AppendChar($c) }; $first = $buffer[0]; $chars | ForEach-Object { $sec.AppendChar($_) }; $chars.ForEach({ $sec.AppendChar($_) })
'@, [ref]$t, [ref]$e)
        $found = @(Get-Findings @($bad))
        $found | Should -HaveCount 9
        ($found -join "`n") | Should -Match 'a foreach loop over a password buffer'
        ($found -join "`n") | Should -Match 'an element of a password buffer \(\$buffer\[0\]\)'
        ($found -join "`n") | Should -Match 'a password buffer piped'
        ($found -join "`n") | Should -Match '\.ForEach\(\) over a password buffer'
        ($found -join "`n") | Should -Match 'AsPlainText'
        ($found -join "`n") | Should -Match '\$Password of type String'
        ($found -join "`n") | Should -Match '\$SecretText of type Object'
        ($found -join "`n") | Should -Match 'GetNetworkCredential'
        ($found -join "`n") | Should -Match '\$buffer passed to Write-Output'
    }
}
