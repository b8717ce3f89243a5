# Remoting: the fixed catalog of script blocks sent to a jump server, and the one primitive that sends them.
# Part of the CredHop module (loaded by CredHop.psm1); see README.md.

# The fixed catalog of script blocks sent to a jump server. They are self-contained (no CredHop
# function or variable exists there) and take one hashtable argument.
$script:Catalog = @{
    ReadServerState = {
        param($a)
        $flag = $null
        try { $flag = ([string](Get-Item -Path 'WSMan:\localhost\Service\Auth\CredSSP' -ErrorAction Stop).Value -eq 'true') } catch { $flag = $null }
        $pol = $null
        try {
            $k = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WinRM\Service'
            if (Test-Path -LiteralPath $k) {
                $item = Get-Item -LiteralPath $k -ErrorAction Stop
                if (@($item.GetValueNames()) -contains 'AllowCredSSP') { $pol = [long]$item.GetValue('AllowCredSSP') }
            }
        }
        catch { $pol = $null }
        # The jump server's own TrustedHosts: a call it makes with a local account of the target is NTLM
        $th = $null
        try { $th = [string](Get-Item -Path 'WSMan:\localhost\Client\TrustedHosts' -ErrorAction Stop).Value } catch { $th = $null }
        # What decides whether CredHop's scripts and its scheduled restore can run there: the endpoint's
        # language mode (App Control/AppLocker: ConstrainedLanguage) and the execution policy a Group
        # Policy sets for the computer (SYSTEM's powershell.exe is bound by it, -ExecutionPolicy Bypass or not).
        $ep = $null
        try { $ep = [string](Get-ExecutionPolicy -Scope MachinePolicy) } catch { $ep = $null }
        # An ordered hashtable, not [pscustomobject]: ConstrainedLanguage refuses that cast, and this answer
        # must still arrive to say why CredHop cannot go on there.
        [ordered]@{ computerName = ([string](hostname)).Trim(); userName = ([string](whoami)).Trim(); serviceCredSSP = $flag; servicePolicyAllowCredSSP = $pol; trustedHosts = $th; languageMode = [string]$ExecutionContext.SessionState.LanguageMode; executionPolicy = $ep }
    }
    SetServiceFlag  = {
        param($a)
        $p = 'WSMan:\localhost\Service\Auth\CredSSP'
        $before = ([string](Get-Item -Path $p -ErrorAction Stop).Value -eq 'true')
        $v = 'false'
        if ($a.enabled) { $v = 'true' }
        Set-Item -Path $p -Value $v -Force -ErrorAction Stop
        $after = ([string](Get-Item -Path $p -ErrorAction Stop).Value -eq 'true')
        [pscustomobject]@{ before = $before; after = $after }
    }
    Probe           = {
        param($a)
        Invoke-Command -ComputerName $a.target -ScriptBlock ([scriptblock]::Create($a.command))
    }
    ProbeExplicit   = {
        param($a)
        # The target's credential arrives as remoting serializes it (the SecureString encrypted with
        # the session key), never as text.
        Invoke-Command -ComputerName $a.target -Credential $a.targetCredential -ScriptBlock ([scriptblock]::Create($a.command))
    }
    Whoami          = {
        param($a)
        [pscustomobject]@{ computerName = ([string](hostname)).Trim(); userName = ([string](whoami)).Trim() }
    }
}

