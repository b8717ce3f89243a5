# CredHop lab: PowerShell editions. Which PowerShell runs each part of a flow, and how it differs.
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).
#
# Windows runs three PowerShells where the lab has one real pwsh 7.6 (no 7.4 is served here, and
# Windows PowerShell 5.1 does not run on Linux). An edition is therefore a *persona* put on a runspace:
# its $PSVersionTable/$PSEdition, and functions (which PowerShell resolves before cmdlets) where a
# documented difference touches what a script does. Each difference names its source. Which runner has
# which edition: a host's "powershell" field in the lab file (LabFile.ps1); applied by
# Enter-CredHopLabHost -Edition (State.ps1) in the runspace that becomes the host.
#
# Not modelled: 5.1's redirected stdout in the OEM code page until a script sets [Console]::OutputEncoding.
# Tried: pwsh on Linux, driven over stdin as CredHop drives it, keeps writing in the OEM code page after
# [Console]::OutputEncoding is set back to UTF-8, which Windows does not do, so the model failed CredHop
# where Windows would not. (CredHop sets UTF-8 first thing, startup.ts; tests/integration/powershell-startup
# covers a non-ASCII path with stdin decoded as Latin-1.)
#
# Sources: Microsoft Learn "Differences between Windows PowerShell 5.1 and PowerShell 7.x" (below: [Diff]),
# "What's New in PowerShell 7.x" ([New7x]), "about_Character_Encoding" ([Enc]), "about_Remote"/"PowerShell
# remoting over WSMan in PowerShell 7" ([Remote]), PowerShell repository issues as cited (#n).

# What each persona's $PSVersionTable says (Windows 10 22H2's Windows PowerShell, the last 7.4 LTS).
# Platform/OS stay the lab's (Unix): platform checks are not modelled (README, "Stubbed or simplified").
$script:LabEditionTables = @{
    '5.1' = [ordered]@{
        PSVersion = [version]'5.1.19041.4648'; PSEdition = 'Desktop'
        PSCompatibleVersions = [version[]]@('1.0', '2.0', '3.0', '4.0', '5.0', '5.1.19041.4648')
        BuildVersion = [version]'10.0.19041.4648'; CLRVersion = [version]'4.0.30319.42000'
        WSManStackVersion = [version]'3.0'; PSRemotingProtocolVersion = [version]'2.3'; SerializationVersion = [version]'1.1.0.1'
    }
    '7.4' = [ordered]@{ PSVersion = [System.Management.Automation.SemanticVersion]'7.4.6'; GitCommitId = '7.4.6' }
}
$script:LabEditions = @('5.1', '7.4', '7.6')
# Commands Windows PowerShell 5.1 does not have ([Diff], "Cmdlets added"; [New7x]): a script that calls
# them fails there with CommandNotFoundException.
$script:LabMissingIn51 = @('Test-Json', 'Join-String', 'Get-Error', 'ConvertFrom-Markdown', 'Show-Markdown', 'Get-Uptime', 'Remove-Alias', 'Remove-Service', 'ConvertTo-CliXml', 'ConvertFrom-CliXml')
# Tokens of syntax added in PowerShell 7 (Get-LabSyntaxErrors51).
$script:Lab7OnlyTokens = [System.Collections.Generic.HashSet[System.Management.Automation.Language.TokenKind]]::new([System.Management.Automation.Language.TokenKind[]]@('QuestionMark', 'QuestionQuestion', 'QuestionQuestionEquals', 'QuestionDot', 'QuestionLBracket', 'AndAnd', 'OrOr', 'Clean'))
$script:LabPersonaFunctions = @('ConvertFrom-Json', 'ConvertTo-Json', 'Import-Module') + $script:LabMissingIn51
$script:LabEditionField = [System.Management.Automation.PSVariable].GetField('_value', [System.Reflection.BindingFlags]'NonPublic,Instance')
$script:LabVersionTableCtor = [System.Management.Automation.PSVersionHashTable].GetConstructor([System.Reflection.BindingFlags]'NonPublic,Instance', $null, [type[]]@([System.Collections.IEqualityComparer]), $null)
$script:LabRealVersionTable = [System.Management.Automation.PSVersionInfo].GetMethod('GetPSVersionTable', [System.Reflection.BindingFlags]'NonPublic,Static')

