<#
  The product module must also run on Windows PowerShell 5.1 (always present on Windows). 5.1 cannot
  run here, so this reads the module with PowerShell's own parser and refuses syntax and parameters
  that 5.1 does not have. It cannot prove the module runs on 5.1; it catches the usual slips.
#>
Describe 'CredHop module: Windows PowerShell 5.1 compatibility (static)' {
    BeforeAll {
        # The module is split by area: the .psm1 and every file under src/ that it dot-sources.
        $root = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'resources', 'powershell', 'CredHop')
        $files = @([System.IO.Path]::Combine($root, 'CredHop.psm1')) + @(Get-ChildItem -LiteralPath ([System.IO.Path]::Combine($root, 'src')) -Filter '*.ps1' | ForEach-Object FullName)
        # and the scheduled restore's script, which Windows PowerShell 5.1 runs as SYSTEM
        $files += @(Get-ChildItem -LiteralPath ([System.IO.Path]::Combine($root, 'task')) -Filter '*.ps1' | ForEach-Object FullName)
        # and what the Windows workflow runs in powershell.exe: the spec's subject, snapshot and runner, the loopback hop
        $tests = [System.IO.Path]::Combine($PSScriptRoot, '..')
        $files += @(Get-ChildItem -LiteralPath ([System.IO.Path]::Combine($tests, 'spec')) -Filter '*.ps1' | ForEach-Object FullName)
        $files += @(Get-ChildItem -LiteralPath ([System.IO.Path]::Combine($tests, 'windows')) -Filter '*.ps1' | ForEach-Object FullName)
        $script:Asts = @(); $script:Tokens = @(); $script:ParseErrors = @()
        foreach ($path in $files) {
            $tokens = $null; $errors = $null
            $script:Asts += [System.Management.Automation.Language.Parser]::ParseFile($path, [ref]$tokens, [ref]$errors)
            $script:Tokens += $tokens
            $script:ParseErrors += $errors
        }
        $script:FileCount = $files.Count
        function Find-Ast([scriptblock]$Predicate) { foreach ($a in $script:Asts) { $a.FindAll($Predicate, $true) } }
        # Cmdlet parameters that appeared after 5.1 (command name -> parameter names).
        $script:NewParameters = @{
            'ConvertFrom-Json' = @('AsHashtable', 'Depth', 'NoEnumerate', 'DateKind')
            'ConvertTo-Json'   = @('AsArray', 'EscapeHandling', 'EnumsAsStrings')
            'Get-Content'      = @('AsByteStream')
            'Set-Content'      = @('AsByteStream')
            'Add-Content'      = @('AsByteStream')
            'Join-Path'        = @('AdditionalChildPath')
            'ForEach-Object'   = @('Parallel', 'ThrottleLimit', 'AsJob')
            'Select-Object'    = @('SkipIndex')
            'Get-Item'         = @()
        }
        $script:NewCommands = @('Test-Json', 'Get-Error', 'ConvertFrom-Markdown', 'Remove-Alias', 'Get-Uptime', 'Join-String')
    }

    It 'parses without errors (every file of the module)' {
        $script:FileCount | Should -BeGreaterThan 5
        $script:ParseErrors | Should -BeNullOrEmpty
    }

    It 'uses no ternary operator' {
        Find-Ast { param($n) $n.GetType().Name -eq 'TernaryExpressionAst' } | Should -BeNullOrEmpty
    }

    It 'uses no pipeline chain operators (&& and ||)' {
        Find-Ast { param($n) $n.GetType().Name -eq 'PipelineChainAst' } | Should -BeNullOrEmpty
    }

    It 'uses no null-coalescing (?? and ??=) or null-conditional (?. and ?[]) operators' {
        $script:Tokens | Where-Object { $_.Kind -in 'QuestionQuestion', 'QuestionQuestionEquals', 'QuestionDot', 'QuestionLBracket' } | Should -BeNullOrEmpty
    }

    It 'uses no cmdlet parameter or command that 5.1 lacks' {
        $found = foreach ($cmd in (Find-Ast { param($n) $n -is [System.Management.Automation.Language.CommandAst] })) {
            $name = $cmd.GetCommandName()
            if (-not $name) { continue } # & $scriptblock and the like
            if ($name -in $script:NewCommands) { "$name (command) at line $($cmd.Extent.StartLineNumber)" }
            $bad = if ($script:NewParameters.ContainsKey($name)) { $script:NewParameters[$name] } else { @() }
            if ($bad) {
                foreach ($el in $cmd.CommandElements) {
                    if ($el -is [System.Management.Automation.Language.CommandParameterAst] -and $el.ParameterName -in $bad) {
                        # Allowed when feature-detected: inside an `if` that checks ContainsKey('<parameter>').
                        $guarded = $false
                        $parent = $cmd.Parent
                        while ($null -ne $parent -and -not $guarded) {
                            if ($parent -is [System.Management.Automation.Language.IfStatementAst]) {
                                foreach ($clause in $parent.Clauses) {
                                    if ($clause.Item1.Extent.Text -match "ContainsKey\(\s*'$($el.ParameterName)'\s*\)") { $guarded = $true }
                                }
                            }
                            $parent = $parent.Parent
                        }
                        if (-not $guarded) { "$name -$($el.ParameterName) at line $($el.Extent.StartLineNumber)" }
                    }
                }
            }
            if ($name -eq 'Join-Path') {
                $positional = @($cmd.CommandElements | Select-Object -Skip 1 | Where-Object { $_ -isnot [System.Management.Automation.Language.CommandParameterAst] })
                if ($positional.Count -gt 2) { "Join-Path with more than one child path at line $($cmd.Extent.StartLineNumber)" }
            }
        }
        $found | Should -BeNullOrEmpty
    }

    It 'declares no clean block (PowerShell 7.3+)' {
        Find-Ast { param($n) $n -is [System.Management.Automation.Language.ScriptBlockAst] -and $null -ne $n.PSObject.Properties['CleanBlock'] -and $null -ne $n.CleanBlock } | Should -BeNullOrEmpty
    }

    It 'would fail on a module that used PS7-only syntax (the check can fail)' {
        $tokens = $null; $errors = $null
        $probe = [System.Management.Automation.Language.Parser]::ParseInput('$a = $b ?? 1; $c = $d ? 1 : 2; Get-Item x && Get-Item y', [ref]$tokens, [ref]$errors)
        @($tokens | Where-Object { $_.Kind -eq 'QuestionQuestion' }).Count | Should -Be 1
        @($probe.FindAll({ param($n) $n.GetType().Name -eq 'TernaryExpressionAst' }, $true)).Count | Should -Be 1
        @($probe.FindAll({ param($n) $n.GetType().Name -eq 'PipelineChainAst' }, $true)).Count | Should -Be 1
    }
}

