# CredHop lab: WinRM remoting: Invoke-Command, New-/Get-/Remove-PSSession, Test-WSMan and the second-hop rules.
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).

# ---------------------------------------------------------------------------------------------
# Remoting
# ---------------------------------------------------------------------------------------------
function New-LabTransportError {
    param([string]$Kind, [string]$ComputerName, [string]$Suffix = 'PSSessionStateBroken', [string]$AuthName = 'Kerberos')
    $c = $script:Codes[$Kind]
    $text = switch ($Kind) {
        'Timeout' { $script:Texts.Unreachable }
        'NotFound' { $script:Texts.Unreachable }
        'CannotConnect' { $script:Texts.Unreachable }
        'E1' { $script:Texts.E1 -f $null, $AuthName }
        default { $script:Texts[$Kind] }
    }
    if ($Kind -eq 'CredSSPNoCred') { $msg = $text } else { $msg = ($script:Prefix -f $ComputerName) + $text + $script:Suffix }
    $ex = [System.Management.Automation.Remoting.PSRemotingTransportException]::new($msg)
    $ex.ErrorCode = $c.Code
    $cat = if ($Kind -eq 'CredSSPNoCred') { 'InvalidArgument' } else { 'OpenError' }
    New-LabErrorRecord $ex ($c.Id + ',' + $Suffix) $cat $ComputerName
}

function Resolve-LabComputer {
    param($State, [string]$Name)
    if ($Name -ieq 'localhost' -or $Name -eq '.' -or $Name -eq '127.0.0.1') { return @{ Host = (Get-LabCtxHost $State); Kind = 'short' } }
    # Direct lookups first (short name, then the FQDN's first label); the scan below finds addresses.
    $first = $Name.Split('.')[0]
    if ($State.hosts.Contains($first)) {
        $h = $State.hosts[$first]
        if ($h.name -ieq $Name) { return @{ Host = $h; Kind = 'short' } }
        if ($h.fqdn -ieq $Name) { return @{ Host = $h; Kind = 'fqdn' } }
    }
    foreach ($hn in $State.hosts.Keys) {
        $h = $State.hosts[$hn]
        if ($h.name -ieq $Name) { return @{ Host = $h; Kind = 'short' } }
        if ($h.fqdn -ieq $Name) { return @{ Host = $h; Kind = 'fqdn' } }
        if ($h.address -and $h.address -eq $Name) { return @{ Host = $h; Kind = 'address' } }
    }
    $null
}