function ConvertTo-CredHopPlain {
    # remote output -> plain JSON-able data (remoting's own note properties dropped)
    param($Value, [int]$Depth = 0)
    if ($null -eq $Value) { return $null }
    if ($Value -is [System.Management.Automation.PSObject]) {
        $base = $Value.PSObject.BaseObject
        if ($base -isnot [System.Management.Automation.PSCustomObject]) { $Value = $base }
    }
    if ($Value -is [string] -or $Value -is [bool]) { return $Value }
    if ($Value -is [char] -or $Value -is [guid] -or $Value -is [enum] -or $Value -is [version]) { return [string]$Value }
    if ($Value -is [datetime]) { return $Value.ToString('o') }
    if ($Value -is [System.Security.SecureString]) { return '(SecureString)' }
    if ($Value -is [ValueType]) { return $Value }
    if ($Depth -ge 4) { return [string]$Value }
    if ($Value -is [System.Collections.IDictionary]) {
        $d = New-Object System.Collections.Specialized.OrderedDictionary
        foreach ($k in $Value.Keys) { $d[[string]$k] = ConvertTo-CredHopPlain $Value[$k] ($Depth + 1) }
        return $d
    }
    if ($Value -is [System.Collections.IEnumerable] -and $Value -isnot [System.Management.Automation.PSObject]) {
        $l = New-Object System.Collections.Generic.List[object]
        foreach ($x in $Value) { $l.Add((ConvertTo-CredHopPlain $x ($Depth + 1))) }
        return , ([object[]]$l.ToArray())
    }
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    foreach ($p in $Value.PSObject.Properties) {
        if ($script:RemotingNoise -contains $p.Name) { continue }
        if ($p.MemberType -ne 'NoteProperty' -and $p.MemberType -ne 'Property') { continue }
        $pv = $null
        try { $pv = $p.Value } catch { $pv = $null }
        $d[$p.Name] = ConvertTo-CredHopPlain $pv ($Depth + 1)
    }
    $d
}