function Get-LabHostEdition {
    # The edition that runs $Runner on a host: 'endpoint' (its default remoting endpoint, Microsoft.PowerShell:
    # Windows PowerShell 5.1 on every Windows [Remote]), 'tasks' (powershell.exe in a scheduled task: 5.1),
    # 'installed' (the newest PowerShell CredHop finds there: 7.6 by default).
    param($HostState, [string]$Runner)
    $ps = $HostState.powershell
    if ($null -ne $ps -and $ps.Contains($Runner) -and $ps[$Runner]) { return [string]$ps[$Runner] }
    if ($Runner -eq 'installed') { return '7.6' }
    '5.1'
}

function Get-LabEdition {
    # The edition of the persona on this runspace: '5.1', '7.4', or '7.6' (no persona: the real pwsh).
    if ($script:LabEdition) { return $script:LabEdition }
    '7.6'
}

function Set-LabEdition {
    <# Internal: puts the persona of $Edition on the runspace this runs in ('7.6' or '' takes it off).
       Per runspace: the $PSVersionTable/$PSEdition variables of this runspace get their own value (their
       hashtable is one object shared by every runspace of the process, so it is never changed), and the
       persona's functions are global functions of this runspace. #>
    param([string]$Edition)
    if ($Edition -and $script:LabEditions -notcontains $Edition) { throw "CredHop lab: unknown PowerShell edition '$Edition' (expected 5.1, 7.4 or 7.6)." }
    if ($Edition -eq '7.6') { $Edition = '' }
    # (Only a runspace that had a persona has its functions to take off: most runspaces are fresh.)
    $had = [bool]$script:LabEdition
    $script:LabEdition = $Edition
    if ($had) { foreach ($n in $script:LabPersonaFunctions) {
        # ('function:\name' reaches the global function from here; 'function:global:name' does not remove it)
        if (Microsoft.PowerShell.Management\Test-Path -Path "function:\$n") { Microsoft.PowerShell.Management\Remove-Item -Path "function:\$n" -Force }
    } }
    # $PSVersionTable and $PSEdition are Constant/AllScope ($IsWindows ReadOnly): replace this runspace's
    # variable value only (measured: other runspaces keep theirs).
    $real = $script:LabRealVersionTable.Invoke($null, @())
    $table = $real
    if ($Edition) {
        $table = $script:LabVersionTableCtor.Invoke(@([System.StringComparer]::OrdinalIgnoreCase))
        if ($Edition -ne '5.1') { foreach ($k in $real.Keys) { $table[$k] = $real[$k] } }
        foreach ($k in $script:LabEditionTables[$Edition].Keys) { $table[$k] = $script:LabEditionTables[$Edition][$k] }
        if ($Edition -eq '7.4') { $table['PSEdition'] = 'Core' }
    }
    $vars = $ExecutionContext.SessionState.PSVariable
    $script:LabEditionField.SetValue($vars.Get('PSVersionTable'), $table)
    $script:LabEditionField.SetValue($vars.Get('PSEdition'), [string]$table['PSEdition'])
    # 5.1 has no $IsWindows/$IsLinux/$IsMacOS/$IsCoreCLR ([Diff]): they read as $null there.
    foreach ($n in 'IsWindows', 'IsLinux', 'IsMacOS', 'IsCoreCLR') {
        $v = $vars.Get($n)
        if ($null -ne $v) { $script:LabEditionField.SetValue($v, $(if ($Edition -eq '5.1') { $null } else { [bool]$(switch ($n) { 'IsLinux' { $true } 'IsCoreCLR' { $true } default { $false } }) })) }
    }
    if (-not $Edition) { return }
    $set = { param($Name, $Body) Microsoft.PowerShell.Management\Set-Item -Path "function:global:$Name" -Value $Body }
    if ($Edition -eq '7.4') { & $set 'ConvertFrom-Json' ${function:ConvertFrom-LabJson74}; return }
    & $set 'ConvertFrom-Json' ${function:ConvertFrom-LabJson51}
    & $set 'ConvertTo-Json' ${function:ConvertTo-LabJson51}
    & $set 'Import-Module' ${function:Import-LabModule51}
    foreach ($n in $script:LabMissingIn51) { & $set $n ${function:Invoke-LabMissingCommand51} }
}