<#
  Windows PowerShell 5.1 reads a script without a byte order mark in the machine's ANSI code page, and
  Authenticode hashes the file as read: a BOM-less UTF-8 file with one non-ASCII character is mangled
  (and its signature fails) on a machine with another code page. Every PowerShell file CredHop ships
  (the module, its task script, anything under resources/powershell) is pure ASCII or UTF-8 with a BOM.
#>
Describe 'CredHop module: every shipped PowerShell file is ASCII or UTF-8 with a BOM' {
    BeforeAll {
        function Get-EncodingSlip([byte[]]$Bytes) {
            if ($Bytes.Length -ge 3 -and $Bytes[0] -eq 0xEF -and $Bytes[1] -eq 0xBB -and $Bytes[2] -eq 0xBF) { return $null }
            for ($i = 0; $i -lt $Bytes.Length; $i++) { if ($Bytes[$i] -gt 0x7F) { return "byte 0x{0:X2} at offset $i, and no UTF-8 byte order mark" -f $Bytes[$i] } }
            $null
        }
        $root = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'resources', 'powershell')
        # .NET, not Get-ChildItem: other test files leave the lab (which shadows the item cmdlets) loaded
        $script:Shipped = @([System.IO.Directory]::GetFiles($root, '*', [System.IO.SearchOption]::AllDirectories) | Where-Object { [System.IO.Path]::GetExtension($_) -in '.ps1', '.psm1', '.psd1' } | ForEach-Object { [System.IO.FileInfo]::new($_) })
    }

    It 'finds the shipped files, and each is ASCII or starts with a UTF-8 BOM' {
        $script:Shipped.Count | Should -BeGreaterThan 15
        $slips = foreach ($f in $script:Shipped) { $s = Get-EncodingSlip ([System.IO.File]::ReadAllBytes($f.FullName)); if ($s) { "$($f.Name): $s" } }
        $slips | Should -BeNullOrEmpty
    }

    It 'would find a BOM-less non-ASCII file (the check can fail), and accepts ASCII and BOM files' {
        $utf8 = New-Object System.Text.UTF8Encoding -ArgumentList $false
        Get-EncodingSlip ($utf8.GetBytes("# j$([char]0xFC)rgen`n")) | Should -Match 'byte 0xC3 at offset 3'
        Get-EncodingSlip ([byte[]](0xEF, 0xBB, 0xBF) + $utf8.GetBytes("# j$([char]0xFC)rgen`n")) | Should -BeNullOrEmpty
        Get-EncodingSlip ($utf8.GetBytes("# plain`n")) | Should -BeNullOrEmpty
    }
}