function Connect-LabHost {
    <# The second-hop rules. Returns @{ Ok; Error; Host; User; CanDelegate; Auth; Kind } and counts the connection.
       With -CountedState the caller has counted (a fan-out counts all its connections in one save) and passes -Previous. #>
    param([string]$ComputerName, [string]$Authentication, [pscredential]$Credential, [string]$Suffix, $CountedState, [int]$Previous = -1)
    $auth = if ($Authentication) { $Authentication } else { 'Default' }
    $fail = { param($kind, $an) @{ Ok = $false; Kind = $kind; Error = (New-LabTransportError $kind $ComputerName $Suffix $an) } }
    if ($auth -ieq 'Credssp' -and $null -eq $Credential) { return (& $fail 'CredSSPNoCred') }
    # (PowerShell's variable names ignore case: $CountedState must not be spelled $state.)
    $state = $CountedState
    if ($null -eq $state) { $state = Read-LabState }
    $r = Resolve-LabComputer $state $ComputerName
    if ($null -eq $r) { return (& $fail 'NotFound') }
    $target = $r.Host
    $prev = $Previous
    if ($null -eq $CountedState) {
        # count the connection attempt (persisted)
        $cn = $state.counters.connections
        $prev = 0; if ($cn.Contains($target.name)) { $prev = [int]$cn[$target.name] }
        $cn[$target.name] = $prev + 1
        Save-LabState $state
    }
    if (-not $target.reachable -or $target.off) { return (& $fail 'Timeout') }   # off: switched off (ScheduledTasks.ps1)
    if ($null -ne $target.stopAnsweringAfter -and $prev -ge [int]$target.stopAnsweringAfter) { return (& $fail 'Timeout') }
    if (-not $target.winrm) { return (& $fail 'CannotConnect') }
    $local = Get-LabCtxHost $state
    $byAddress = ($r.Kind -eq 'address')
    # TrustedHosts of the client (WSMan:\localhost\Client\TrustedHosts, or the GPO's list), matched against the name as typed
    $trusted = Test-LabTrustedHost $local $ComputerName
    # A local account (HOST\x, .\x: outside the domain) has no Kerberos: NTLM, so by name too the caller's
    # TrustedHosts must list the destination, and CredSSP needs the NTLM-only list. The caller's own
    # delegated identity counts too (the jump server passing on a local account is an NTLM call of its own).
    $who = if ($null -ne $Credential) { $Credential.UserName } elseif ($script:Ctx.CanDelegate) { Get-LabCtxUser $state } else { $null }
    $localAccount = Test-LabNtlmAccountName $state $who
    if ($localAccount -and -not $byAddress -and $auth -in 'Default', 'Negotiate' -and -not $trusted) { return (& $fail 'NotTrusted') }
    if ($byAddress) {
        # CannotUseIPAddress's own text: Default by address needs the TrustedHosts list AND explicit credentials
        if ($auth -ieq 'Kerberos' -or ($auth -in 'Default', 'Negotiate' -and $null -eq $Credential)) { return (& $fail 'IPAddress') }
        if ($auth -ieq 'Default' -and -not $trusted) { return (& $fail 'IPAddress') }
        if ($auth -ieq 'Negotiate' -and -not $trusted) { return (& $fail 'NotTrusted') }
    }
    if ($auth -ieq 'Credssp') {
        if (-not (Get-LabWinRMFlag $local 'Client')) { return (& $fail 'E5') }
        # CredSSP by address or to a host without a WSMAN SPN: TrustedHosts first, then the NTLM-only list (E3)
        $ntlmOnly = $byAddress -or -not $target.spn -or $localAccount
        if ($ntlmOnly -and -not $trusted) { return (& $fail 'NotTrusted') }
        if ($ntlmOnly) {
            $l = Get-LabDelegationList $local 'freshNtlm'
            if (-not ($l.enabled -and @($l.entries | Where-Object { Test-LabSpnMatch $_ $ComputerName }).Count -gt 0)) { return (& $fail 'E3') }
        }
        else {
            $l = Get-LabDelegationList $local 'fresh'
            if (-not ($l.enabled -and @($l.entries | Where-Object { Test-LabSpnMatch $_ $ComputerName }).Count -gt 0)) { return (& $fail 'E2') }
        }
        if (-not (Get-LabWinRMFlag $target 'Service')) { return (& $fail 'E4') }
    }
    elseif (-not $byAddress -and $target.httpSpnConflict -and $auth -in 'Default', 'Kerberos', 'Negotiate') { return (& $fail 'E6') }
    # identity
    if ($null -ne $Credential) {
        $a = Get-LabAccount $state $Credential.UserName $target
        # NTLM: the destination itself refuses a name it does not know (another host's local account) or a
        # wrong password with "Access is denied." (code 5); a domain account fails at the domain controller.
        $refused = if ($localAccount) { 'E7' } else { 'LogonFailure' }
        if ($null -eq $a) { return (& $fail $refused) }
        $acc = $a.name
        if ($null -ne $a.passwordHash) {
            # Method calls only: a password must not become a parameter binding (module logging records
            # those), not even in the lab, which stands in for the domain controller here.
            $sha = [System.Security.Cryptography.SHA256]::Create()
            try { $given = [System.Convert]::ToHexString($sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($a.salt + $Credential.GetNetworkCredential().Password))) }
            finally { $sha.Dispose() }
            if ($given -ne $a.passwordHash) { return (& $fail $refused) }
        }
        $user = $acc
    }
    else {
        if (-not $script:Ctx.CanDelegate) {
            $an = if ($auth -ieq 'Negotiate') { 'Negotiate' } else { 'Kerberos' }
            return (& $fail 'E1' $an)
        }
        $user = Get-LabCtxUser $state
    }
    if (@($target.admins) -notcontains $user) { return (& $fail 'E7') }
    @{ Ok = $true; Host = $target.name; User = $user; CanDelegate = ($auth -ieq 'Credssp'); Auth = $auth; Kind = 'Ok' }
}