function Invoke-CredHopInvokeRemote {
    param($P)
    Assert-CredHopFields $P @('computerName', 'authentication', 'credential', 'script', 'arguments', 'reuseSession') 'payload'
    $cn = Get-CredHopHostName $P 'computerName' 'payload' -AllowAddress
    $auth = Get-CredHopEnum $P 'authentication' 'payload' $script:AuthNames
    $cred = Get-CredHopCredential $P 'credential' 'payload' -Optional
    $scriptName = Get-CredHopEnum $P 'script' 'payload' $script:ScriptNames
    $a = $null
    if (Test-CredHopHas $P 'arguments') { $a = $P.arguments }
    if ($null -eq $a) { $a = New-Object psobject }
    if ($a -isnot [System.Management.Automation.PSCustomObject]) { throw (New-CredHopPayloadError 'payload.arguments: expected an object') }
    $args1 = @{}
    switch ($scriptName) {
        'ReadServerState' { Assert-CredHopFields $a @() 'payload.arguments' }
        'ReadServerCheck' { Assert-CredHopFields $a @() 'payload.arguments' }
        'Whoami' { Assert-CredHopFields $a @() 'payload.arguments' }
        'SetServiceFlag' {
            Assert-CredHopFields $a @('enabled') 'payload.arguments'
            $args1['enabled'] = Get-CredHopBool $a 'enabled' 'payload.arguments'
        }
        { $script:TaskScripts -contains $_ } { $args1 = Get-CredHopRestoreTaskArgs $a $scriptName 'payload.arguments' }
        { $_ -eq 'Probe' -or $_ -eq 'ProbeExplicit' } {
            $allowed = @('target', 'command')
            if ($scriptName -eq 'ProbeExplicit') { $allowed += 'targetCredential' }
            Assert-CredHopFields $a $allowed 'payload.arguments'
            # the target never by address: see checkTargetName in profile-rules.ts
            $args1['target'] = Get-CredHopHostName $a 'target' 'payload.arguments'
            $command = Get-CredHopString $a 'command' 'payload.arguments' -Optional -MaxLength 4096
            if ($null -eq $command -or $command.Trim() -eq '') { $command = $script:DefaultProbe }
            if ($command.IndexOf([char]0) -ge 0) { throw (New-CredHopPayloadError 'payload.arguments.command: must not contain NUL characters') }
            try { [void][scriptblock]::Create($command) } catch { throw (New-CredHopPayloadError 'payload.arguments.command: not valid PowerShell') }
            $args1['command'] = $command
            if ($scriptName -eq 'ProbeExplicit') {
                $args1['targetCredential'] = Get-CredHopCredential $a 'targetCredential' 'payload.arguments'
            }
        }
    }
    if ($auth -eq 'CredSSP' -and $null -eq $cred) { throw (New-CredHopPayloadError 'payload.credential: required when authentication is CredSSP (Windows refuses CredSSP without explicit credentials)') }
    $reuse = $false
    if (Test-CredHopHas $P 'reuseSession') { $reuse = Get-CredHopBool $P 'reuseSession' 'payload' }
    # A kept session would hold delegated credentials on the jump server for as long as it lives.
    if ($reuse -and $auth -eq 'CredSSP') { throw (New-CredHopPayloadError 'payload.reuseSession: not allowed with CredSSP (a kept CredSSP session keeps delegated credentials on the jump server)') }
    $target = @{}
    if ($auth -ne 'Default') { $target['Authentication'] = $auth }
    if ($null -ne $cred) { $target['Credential'] = $cred }
    $out = New-Object System.Collections.Generic.List[object]
    $errs = New-Object System.Collections.Generic.List[object]
    $key = $null
    if ($reuse) {
        $who = ''
        if ($null -ne $cred) { $who = $cred.UserName.ToLowerInvariant() }
        $key = $cn.ToLowerInvariant() + '|' + $auth + '|' + $who
    }
    # One try, or with a kept session two: a session that broke since its last use is replaced once.
    for ($attempt = 0; $attempt -lt 2; $attempt++) {
        $out.Clear(); $errs.Clear()
        $params = @{
            ScriptBlock   = $script:Catalog[$scriptName]
            ArgumentList  = @(, $args1)
            ErrorAction   = 'SilentlyContinue'
            ErrorVariable = 'remoteErrors'
        }
        $session = $null
        if ($reuse) {
            $session = $script:RemoteSessions[$key]
            if ($null -eq $session -or [string]$session.State -ne 'Opened') {
                $script:RemoteSessions.Remove($key)
                $openErrors = $null
                $session = $null
                try { $session = New-PSSession -ComputerName $cn @target -ErrorAction SilentlyContinue -ErrorVariable openErrors }
                catch { $errs.Add((ConvertTo-CredHopErrorInfo $_ -Remote)) }
                foreach ($e in @($openErrors)) { if ($e -is [System.Management.Automation.ErrorRecord]) { $errs.Add((ConvertTo-CredHopErrorInfo $e -Remote)) } }
                if ($null -eq $session) { break }
                $script:RemoteSessions[$key] = $session
            }
            $params['Session'] = $session
        }
        else {
            $params['ComputerName'] = $cn
            foreach ($k in $target.Keys) { $params[$k] = $target[$k] }
        }
        $remoteErrors = $null
        try {
            foreach ($o in @(Invoke-Command @params)) { $out.Add((ConvertTo-CredHopPlain $o)) }
        }
        catch { $errs.Add((ConvertTo-CredHopErrorInfo $_ -Remote)) }
        foreach ($e in @($remoteErrors)) {
            if ($null -eq $e) { continue }
            if ($e -is [System.Management.Automation.ErrorRecord]) { $errs.Add((ConvertTo-CredHopErrorInfo $e -Remote)) }
            elseif ($e -is [System.Exception] -and $e -is [System.Management.Automation.IContainsErrorRecord]) { $errs.Add((ConvertTo-CredHopErrorInfo $e.ErrorRecord -Remote)) }
        }
        if ($reuse -and $null -ne $session -and [string]$session.State -ne 'Opened') {
            $script:RemoteSessions.Remove($key)
            try { Remove-PSSession -Session $session -ErrorAction SilentlyContinue } catch { $null = $_ }
            if ($attempt -eq 0) { continue }
        }
        break
    }
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $d['output'] = [object[]]$out.ToArray()
    $d['errors'] = [object[]]$errs.ToArray()
    $script:Result = $d
}

function Invoke-CredHopCloseSessions {
    <# payload {} -> {closed}: ends every kept management session (Remove-PSSession), so nothing of
       CredHop's stays open on a jump server once a clean-up has nothing left to restore. A session that
       cannot be removed is dropped all the same (the jump server ends it at its idle time-out). #>
    param($P)
    Assert-CredHopFields $P @() 'payload'
    $closed = 0
    foreach ($key in @($script:RemoteSessions.Keys)) {
        $session = $script:RemoteSessions[$key]
        $script:RemoteSessions.Remove($key)
        if ($null -eq $session) { continue }
        try { Remove-PSSession -Session $session -ErrorAction Stop; $closed++ } catch { $null = $_ }
    }
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $d['closed'] = $closed
    $script:Result = $d
}