# ---------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------
function ConvertFrom-LabJson51 {
    <# Windows PowerShell 5.1's ConvertFrom-Json ([Diff], "ConvertFrom-Json"; 5.1 is built on
       JavaScriptSerializer):
       - a JSON array is written as ONE object, not enumerated (#3424): @(ConvertFrom-Json '[1,2]') has one
         element, the array, and `foreach ($x in @(ConvertFrom-Json $a))` sees one item;
       - only -InputObject: no -AsHashtable (6.0), -Depth (6.2), -NoEnumerate (7.0), -DateKind (7.5) [New7x];
       - ISO-8601 strings stay strings (the date conversion came with Json.NET in 6.0).
       Not modelled: 5.1's Int32 numbers (7 gives Int64), its "\/Date(ms)\/" strings, its error texts. #>
    [CmdletBinding()]
    param([Parameter(Mandatory, Position = 0, ValueFromPipeline)][AllowEmptyString()][string]$InputObject)
    begin { $buf = [System.Collections.Generic.List[string]]::new() }
    process { $buf.Add($InputObject) }
    end {
        try { $r = Microsoft.PowerShell.Utility\ConvertFrom-Json -InputObject ($buf -join "`n") -NoEnumerate -DateKind String -ErrorAction Stop }
        catch { $PSCmdlet.ThrowTerminatingError($_) }
        $PSCmdlet.WriteObject($r, $false)
    }
}

function ConvertFrom-LabJson74 {
    <# PowerShell 6.0-7.4's ConvertFrom-Json: ISO-8601 strings become [datetime] and nothing stops it;
       -DateKind arrived in 7.5 ([New7x] "What's New in PowerShell 7.5": "-DateKind parameter to
       ConvertFrom-Json", #13598). 7.6's Default kind is that old conversion. #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline)][AllowEmptyString()][string]$InputObject,
        [switch]$AsHashtable, [ValidateRange(1, [int]::MaxValue)][int]$Depth = 1024, [switch]$NoEnumerate
    )
    begin { $buf = [System.Collections.Generic.List[string]]::new() }
    process { $buf.Add($InputObject) }
    end {
        try { $r = Microsoft.PowerShell.Utility\ConvertFrom-Json -InputObject ($buf -join "`n") -AsHashtable:$AsHashtable -Depth $Depth -NoEnumerate -DateKind Default -ErrorAction Stop }
        catch { $PSCmdlet.ThrowTerminatingError($_) }
        $PSCmdlet.WriteObject($r, (-not $NoEnumerate))
    }
}

function ConvertTo-LabJson51 {
    <# Windows PowerShell 5.1's ConvertTo-Json ([Diff]; JavaScriptSerializer):
       - below -Depth (default 2) objects are cut to their ToString() silently: the warning came in 7.1 ([New7x]);
       - '<', '>', '&' and "'" are written as \u003c \u003e \u0026 \u0027 (HTML-safe escaping); 7 writes them
         as they are (-EscapeHandling, 6.2);
       - only -Depth and -Compress: no -AsArray (6.2), -EnumsAsStrings (6.2), -EscapeHandling (6.2).
       Not modelled: 5.1's indentation of the uncompressed form, [datetime] as "\/Date(ms)\/". #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline)][AllowNull()][object]$InputObject,
        [ValidateRange(1, 100)][int]$Depth = 2, [switch]$Compress
    )
    begin { $items = [System.Collections.Generic.List[object]]::new() }
    process { $items.Add($InputObject) }
    end {
        $in = $null
        if ($items.Count -eq 1) { $in = $items[0] } else { $in = $items.ToArray() }
        $json = Microsoft.PowerShell.Utility\ConvertTo-Json -InputObject $in -Depth $Depth -Compress:$Compress -WarningAction SilentlyContinue
        # These characters occur in JSON text only inside strings, so replacing them is exact.
        $json.Replace('<', '\u003c').Replace('>', '\u003e').Replace('&', '\u0026').Replace("'", '\u0027')
    }
}

function Invoke-LabMissingCommand51 {
    # A command 5.1 does not have: the error Windows PowerShell 5.1 writes for an unknown command.
    $name = $MyInvocation.InvocationName
    $ex = [System.Management.Automation.CommandNotFoundException]::new("The term '$name' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.")
    throw [System.Management.Automation.ErrorRecord]::new($ex, 'CommandNotFoundException', 'ObjectNotFound', $name)
}