function Wait-LabCost {
    # Waits what a connection or a call costs, and keeps the process' total (AppDomain data
    # CredHopLab.WaitedMs): what the lab added, exactly, whatever else the machine was doing.
    param([long]$Ms)
    if ($Ms -le 0) { return }
    Microsoft.PowerShell.Utility\Start-Sleep -Milliseconds $Ms
    $total = [System.AppDomain]::CurrentDomain.GetData('CredHopLab.WaitedMs')
    if ($null -eq $total) { $total = [long]0 }
    [System.AppDomain]::CurrentDomain.SetData('CredHopLab.WaitedMs', [long]$total + $Ms)
}

function Wait-LabSessionOpen {
    # Opening a session costs what a new connection costs (Get-LabRemoteCost; zero in a lab file without latencies).
    param([string]$ComputerName)
    $st = Read-LabState -ReadOnly
    $r = Resolve-LabComputer $st $ComputerName
    Wait-LabCost (Get-LabRemoteCost $st $(if ($null -ne $r) { $r.Host })).Connect
}

function Use-LabSessionCall {
    # One call over a kept session: counted (counters.calls, by host) and its cost waited (the host's operationMs).
    param($State, $HostRecord)
    Add-LabCount $State 'calls' $HostRecord.name
    Save-LabState $State
    Wait-LabCost (Get-LabRemoteCost $State $HostRecord).Call
}

function New-LabRunspace {
    param([hashtable]$Conn)
    # The endpoint's PowerShell runs the session (the default endpoint: Windows PowerShell 5.1).
    $Conn.Edition = Get-LabHostEdition (Get-LabHost (Read-LabState -ReadOnly) $Conn.Host) 'endpoint'
    $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
    $rs = [System.Management.Automation.Runspaces.RunspaceFactory]::CreateRunspace($iss)
    $rs.Open()
    $ps = [powershell]::Create()
    try {
        $ps.Runspace = $rs
        $null = $ps.AddCommand('Microsoft.PowerShell.Core\Import-Module').AddParameter('Name', $script:ManifestPath).AddParameter('Global').AddParameter('Force')
        $null = $ps.AddStatement().AddCommand('Enter-CredHopLabHost').AddParameter('StateDir', $script:Ctx.StateDir).AddParameter('HostName', $Conn.Host).AddParameter('User', $Conn.User).AddParameter('CanDelegate', [bool]$Conn.CanDelegate).AddParameter('Authentication', $Conn.Auth).AddParameter('Remote', $true).AddParameter('Depth', [int]$script:Ctx.Depth + 1).AddParameter('Edition', $Conn.Edition)
        $null = $ps.Invoke()
        if ($ps.HadErrors) { throw "CredHop lab: could not start the remote runspace: $($ps.Streams.Error[0])" }
    }
    finally { $ps.Dispose() }
    $rs
}

function ConvertTo-LabRemoteScript {
    # $using:name -> $__credhop_using_name (values travel separately, serialized). Only $using: in the
    # outermost script block is rewritten; a nested Invoke-Command handles its own.
    param([scriptblock]$ScriptBlock, $CallerState)
    $ast = $ScriptBlock.Ast
    $text = $ast.Extent.Text
    $base = $ast.Extent.StartOffset
    $usings = $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.UsingExpressionAst] }, $true)
    $values = @{}
    $edits = [System.Collections.Generic.List[object]]::new()
    foreach ($u in $usings) {
        # skip usings that belong to a nested script block (they are for the next hop)
        $p = $u.Parent; $nested = $false
        while ($null -ne $p -and $p -ne $ast) { if ($p -is [System.Management.Automation.Language.ScriptBlockAst]) { $nested = $true; break }; $p = $p.Parent }
        if ($nested) { continue }
        $v = $u.SubExpression
        if ($v -isnot [System.Management.Automation.Language.VariableExpressionAst]) { throw "CredHop lab: only simple `$using:name expressions are supported (got $($u.Extent.Text))." }
        $name = $v.VariablePath.UserPath
        $var = $CallerState.PSVariable.Get($name)
        if ($null -eq $var) {
            $ex = [System.Management.Automation.RuntimeException]::new("The value of the using variable '`$using:$name' cannot be retrieved because it has not been set in the local session.")
            throw (New-LabErrorRecord $ex 'UsingVariableIsUndefined,Microsoft.PowerShell.Commands.InvokeCommandCommand' 'InvalidOperation' $null)
        }
        $values['__credhop_using_' + $name] = $var.Value
        $edits.Add(@{ Start = $u.Extent.StartOffset - $base; Length = $u.Extent.EndOffset - $u.Extent.StartOffset; Text = '$__credhop_using_' + $name })
    }
    foreach ($e in ($edits | Sort-Object { $_.Start } -Descending)) { $text = $text.Remove($e.Start, $e.Length).Insert($e.Start, $e.Text) }
    if ($ast.Parent -is [System.Management.Automation.Language.ScriptBlockExpressionAst] -or ($text.StartsWith('{') -and $text.EndsWith('}'))) { $text = $text.Substring(1, $text.Length - 2) }
    @{ Text = $text; Using = $values }
}

function Copy-LabBySerializer {
    param($Value)
    if ($null -eq $Value) { return $null }
    [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($Value, 1))
}

function Invoke-LabInRunspace {
    param($Cmdlet, $Runspace, [hashtable]$Conn, [string]$ComputerName, [hashtable]$Script, [object[]]$Arguments, [switch]$HideComputerName, $State)
    $state = $State
    if ($null -eq $state) { $state = Read-LabState }
    $saved = @{ SystemRoot = $env:SystemRoot; windir = $env:windir; COMPUTERNAME = $env:COMPUTERNAME; USERNAME = $env:USERNAME; USERDOMAIN = $env:USERDOMAIN; ProgramData = $env:ProgramData }
    $ps = [powershell]::Create()
    try {
        Set-LabProcessEnv $state $Conn.Host $Conn.User
        $ps.Runspace = $Runspace
        # The endpoint's language mode (App Control/AppLocker on that host: ConstrainedLanguage)
        $Runspace.SessionStateProxy.LanguageMode = $(if ((Get-LabHost $state $Conn.Host).endpointLanguageMode -eq 'ConstrainedLanguage') { 'ConstrainedLanguage' } else { 'FullLanguage' })
        foreach ($k in $Script.Using.Keys) { $Runspace.SessionStateProxy.SetVariable($k, (Copy-LabBySerializer $Script.Using[$k])) }
        $null = $ps.AddScript($Script.Text)
        foreach ($a in @($Arguments)) { $null = $ps.AddArgument((Copy-LabBySerializer $a)) }
        $out = $null
        $terminating = $null
        # The endpoint parses what it is sent: 5.1 refuses 7-only syntax (Editions.ps1).
        if ($Conn.Edition -eq '5.1') {
            try { Assert-LabRemoteScript51 $Script.Text } catch { $terminating = $_.Exception.ErrorRecord }
        }
        try { if ($null -eq $terminating) { $out = $ps.Invoke() } }
        catch {
            $inner = $_.Exception
            while ($inner -is [System.Management.Automation.MethodInvocationException] -and $null -ne $inner.InnerException) { $inner = $inner.InnerException }
            if ($inner -is [System.Management.Automation.IContainsErrorRecord]) { $terminating = $inner.ErrorRecord }
            else { $terminating = [System.Management.Automation.ErrorRecord]::new($inner, $inner.GetType().FullName, 'NotSpecified', $null) }
        }
    }
    finally {
        foreach ($k in $saved.Keys) { [System.Environment]::SetEnvironmentVariable($k, $saved[$k]) }
    }
    $originGuid = $Runspace.InstanceId
    foreach ($o in @($out)) {
        if ($null -eq $o) { continue }
        $d = Copy-LabBySerializer $o
        $pso = [System.Management.Automation.PSObject]::AsPSObject($d)
        # (as Add-Member -Force, without its cost per object)
        $props = $pso.PSObject.Properties
        foreach ($np in @(@('PSComputerName', $ComputerName), @('RunspaceId', $originGuid), @('PSShowComputerName', (-not $HideComputerName)))) {
            if ($null -ne $props[$np[0]]) { $props.Remove($np[0]) }
            $props.Add([System.Management.Automation.PSNoteProperty]::new($np[0], $np[1]))
        }
        $Cmdlet.WriteObject($pso)
    }
    foreach ($w in @($ps.Streams.Warning)) { $Cmdlet.WriteWarning($w.Message) }
    $errs = @($ps.Streams.Error)
    if ($null -ne $terminating) { $errs += $terminating }
    $ps.Dispose()
    foreach ($e in $errs) {
        # round-trip the error as remoting does: a RemoteException carrying the serialized original
        $ser = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($e, 2))
        $rec = $script:FromRemoting.Invoke($null, @($ser))
        $oi = [System.Management.Automation.Remoting.OriginInfo]::new($ComputerName, $originGuid)
        $rer = [System.Management.Automation.Runspaces.RemotingErrorRecord]::new($rec, $oi)
        Write-LabError $Cmdlet $rer
    }
}