# ---------------------------------------------------------------------------------------------
# What 5.1 can parse, and how it reads a script file
# ---------------------------------------------------------------------------------------------
function Get-LabSyntaxErrors51 {
    <# The ParseErrors Windows PowerShell 5.1 gives for syntax added in PowerShell 7 ([New7x] 7.0: ternary
       `a ? b : c`, `??`, `??=`, `?.`/`?[]`, pipeline chains `&&`/`||`; 7.3: `clean {}`). 5.1 cannot parse
       them; messages as 5.1 prints them for `&&` and the ternary (the others in the same form). One
       deviation: 5.1 reads `$a?.b` as the variable `${a?}` and member `b` (no error, a silent $null);
       the lab refuses it instead, so the habit shows. #>
    param([System.Management.Automation.Language.Ast]$Ast, $Tokens)
    $errs = [System.Collections.Generic.List[System.Management.Automation.Language.ParseError]]::new()
    # The tokens first (cheap): only text holding one of these tokens (or a "$(...)" whose tokens are
    # nested) is walked node by node ('clean' is also a plain command name, hence the walk decides).
    $suspect = $false
    foreach ($t in $Tokens) {
        if ($script:Lab7OnlyTokens.Contains($t.Kind) -or ($t -is [System.Management.Automation.Language.StringExpandableToken] -and $null -ne $t.NestedTokens)) { $suspect = $true; break }
    }
    if (-not $suspect) { return , $errs }
    $add = { param($n, $id, $msg) $errs.Add([System.Management.Automation.Language.ParseError]::new($n.Extent, $id, $msg)) }
    foreach ($n in $Ast.FindAll({ $true }, $true)) {
        if ($n -is [System.Management.Automation.Language.TernaryExpressionAst]) { & $add $n 'UnexpectedToken' "Unexpected token '?' in expression or statement." }
        elseif ($n -is [System.Management.Automation.Language.BinaryExpressionAst] -and [string]$n.Operator -eq 'QuestionQuestion') { & $add $n 'UnexpectedToken' "Unexpected token '??' in expression or statement." }
        elseif ($n -is [System.Management.Automation.Language.AssignmentStatementAst] -and [string]$n.Operator -eq 'QuestionQuestionEquals') { & $add $n 'UnexpectedToken' "Unexpected token '??=' in expression or statement." }
        elseif (($n -is [System.Management.Automation.Language.MemberExpressionAst] -or $n -is [System.Management.Automation.Language.IndexExpressionAst]) -and $n.NullConditional) { & $add $n 'UnexpectedToken' "Unexpected token '?' in expression or statement." }
        elseif ($n -is [System.Management.Automation.Language.PipelineChainAst]) {
            $op = if ([string]$n.Operator -eq 'AndAnd') { '&&' } else { '||' }
            & $add $n 'InvalidEndOfLine' "The token '$op' is not a valid statement separator in this version."
        }
        elseif ($n -is [System.Management.Automation.Language.ScriptBlockAst] -and $null -ne $n.CleanBlock) { & $add $n.CleanBlock 'UnexpectedToken' "Unexpected token 'clean' in expression or statement." }
    }
    , $errs
}

function Assert-LabParses51 {
    # Throws a ParseException (as 5.1's parser does) for script text 5.1 cannot parse; returns the tokens.
    param([string]$Text, [string]$Path)
    $tokens = $null; $perr = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseInput($Text, $Path, [ref]$tokens, [ref]$perr)
    $errs = Get-LabSyntaxErrors51 $ast $tokens
    if (@($perr).Count -gt 0) { $errs.InsertRange(0, [System.Management.Automation.Language.ParseError[]]$perr) }
    if ($errs.Count -gt 0) { throw [System.Management.Automation.ParseException]::new($errs.ToArray()) }
    $tokens
}

function Test-LabChecked51 {
    # Text (or bytes) this process already found 5.1-clean: CredHop sends the same scripts and copies the
    # same module files again and again, so each is checked once per process. -Add records one.
    param([byte[]]$Bytes, [switch]$Add)
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try { $key = 'CredHopLab.Clean51:' + [System.Convert]::ToHexString($sha.ComputeHash($Bytes)) } finally { $sha.Dispose() }
    if ($Add) { [System.AppDomain]::CurrentDomain.SetData($key, $true); return }
    [bool][System.AppDomain]::CurrentDomain.GetData($key)
}

function Assert-LabRemoteScript51 {
    # A script block's text as a 5.1 endpoint parses it.
    param([string]$Text)
    $bytes = [System.Text.Encoding]::Unicode.GetBytes($Text)
    if (Test-LabChecked51 $bytes) { return }
    $null = Assert-LabParses51 $Text $null
    Test-LabChecked51 $bytes -Add
}