function Invoke-Command {
    [CmdletBinding(DefaultParameterSetName = 'InProcess')]
    param(
        [Parameter(ParameterSetName = 'ComputerName', Mandatory, Position = 0)][Alias('Cn')][ValidateNotNullOrEmpty()][string[]]$ComputerName,
        [Parameter(ParameterSetName = 'Session', Mandatory, Position = 0)][ValidateNotNullOrEmpty()][object[]]$Session,
        [Parameter(ParameterSetName = 'ComputerName', Mandatory, Position = 1)]
        [Parameter(ParameterSetName = 'Session', Mandatory, Position = 1)]
        [Parameter(ParameterSetName = 'InProcess', Mandatory, Position = 0)]
        [Alias('Command')][ValidateNotNull()][scriptblock]$ScriptBlock,
        [Alias('Args')][object[]]$ArgumentList,
        [Parameter(ParameterSetName = 'ComputerName')][pscredential][System.Management.Automation.Credential()]$Credential,
        [Parameter(ParameterSetName = 'ComputerName')][System.Management.Automation.Runspaces.AuthenticationMechanism]$Authentication = 'Default',
        [Parameter(ParameterSetName = 'ComputerName')][int]$Port,
        [Parameter(ParameterSetName = 'ComputerName')][switch]$UseSSL,
        [Parameter(ParameterSetName = 'ComputerName')][object]$SessionOption,
        [Parameter(ParameterSetName = 'ComputerName')][Parameter(ParameterSetName = 'Session')][int]$ThrottleLimit,
        [Parameter(ParameterSetName = 'ComputerName')][Parameter(ParameterSetName = 'Session')][Alias('HCN')][switch]$HideComputerName,
        [Parameter(ValueFromPipeline)][psobject]$InputObject,
        [Parameter(ParameterSetName = 'InProcess')][switch]$NoNewScope
    )
    begin { Import-LabCallerPreference $PSCmdlet $PSBoundParameters }
    end {
        if ($PSCmdlet.ParameterSetName -eq 'InProcess') {
            if ($NoNewScope) { . $ScriptBlock @ArgumentList } else { & $ScriptBlock @ArgumentList }
            return
        }
        $script1 = ConvertTo-LabRemoteScript $ScriptBlock $PSCmdlet.SessionState
        if ($PSCmdlet.ParameterSetName -eq 'Session') {
            foreach ($s in $Session) {
                $entry = $script:Sessions[[string]$s.InstanceId]
                if ($null -eq $entry -or $entry.State -ne 'Opened') {
                    $ex = [System.Management.Automation.Remoting.PSRemotingTransportException]::new("Because the session state for session $($s.Name), $($s.InstanceId), $($s.ComputerName) is not equal to Open, you cannot run a command in the session.  The session state is $(if ($entry) { $entry.State } else { 'Closed' }).")
                    Write-LabError $PSCmdlet (New-LabErrorRecord $ex 'InvalidSessionState,Microsoft.PowerShell.Commands.InvokeCommandCommand' 'InvalidOperation' $s)
                    continue
                }
                # A kept session breaks when its host stops answering (unreachable, WinRM stopped, or past
                # its stopAnsweringAfter), as a real WSMan session does; the caller must open a new one.
                $st = Read-LabState
                $th = Get-LabHost $st $entry.Conn.Host
                $count = 0; if ($st.counters.connections.Contains($th.name)) { $count = [int]$st.counters.connections[$th.name] }
                $down = $null
                if (-not $th.reachable -or ($null -ne $th.stopAnsweringAfter -and $count -gt [int]$th.stopAnsweringAfter)) { $down = 'Timeout' }
                elseif (-not $th.winrm) { $down = 'CannotConnect' }
                if ($down) {
                    $entry.State = 'Broken'; $entry.Session.State = 'Broken'
                    Write-LabError $PSCmdlet (New-LabTransportError $down $entry.Session.ComputerName 'PSSessionStateBroken')
                    continue
                }
                Use-LabSessionCall $st $th
                Invoke-LabInRunspace $PSCmdlet $entry.Runspace $entry.Conn $entry.Session.ComputerName $script1 $ArgumentList -HideComputerName:$HideComputerName
            }
            return
        }
        if (@($ComputerName).Count -gt 1) {
            Invoke-LabFanOut $PSCmdlet $ComputerName ([string]$Authentication) $Credential $script1 $ArgumentList $ThrottleLimit $SessionOption -HideComputerName:$HideComputerName
            return
        }
        foreach ($cn in $ComputerName) {
            $conn = Connect-LabHost $cn ([string]$Authentication) $Credential 'PSSessionStateBroken'
            $wait = Get-LabConnectWait (Read-LabState) $cn $conn $SessionOption
            Wait-LabCost $wait.Ms
            if ($wait.Error) { Write-LabError $PSCmdlet $wait.Error; continue }
            if (-not $conn.Ok) { Write-LabError $PSCmdlet $conn.Error; continue }
            $rs = New-LabRunspace $conn
            try { Invoke-LabInRunspace $PSCmdlet $rs $conn $cn $script1 $ArgumentList -HideComputerName:$HideComputerName }
            finally { $rs.Dispose() }
        }
    }
}

function New-PSSession {
    [CmdletBinding(DefaultParameterSetName = 'ComputerName')]
    param(
        [Parameter(Position = 0, Mandatory)][Alias('Cn')][ValidateNotNullOrEmpty()][string[]]$ComputerName,
        [pscredential][System.Management.Automation.Credential()]$Credential,
        [System.Management.Automation.Runspaces.AuthenticationMechanism]$Authentication = 'Default',
        [string]$Name,
        [int]$Port,
        [switch]$UseSSL,
        [object]$SessionOption
    )
    Import-LabCallerPreference $PSCmdlet $PSBoundParameters
    foreach ($cn in $ComputerName) {
        $conn = Connect-LabHost $cn ([string]$Authentication) $Credential 'PSSessionOpenFailed'
        Wait-LabSessionOpen $cn
        if (-not $conn.Ok) { Write-LabError $PSCmdlet $conn.Error; continue }
        $rs = New-LabRunspace $conn
        $id = $script:NextSessionId++
        $s = [pscustomobject]@{
            Id             = $id
            Name           = $(if ($Name) { $Name } else { "Runspace$id" })
            ComputerName   = $cn
            ComputerType   = 'RemoteMachine'
            State          = 'Opened'
            ConfigurationName = 'Microsoft.PowerShell'
            Availability   = 'Available'
            InstanceId     = $rs.InstanceId
            Authentication = [string]$Authentication
        }
        $s.PSObject.TypeNames.Insert(0, 'CredHopLab.PSSession')
        $script:Sessions[[string]$rs.InstanceId] = @{ Runspace = $rs; Conn = $conn; Session = $s; State = 'Opened' }
        $s
    }
}

function Get-PSSession {
    [CmdletBinding()]
    param([Parameter(Position = 0)][string[]]$ComputerName, [int[]]$Id)
    foreach ($k in @($script:Sessions.Keys)) {
        $e = $script:Sessions[$k]
        if ($ComputerName -and @($ComputerName | Where-Object { $_ -ieq $e.Session.ComputerName }).Count -eq 0) { continue }
        if ($Id -and $Id -notcontains $e.Session.Id) { continue }
        $e.Session
    }
}