function Read-LabScriptFile51 {
    <# A script file as Windows PowerShell 5.1 reads it, checked: without a byte-order mark 5.1 decodes it
       in the ANSI code page (Windows-1252 on an English Windows), 7 in UTF-8 ([Enc], "Character encoding
       in Windows PowerShell"). Text 5.1 cannot parse throws its ParseException. When the ANSI reading
       parses but changes anything other than a comment (a string, a name), Windows would run the changed
       text silently; the lab refuses it instead (id CredHopLab.AnsiScript), so a BOM-less non-ASCII
       script fails here as it misbehaves there. A comment that changes is harmless, as on Windows. #>
    param([string]$Path)
    $bytes = [System.IO.File]::ReadAllBytes($Path)
    if (Test-LabChecked51 $bytes) { return }
    $bom = ($bytes.Length -ge 3 -and $bytes[0] -eq 0xEF -and $bytes[1] -eq 0xBB -and $bytes[2] -eq 0xBF) -or ($bytes.Length -ge 2 -and (($bytes[0] -eq 0xFF -and $bytes[1] -eq 0xFE) -or ($bytes[0] -eq 0xFE -and $bytes[1] -eq 0xFF)))
    $ascii = $true
    foreach ($b in $bytes) { if ($b -ge 0x80) { $ascii = $false; break } }
    if ($bom -or $ascii) {
        $text = [System.IO.File]::ReadAllText($Path)
        $null = Assert-LabParses51 $text $Path
        Test-LabChecked51 $bytes -Add
        return
    }
    $ansi = [System.Text.Encoding]::GetEncoding(1252).GetString($bytes)
    $asRead = Assert-LabParses51 $ansi $Path
    $meant = $null; $perr = $null
    $null = [System.Management.Automation.Language.Parser]::ParseInput([System.Text.UTF8Encoding]::new($false).GetString($bytes), $Path, [ref]$meant, [ref]$perr)
    $a = @($asRead | Where-Object { $_.Kind -ne 'Comment' } | ForEach-Object { $_.Text })
    $m = @($meant | Where-Object { $_.Kind -ne 'Comment' } | ForEach-Object { $_.Text })
    for ($i = 0; $i -lt [math]::Max($a.Count, $m.Count); $i++) {
        if ($a[$i] -cne $m[$i]) {
            $ex = [System.Management.Automation.RuntimeException]::new("Windows PowerShell 5.1 reads '$Path' (UTF-8 without a byte-order mark) in the ANSI code page, so its text changes: $($m[$i]) is read as $($a[$i]). Save the file as UTF-8 with a byte-order mark, or keep it ASCII.")
            throw [System.Management.Automation.ErrorRecord]::new($ex, 'CredHopLab.AnsiScript', 'ParserError', $Path)
        }
    }
    Test-LabChecked51 $bytes -Add
}

function Import-LabModule51 {
    <# Import-Module in a 5.1 runspace: every script file of the module (its folder, recursively) is first
       read as 5.1 reads it (Read-LabScriptFile51), then the real cmdlet imports it. Imports into the global
       session state (as Import-Module does from a script or the prompt; -Global from inside a module is
       what this persona cannot tell apart). #>
    [CmdletBinding(DefaultParameterSetName = 'Name')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ParameterSetName = 'Name')][string[]]$Name,
        [Parameter(Mandatory, ValueFromPipeline, ParameterSetName = 'ModuleInfo')][System.Management.Automation.PSModuleInfo[]]$ModuleInfo,
        [switch]$Global, [switch]$Force, [switch]$PassThru, [switch]$DisableNameChecking, [switch]$AsCustomObject, [switch]$NoClobber,
        [string]$Prefix, [string[]]$Function, [string[]]$Cmdlet, [string[]]$Variable, [string[]]$Alias, [object[]]$ArgumentList,
        [ValidateSet('Local', 'Global')][string]$Scope, [version]$MinimumVersion, [string]$MaximumVersion, [version]$RequiredVersion
    )
    process {
        foreach ($n in @($Name)) {
            if (-not $n -or -not [System.IO.File]::Exists($n)) { continue }
            $dir = [System.IO.Path]::GetDirectoryName([System.IO.Path]::GetFullPath($n))
            foreach ($f in [System.IO.Directory]::GetFiles($dir, '*.ps*1', [System.IO.SearchOption]::AllDirectories)) {
                try { Read-LabScriptFile51 $f } catch { $PSCmdlet.ThrowTerminatingError($(if ($_.Exception -is [System.Management.Automation.ParseException]) { $_.Exception.ErrorRecord } else { $_ })) }
            }
        }
        $fwd = @{} + $PSBoundParameters
        if (-not $fwd.ContainsKey('Scope')) { $fwd['Global'] = $true }
        Microsoft.PowerShell.Core\Import-Module @fwd
    }
}