function Remove-PSSession {
    [CmdletBinding(DefaultParameterSetName = 'Session')]
    param(
        [Parameter(ParameterSetName = 'Session', Mandatory, Position = 0, ValueFromPipeline)][object[]]$Session,
        [Parameter(ParameterSetName = 'Id', Mandatory)][int[]]$Id
    )
    process {
        $targets = if ($PSCmdlet.ParameterSetName -eq 'Id') { @(Get-PSSession -Id $Id) } else { $Session }
        foreach ($s in $targets) {
            $k = [string]$s.InstanceId
            $e = $script:Sessions[$k]
            if ($null -eq $e) { continue }
            $e.Runspace.Dispose()
            $e.State = 'Closed'
            $e.Session.State = 'Closed'; $e.Session.Availability = 'None'
            $script:Sessions.Remove($k)
        }
    }
}

function Test-WSMan {
    # PingWSMan.cs: an empty or '.' computer name means localhost; the answer is WinRM's Identify response
    # as an XmlElement (its PSObject type name carries the namespace, its wsmid property is the xmlns).
    [CmdletBinding()]
    param(
        [Parameter(Position = 0, ValueFromPipeline)][AllowNull()][AllowEmptyString()][string]$ComputerName = 'localhost',
        [pscredential][System.Management.Automation.Credential()]$Credential,
        [string]$Authentication = 'None',
        [int]$Port, [switch]$UseSSL, [string]$ApplicationName = 'wsman', [string]$CertificateThumbprint
    )
    Import-LabCallerPreference $PSCmdlet $PSBoundParameters
    if ([string]::IsNullOrEmpty($ComputerName) -or $ComputerName -eq '.') { $ComputerName = 'localhost' }
    # -Authentication is the enum AuthenticationMechanism: an unknown name fails to convert
    $mechanisms = @('None', 'Default', 'Digest', 'Negotiate', 'Basic', 'Kerberos', 'ClientCertificate', 'Credssp')
    if ($mechanisms -notcontains $Authentication) {
        $text = 'Cannot bind parameter ''Authentication''. Cannot convert value "{0}" to type "Microsoft.WSMan.Management.AuthenticationMechanism". Error: "Unable to match the identifier name {0} to a valid enumerator name. Specify one of the following enumerator names and try again:{1}{2}"' -f $Authentication, [System.Environment]::NewLine, ($mechanisms -join ', ')
        Stop-LabCommand $PSCmdlet (New-LabErrorRecord ([System.Management.Automation.PSArgumentException]::new($text)) 'CannotConvertArgumentNoMessage,Microsoft.WSMan.Management.TestWSManCommand' 'InvalidArgument' $Authentication)
    }
    $state = Read-LabState -ReadOnly
    $r = Resolve-LabComputer $state $ComputerName
    $bad = $null
    if ($null -eq $r -or -not $r.Host.reachable) { $bad = $script:Texts.Unreachable }
    elseif (-not $r.Host.winrm) { $bad = 'The client cannot connect to the destination specified in the request. Verify that the service on the destination is running and is accepting requests.' }
    if ($bad) {
        $ex = [System.InvalidOperationException]::new("<f:WSManFault xmlns:f=""http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"" Code=""2150858770"" Machine=""$((Get-LabCtxHost $state).name)""><f:Message>$bad </f:Message></f:WSManFault>")
        Write-LabError $PSCmdlet (New-LabErrorRecord $ex 'WsManError,Microsoft.WSMan.Management.TestWSManCommand' 'InvalidOperation' $ComputerName)
        return
    }
    # an authenticated Identify reveals the OS version; an anonymous one (the default) does not
    $version = if ($Authentication -ne 'None') { 'OS: 10.0.17763 SP: 0.0 Stack: 3.0' } else { 'OS: 0.0.0 SP: 0.0 Stack: 3.0' }
    $x = [System.Xml.XmlDocument]::new()
    $x.LoadXml('<wsmid:IdentifyResponse xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><wsmid:ProtocolVersion>http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd</wsmid:ProtocolVersion><wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor><wsmid:ProductVersion>' + $version + '</wsmid:ProductVersion></wsmid:IdentifyResponse>')
    $x.DocumentElement
}
