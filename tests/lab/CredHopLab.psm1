#requires -Version 7.2
<#
  CredHop lab: a simulated Windows estate that replaces the operating system and nothing else.

  Imported into the GLOBAL scope (Import-Module CredHopLab.psd1 -Global), it defines functions with
  the names of the Windows commands CredHop (and ordinary Windows scripts) call. PowerShell resolves
  functions before cmdlets and external programs, so unchanged product code runs on top of it.
  Facts followed: /work/shared/reference/windows-credssp.md. Format of lab files: README.md.

  Internals never call the shadowed names: they use [System.IO.File] / fully-qualified cmdlets.
#>
Set-StrictMode -Off

$script:ModuleRoot = $PSScriptRoot
$script:ManifestPath = [System.IO.Path]::Combine($PSScriptRoot, 'CredHopLab.psd1')
$script:Ctx = $null            # per runspace: which host this runspace "is", and as whom
$script:Sessions = [ordered]@{} # persistent lab PSSessions opened from this runspace
$script:NextSessionId = 1
$script:PreserveInvocation = [System.Management.Automation.ErrorRecord].GetProperty(
    'PreserveInvocationInfoOnce', [System.Reflection.BindingFlags]'NonPublic,Instance')
$script:FromRemoting = [System.Management.Automation.ErrorRecord].GetMethod(
    'FromPSObjectForRemoting', [System.Reflection.BindingFlags]'NonPublic,Static')

# ---------------------------------------------------------------------------------------------
# Constants (registry paths are relative to HKEY_LOCAL_MACHINE)
# ---------------------------------------------------------------------------------------------
$script:KeyCD = 'SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation'
$script:KeyWinRMPolicyClient = 'SOFTWARE\Policies\Microsoft\Windows\WinRM\Client'
$script:KeyWinRMPolicyService = 'SOFTWARE\Policies\Microsoft\Windows\WinRM\Service'
$script:KeyWsmanClient = 'SOFTWARE\Microsoft\Windows\CurrentVersion\WSMAN\Client'
$script:KeyWsmanService = 'SOFTWARE\Microsoft\Windows\CurrentVersion\WSMAN\Service'
$script:KeyOracle = 'SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters'
$script:Lists = @{
    fresh     = @{ Allow = 'AllowFreshCredentials'; Concat = 'ConcatenateDefaults_AllowFresh'; Sub = 'AllowFreshCredentials' }
    freshNtlm = @{ Allow = 'AllowFreshCredentialsWhenNTLMOnly'; Concat = 'ConcatenateDefaults_AllowFreshNTLMOnly'; Sub = 'AllowFreshCredentialsWhenNTLMOnly' }
}
$script:RegistryCse = '{35378EAC-683F-11D2-A89A-00C04FBBCFA2}'
$script:RegistryTool = '{D02B1F72-3407-48AE-BA88-E8213C6761F1}'

$script:Codes = @{
    E1             = @{ Code = 1312; Id = '1312' }
    E2             = @{ Code = -2144108125; Id = '-2144108125' }
    E3             = @{ Code = -2144108124; Id = '-2144108124' }
    E4             = @{ Code = 5; Id = 'AccessDenied' }
    E5             = @{ Code = -2144108126; Id = '-2144108126' }
    E6             = @{ Code = -2144108387; Id = '-2144108387' }
    E7             = @{ Code = 5; Id = 'AccessDenied' }
    Timeout        = @{ Code = -2144108250; Id = 'WinRMOperationTimeout' }
    NotFound       = @{ Code = -2144108103; Id = 'ComputerNotFound' }
    CannotConnect  = @{ Code = -2144108526; Id = 'CannotConnect' }
    IPAddress      = @{ Code = -2144108101; Id = 'CannotUseIPAddress' }
    LogonFailure   = @{ Code = 1326; Id = 'LogonFailure' }
    CredSSPNoCred  = @{ Code = -2144108127; Id = '-2144108127' }
}
$script:Prefix = 'Connecting to remote server {0} failed with the following error message : '
$script:Suffix = ' For more information, see the about_Remote_Troubleshooting Help topic.'
$script:Texts = @{
    E1            = 'WinRM cannot process the request. The following error with errorcode 0x8009030e occurred while using {1} authentication: A specified logon session does not exist. It may already have been terminated. Possible causes are: -The user name or password specified are invalid. -Kerberos is used when no authentication method and no user name are specified. -Kerberos accepts domain user names, but not local user names. -The Service Principal Name (SPN) for the remote computer name and port does not exist. -The client and remote computers are in different domains and there is no trust between the two domains. After checking for the above issues, try the following: -Check the Event Viewer for events related to authentication. -Change the authentication method; add the destination computer to the WinRM TrustedHosts configuration setting or use HTTPS transport. Note that computers in the TrustedHosts list might not be authenticated. -For more information about WinRM configuration, run the following command: winrm help config.'
    E2            = 'The WinRM client cannot process the request. A computer policy does not allow the delegation of the user credentials to the target computer. Use gpedit.msc and look at the following policy: Computer Configuration -> Administrative Templates -> System -> Credentials Delegation -> Allow Delegating Fresh Credentials.  Verify that it is enabled and configured with an SPN appropriate for the target computer. For example, for a target computer name "myserver.domain.com", the SPN can be one of the following: WSMAN/myserver.domain.com or WSMAN/*.domain.com.'
    E3            = 'The WinRM client cannot process the request. A computer policy does not allow the delegation of the user credentials to the target computer because the computer is not trusted. The identity of the target computer can be verified if you configure the WSMAN service to use a valid certificate using the following command: winrm set winrm/config/service ''@{CertificateThumbprint="<thumbprint>"}''  Or you can check the Event Viewer for an event that specifies that the following SPN could not be created: WSMAN/<computerFQDN>. If you find this event, you can manually create the SPN using setspn.exe .  If the SPN exists, but CredSSP cannot use Kerberos to validate the identity of the target computer and you still want to allow the delegation of the user credentials to the target computer, use gpedit.msc and look at the following policy: Computer Configuration -> Administrative Templates -> System -> Credentials Delegation -> Allow Fresh Credentials with NTLM-only Server Authentication.  Verify that it is enabled and configured with an SPN appropriate for the target computer. For example, for a target computer name "myserver.domain.com", the SPN can be one of the following: WSMAN/myserver.domain.com or WSMAN/*.domain.com. Try the request again after these changes.'
    E4            = 'The WinRM client cannot process the request. The authentication mechanism requested by the client is not supported by the server or unencrypted traffic is disabled in the service configuration. Verify the unencrypted traffic setting in the service configuration or specify one of the authentication mechanisms supported by the server.  To use Kerberos, specify the computer name as the remote destination. Also verify that the client computer and the destination computer are joined to a domain. To use Basic, specify the computer name as the remote destination, specify Basic authentication and provide user name and password. Possible authentication mechanisms reported by server:     Negotiate Kerberos'
    E5            = 'The WinRM client cannot process the request. CredSSP authentication is currently disabled in the client configuration. Change the client configuration and try the request again. CredSSP authentication must also be enabled in the server configuration. Also, Group Policy must be edited to allow credential delegation to the target computer.'
    E6            = 'WinRM cannot process the request. The following error with errorcode 0x80090322 occurred while using Kerberos authentication: An unknown security error occurred.  Possible causes are: -The user name or password specified are invalid. -Kerberos is used when no authentication method and no user name are specified. -Kerberos accepts domain user names, but not local user names. -The Service Principal Name (SPN) for the remote computer name and port does not exist. -The client and remote computers are in different domains and there is no trust between the two domains.'
    E7            = 'Access is denied.'
    Unreachable   = 'WinRM cannot complete the operation. Verify that the specified computer name is valid, that the computer is accessible over the network, and that a firewall exception for the WinRM service is enabled and allows access from this computer. By default, the WinRM firewall exception for public profiles limits access to remote computers within the same local subnet.'
    IPAddress     = 'The WinRM client cannot process the request. Default authentication may be used with an IP address under the following conditions: the transport is HTTPS or the destination is in the TrustedHosts list, and explicit credentials are provided. Use winrm.cmd to configure TrustedHosts. Note that computers in the TrustedHosts list might not be authenticated. For more information on how to set TrustedHosts run the following command: winrm help config.'
    LogonFailure  = 'The user name or password is incorrect.'
    CredSSPNoCred = 'The WinRM client cannot process the request. Requests must include user name and password when CredSSP authentication mechanism is used. Add the user name and password or change the authentication mechanism and try the request again.'
    E9Enable      = 'This command cannot be executed because the setting cannot be enabled.'
    E9Disable     = 'This command cannot be executed because the setting cannot be disabled.'
    E10           = 'Access is denied. You need to run this cmdlet from an elevated process.'
    W1            = 'The config setting CredSSP cannot be changed because is controlled by policies. The policy would need to be set to "Not Configured" in order to change the config setting.'
    GetConfigured = 'The machine is configured to allow delegating fresh credentials to the following target(s):'
    GetNotConfig  = 'The machine is not configured to allow delegating fresh credentials.'
    GetReceive    = 'This computer is configured to receive credentials from a remote client computer.'
    GetNoReceive  = 'This computer is not configured to receive credentials from a remote client computer.'
    ConsentQuery  = 'CredSSP authentication allows the user credentials on this computer to be sent to a remote computer. If you use CredSSP authentication for a connection to a malicious or compromised computer, that computer will have access to your user name and password. For more information, see the Enable-WSManCredSSP Help topic. Do you want to enable CredSSP authentication?'
    ConsentServer = 'CredSSP authentication allows the server to accept user credentials from a remote computer. If you enable CredSSP authentication on the server, the server will have access to the user name and password of the client computer if the client computer sends them. For more information, see the Enable-WSManCredSSP Help topic. Do you want to enable CredSSP authentication?'
    ConsentDisable = 'Do you want to disable CredSSP authentication?'
    ConsentCaption = 'CredSSP Authentication Configuration for WS-Management'
}

# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------
function Join-LabPath {
    param([Parameter(ValueFromRemainingArguments)][string[]]$Parts)
    [System.IO.Path]::Combine([string[]]$Parts)
}

function New-LabErrorRecord {
    param(
        [Parameter(Mandatory)][System.Exception]$Exception,
        [Parameter(Mandatory)][string]$Id,
        [System.Management.Automation.ErrorCategory]$Category = 'NotSpecified',
        $Target = $null
    )
    $er = [System.Management.Automation.ErrorRecord]::new($Exception, $Id, $Category, $Target)
    # Keep the id exactly as Windows prints it (a function would otherwise append its own name).
    $script:PreserveInvocation.SetValue($er, $true)
    $er
}

function Write-LabError {
    param($Cmdlet, [System.Management.Automation.ErrorRecord]$ErrorRecord)
    $script:PreserveInvocation.SetValue($ErrorRecord, $true)
    $Cmdlet.WriteError($ErrorRecord)
}

function Import-LabCallerPreference {
    # Compiled cmdlets honour the caller's $ErrorActionPreference; functions from another module
    # would not. Copy it into the shadow function's scope (scope 1 = the caller of this helper).
    param($Cmdlet, $Bound)
    if (-not $Bound.ContainsKey('ErrorAction')) {
        $v = $Cmdlet.SessionState.PSVariable.GetValue('ErrorActionPreference')
        if ($null -ne $v) { Microsoft.PowerShell.Utility\Set-Variable -Name ErrorActionPreference -Value $v -Scope 1 }
    }
    if (-not $Bound.ContainsKey('WarningAction')) {
        $v = $Cmdlet.SessionState.PSVariable.GetValue('WarningPreference')
        if ($null -ne $v) { Microsoft.PowerShell.Utility\Set-Variable -Name WarningPreference -Value $v -Scope 1 }
    }
}

function Get-LabSha256 {
    param([string]$Text)
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try { [System.Convert]::ToHexString($sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($Text))) } finally { $sha.Dispose() }
}

function Test-LabIPv4 {
    param([string]$Text)
    if ($Text -notmatch '^\d{1,3}(\.\d{1,3}){3}$') { return $false }
    foreach ($p in $Text.Split('.')) { if ([int]$p -gt 255) { return $false } }
    $true
}

# ---------------------------------------------------------------------------------------------
# State: one JSON file per lab state dir, written atomically; Registry.pol files per host.
# ---------------------------------------------------------------------------------------------
function Get-LabStateDir {
    if ($null -eq $script:Ctx) { throw 'CredHop lab: not initialized in this runspace (call Initialize-CredHopLab).' }
    $script:Ctx.StateDir
}

function Read-LabJson {
    param([string]$Path)
    $text = [System.IO.File]::ReadAllText($Path)
    Microsoft.PowerShell.Utility\ConvertFrom-Json -InputObject $text -AsHashtable -Depth 100
}

function Write-LabBytesAtomic {
    param([string]$Path, [byte[]]$Bytes)
    $dir = [System.IO.Path]::GetDirectoryName($Path)
    if (-not [System.IO.Directory]::Exists($dir)) { $null = [System.IO.Directory]::CreateDirectory($dir) }
    $tmp = $Path + '.' + [guid]::NewGuid().ToString('N') + '.tmp'
    [System.IO.File]::WriteAllBytes($tmp, $Bytes)
    [System.IO.File]::Move($tmp, $Path, $true)
}

function Read-LabState {
    param([string]$StateDir)
    if (-not $StateDir) { $StateDir = Get-LabStateDir }
    $p = Join-LabPath $StateDir 'state.json'
    if (-not [System.IO.File]::Exists($p)) { throw "CredHop lab: no lab state in '$StateDir' (call Initialize-CredHopLab)." }
    Read-LabJson $p
}

function Save-LabState {
    param($State, [string]$StateDir)
    if (-not $StateDir) { $StateDir = Get-LabStateDir }
    $json = Microsoft.PowerShell.Utility\ConvertTo-Json -InputObject $State -Depth 100
    Write-LabBytesAtomic (Join-LabPath $StateDir 'state.json') ([System.Text.UTF8Encoding]::new($false).GetBytes($json))
}

function Get-LabHostRoot { param([string]$StateDir, [string]$HostName) Join-LabPath $StateDir 'hosts' $HostName.ToLowerInvariant() 'Windows' }
function Get-LabPolPath { param([string]$StateDir, [string]$HostName) Join-LabPath (Get-LabHostRoot $StateDir $HostName) 'System32' 'GroupPolicy' 'Machine' 'Registry.pol' }
function Get-LabGptPath { param([string]$StateDir, [string]$HostName) Join-LabPath (Get-LabHostRoot $StateDir $HostName) 'System32' 'GroupPolicy' 'gpt.ini' }

function Get-LabHost {
    param($State, [string]$Name)
    foreach ($k in @($State.hosts.Keys)) { if ($k -ieq $Name) { return $State.hosts[$k] } }
    $null
}

# ---------------------------------------------------------------------------------------------
# Registry model: host.registry = { "<key path>": { "<value name>": { type, data } } } (HKLM)
# ---------------------------------------------------------------------------------------------
function Format-LabKey { param([string]$Path) (($Path -replace '/', '\').Split('\', [System.StringSplitOptions]::RemoveEmptyEntries)) -join '\' }

function Find-LabRegKey {
    param($HostState, [string]$Path)
    $Path = Format-LabKey $Path
    if ($Path -eq '') { return '' }
    foreach ($k in @($HostState.registry.Keys)) { if ($k -ieq $Path) { return $k } }
    $null
}

function Get-LabRegSubKeys {
    param($HostState, [string]$Path)
    $key = Find-LabRegKey $HostState $Path
    if ($null -eq $key) { return @() }
    $prefix = if ($key -eq '') { '' } else { $key + '\' }
    $out = [System.Collections.Generic.List[string]]::new()
    foreach ($k in @($HostState.registry.Keys)) {
        if ($k.Length -gt $prefix.Length -and $k.StartsWith($prefix, [System.StringComparison]::OrdinalIgnoreCase)) {
            $rest = $k.Substring($prefix.Length)
            if ($rest -notmatch '\\') { $out.Add($k) }
        }
    }
    $out.ToArray()
}

function New-LabRegKey {
    param($HostState, [string]$Path)
    $parts = (Format-LabKey $Path).Split('\', [System.StringSplitOptions]::RemoveEmptyEntries)
    $acc = ''
    foreach ($p in $parts) {
        $acc = if ($acc -eq '') { $p } else { $acc + '\' + $p }
        $found = Find-LabRegKey $HostState $acc
        if ($null -eq $found) { $HostState.registry[$acc] = [ordered]@{} } else { $acc = $found }
    }
    $acc
}

function Remove-LabRegKey {
    param($HostState, [string]$Path)
    $key = Find-LabRegKey $HostState $Path
    if ($null -eq $key -or $key -eq '') { return }
    foreach ($k in @($HostState.registry.Keys)) {
        if ($k -ieq $key -or $k.StartsWith($key + '\', [System.StringComparison]::OrdinalIgnoreCase)) { $HostState.registry.Remove($k) }
    }
}

function Get-LabRegValue {
    param($HostState, [string]$Path, [string]$Name)
    $key = Find-LabRegKey $HostState $Path
    if ($null -eq $key -or $key -eq '') { return $null }
    $vals = $HostState.registry[$key]
    foreach ($n in @($vals.Keys)) { if ($n -ieq $Name) { return $vals[$n] } }
    $null
}

function Get-LabRegValueNames {
    param($HostState, [string]$Path)
    $key = Find-LabRegKey $HostState $Path
    if ($null -eq $key -or $key -eq '') { return }
    @($HostState.registry[$key].Keys)
}

function Set-LabRegValue {
    param($HostState, [string]$Path, [string]$Name, [string]$Type, $Data)
    $key = Find-LabRegKey $HostState $Path
    if ($null -eq $key) { $key = New-LabRegKey $HostState $Path }
    $vals = $HostState.registry[$key]
    $existing = $null
    foreach ($n in @($vals.Keys)) { if ($n -ieq $Name) { $existing = $n } }
    if ($null -ne $existing) { $vals[$existing] = [ordered]@{ type = $Type; data = $Data } }
    else { $vals[$Name] = [ordered]@{ type = $Type; data = $Data } }
}

function Remove-LabRegValue {
    param($HostState, [string]$Path, [string]$Name)
    $key = Find-LabRegKey $HostState $Path
    if ($null -eq $key -or $key -eq '') { return $false }
    $vals = $HostState.registry[$key]
    foreach ($n in @($vals.Keys)) { if ($n -ieq $Name) { $vals.Remove($n); return $true } }
    $false
}

function ConvertFrom-LabRegData {
    # stored JSON data -> the .NET value PowerShell's registry provider returns
    param($Value)
    switch ($Value.type) {
        'DWord' { return [int]$Value.data }
        'QWord' { return [long]$Value.data }
        'Binary' { return , [System.Convert]::FromBase64String([string]$Value.data) }
        'MultiString' { return , [string[]]@($Value.data) }
        default { return [string]$Value.data }
    }
}

# ---------------------------------------------------------------------------------------------
# Registry.pol (PReg) reader / writer
# ---------------------------------------------------------------------------------------------
$script:PolTypes = @{ 1 = 'String'; 2 = 'ExpandString'; 3 = 'Binary'; 4 = 'DWord'; 7 = 'MultiString'; 11 = 'QWord'; 0 = 'None' }
$script:PolTypeNums = @{ String = 1; ExpandString = 2; Binary = 3; DWord = 4; MultiString = 7; QWord = 11; None = 0 }

function Read-LabPol {
    param([string]$Path)
    $records = [System.Collections.Generic.List[object]]::new()
    if (-not [System.IO.File]::Exists($Path)) { return }
    $b = [System.IO.File]::ReadAllBytes($Path)
    if ($b.Length -eq 0) { return }
    if ($b.Length -lt 8 -or $b[0] -ne 0x50 -or $b[1] -ne 0x52 -or $b[2] -ne 0x65 -or $b[3] -ne 0x67) { throw "CredHop lab: '$Path' is not a Registry.pol file (no PReg header)." }
    $i = 8
    $u = [System.Text.Encoding]::Unicode
    while ($i -lt $b.Length) {
        if ($b[$i] -ne 0x5B -or $b[$i + 1] -ne 0) { throw "CredHop lab: '$Path' is corrupt at byte $i (expected '[')." }
        $i += 2
        $s = $i; while (-not ($b[$i] -eq 0 -and $b[$i + 1] -eq 0)) { $i += 2 }; $key = $u.GetString($b, $s, $i - $s); $i += 2
        $i += 2 # ;
        $s = $i; while (-not ($b[$i] -eq 0 -and $b[$i + 1] -eq 0)) { $i += 2 }; $name = $u.GetString($b, $s, $i - $s); $i += 2
        $i += 2 # ;
        $type = [System.BitConverter]::ToUInt32($b, $i); $i += 4
        $i += 2
        $size = [System.BitConverter]::ToUInt32($b, $i); $i += 4
        $i += 2
        $data = [byte[]]::new($size); [System.Array]::Copy($b, $i, $data, 0, $size); $i += $size
        if ($b[$i] -ne 0x5D -or $b[$i + 1] -ne 0) { throw "CredHop lab: '$Path' is corrupt at byte $i (expected ']')." }
        $i += 2
        $tn = $script:PolTypes[[int]$type]; if (-not $tn) { $tn = 'Binary' }
        $value = switch ($tn) {
            'DWord' { [int][System.BitConverter]::ToInt32($data, 0) }
            'QWord' { [long][System.BitConverter]::ToInt64($data, 0) }
            'String' { $u.GetString($data).TrimEnd([char]0) }
            'ExpandString' { $u.GetString($data).TrimEnd([char]0) }
            'MultiString' { , @($u.GetString($data).TrimEnd([char]0).Split([char]0)) }
            default { [System.Convert]::ToBase64String($data) }
        }
        $records.Add([ordered]@{ key = $key; name = $name; type = $tn; data = $value })
    }
    $records.ToArray()
}

function ConvertTo-LabPolBytes {
    param($Records)
    $ms = [System.IO.MemoryStream]::new()
    $u = [System.Text.Encoding]::Unicode
    $w = { param([byte[]]$x) $ms.Write($x, 0, $x.Length) }
    & $w ([byte[]](0x50, 0x52, 0x65, 0x67, 1, 0, 0, 0))
    foreach ($r in $Records) {
        switch ($r.type) {
            'DWord' { $data = [System.BitConverter]::GetBytes([int]$r.data) }
            'QWord' { $data = [System.BitConverter]::GetBytes([long]$r.data) }
            'MultiString' { $data = $u.GetBytes((@($r.data) -join "`0") + "`0`0") }
            'Binary' { $data = [System.Convert]::FromBase64String([string]$r.data) }
            'None' { $data = [byte[]]@() }
            default { $data = $u.GetBytes([string]$r.data + "`0") }
        }
        & $w $u.GetBytes('[' + $r.key + "`0;" + $r.name + "`0;")
        & $w ([System.BitConverter]::GetBytes([uint32]$script:PolTypeNums[$r.type]))
        & $w $u.GetBytes(';')
        & $w ([System.BitConverter]::GetBytes([uint32]$data.Length))
        & $w $u.GetBytes(';')
        & $w $data
        & $w $u.GetBytes(']')
    }
    , $ms.ToArray()
}

function Save-LabPol {
    param([string]$StateDir, [string]$HostName, $Records)
    Write-LabBytesAtomic (Get-LabPolPath $StateDir $HostName) (ConvertTo-LabPolBytes $Records)
    # the GPO engine bumps the machine version of the GPO on every save
    $gpt = Get-LabGptPath $StateDir $HostName
    $ver = 0
    if ([System.IO.File]::Exists($gpt)) {
        foreach ($line in [System.IO.File]::ReadAllLines($gpt)) { if ($line -match '^\s*Version\s*=\s*(\d+)') { $ver = [long]$Matches[1] } }
    }
    $machine = ($ver -band 0xFFFF) + 1; $user = ($ver -shr 16)
    $text = "[General]`r`ngPCMachineExtensionNames=[$($script:RegistryCse)$($script:RegistryTool)]`r`nVersion=$(($user -shl 16) + $machine)`r`n"
    Write-LabBytesAtomic $gpt ([System.Text.Encoding]::ASCII.GetBytes($text))
}

function Set-LabPolRecord {
    # replace in place (same key + value name) or append
    param([System.Collections.Generic.List[object]]$Records, [string]$Key, [string]$Name, [string]$Type, $Data)
    for ($i = 0; $i -lt $Records.Count; $i++) {
        if ($Records[$i].key -ieq $Key -and $Records[$i].name -ieq $Name) {
            $Records[$i] = [ordered]@{ key = $Records[$i].key; name = $Records[$i].name; type = $Type; data = $Data }
            return
        }
    }
    $Records.Add([ordered]@{ key = $Key; name = $Name; type = $Type; data = $Data })
}

function ConvertTo-LabPolicyRecords {
    # a lab-file policy spec -> PReg records. delvals = written by the policy editor (empties the subkey first)
    param($Spec, [bool]$DefaultDelvals)
    $recs = [System.Collections.Generic.List[object]]::new()
    if ($null -eq $Spec) { return }
    foreach ($ln in 'fresh', 'freshNtlm') {
        $l = $Spec[$ln]
        if ($null -eq $l) { continue }
        $names = $script:Lists[$ln]
        if ($null -ne $l['allow']) { $recs.Add([ordered]@{ key = $script:KeyCD; name = $names.Allow; type = 'DWord'; data = [int]$l['allow'] }) }
        if ($null -ne $l['concatenate']) { $recs.Add([ordered]@{ key = $script:KeyCD; name = $names.Concat; type = 'DWord'; data = [int]$l['concatenate'] }) }
        $sub = $script:KeyCD + '\' + $names.Sub
        $delvals = $DefaultDelvals
        if ($l.Contains('delvals')) { $delvals = [bool]$l['delvals'] }
        if ($delvals) { $recs.Add([ordered]@{ key = $sub; name = '**delvals.'; type = 'String'; data = ' ' }) }
        if ($null -ne $l['entries']) {
            foreach ($n in @($l['entries'].Keys)) { $recs.Add([ordered]@{ key = $sub; name = [string]$n; type = 'String'; data = [string]$l['entries'][$n] }) }
        }
    }
    if ($null -ne $Spec['winrmClientAllowCredSSP']) { $recs.Add([ordered]@{ key = $script:KeyWinRMPolicyClient; name = 'AllowCredSSP'; type = 'DWord'; data = [int]$Spec['winrmClientAllowCredSSP'] }) }
    if ($null -ne $Spec['winrmServiceAllowCredSSP']) { $recs.Add([ordered]@{ key = $script:KeyWinRMPolicyService; name = 'AllowCredSSP'; type = 'DWord'; data = [int]$Spec['winrmServiceAllowCredSSP'] }) }
    $recs.ToArray()
}

# ---------------------------------------------------------------------------------------------
# Group Policy refresh (the registry client-side extension)
# ---------------------------------------------------------------------------------------------
function Invoke-LabPolicyRecords {
    param($HostState, $Records, [System.Collections.Generic.List[object]]$Applied)
    foreach ($r in $Records) {
        $n = [string]$r.name
        if ($n -ieq '**delvals.') {
            $k = Find-LabRegKey $HostState $r.key
            if ($null -eq $k) { $null = New-LabRegKey $HostState $r.key } else { $HostState.registry[$k] = [ordered]@{} }
        }
        elseif ($n -like '`*`*del.*') { $null = Remove-LabRegValue $HostState $r.key $n.Substring(6) }
        elseif ($n -ieq '**DeleteValues') { foreach ($v in ([string]$r.data).Split(';', [System.StringSplitOptions]::RemoveEmptyEntries)) { $null = Remove-LabRegValue $HostState $r.key $v } }
        elseif ($n -ieq '**DeleteKeys') { foreach ($v in ([string]$r.data).Split(';', [System.StringSplitOptions]::RemoveEmptyEntries)) { Remove-LabRegKey $HostState ($r.key + '\' + $v) } }
        elseif ($n.StartsWith('**')) { }
        elseif ($n -eq '') { $null = New-LabRegKey $HostState $r.key }
        else {
            Set-LabRegValue $HostState $r.key $n $r.type $r.data
            $Applied.Add([ordered]@{ key = $r.key; name = $n })
        }
    }
}

function Invoke-LabGpUpdateCore {
    param($State, $HostState, [string]$StateDir)
    # 1. delete what policy applied last time; drop keys that policy emptied
    $touched = [System.Collections.Generic.List[string]]::new()
    foreach ($a in @($HostState.gpApplied)) {
        if ($null -eq $a) { continue }
        $null = Remove-LabRegValue $HostState $a.key $a.name
        $touched.Add($a.key)
    }
    foreach ($k in ($touched | Sort-Object -Property Length -Descending -Unique)) {
        $cur = $k
        while ($cur -and $cur -like 'SOFTWARE\Policies\*' -and $cur -ine 'SOFTWARE\Policies\Microsoft\Windows') {
            $found = Find-LabRegKey $HostState $cur
            if ($null -eq $found) { break }
            if ($HostState.registry[$found].Count -gt 0 -or (Get-LabRegSubKeys $HostState $found).Count -gt 0) { break }
            Remove-LabRegKey $HostState $found
            $cur = $cur.Substring(0, [Math]::Max(0, $cur.LastIndexOf('\')))
        }
    }
    # 2. local GPO, then 3. domain GPO (applied last, so it wins)
    $applied = [System.Collections.Generic.List[object]]::new()
    Invoke-LabPolicyRecords $HostState @(Read-LabPol (Get-LabPolPath $StateDir $HostState.name)) $applied
    Invoke-LabPolicyRecords $HostState @(ConvertTo-LabPolicyRecords $HostState.domainPolicy $true) $applied
    $HostState.gpApplied = $applied.ToArray()
}

# ---------------------------------------------------------------------------------------------
# Lab file validation and seeding
# ---------------------------------------------------------------------------------------------
function Assert-LabField {
    param([string]$Source, [string]$Field, [string]$Message)
    throw "Invalid lab file ${Source}: ${Field}: $Message"
}

function Test-LabType {
    param($Value, [string]$Type)
    switch ($Type) {
        'string' { return $Value -is [string] }
        'bool' { return $Value -is [bool] }
        'int' { return ($Value -is [int] -or $Value -is [long]) }
        'object' { return $Value -is [System.Collections.IDictionary] }
        'array' { return ($Value -is [System.Array] -or $Value -is [System.Collections.IList]) }
    }
    $false
}

function Assert-LabKeys {
    param($Source, [string]$Field, $Obj, [string[]]$Allowed)
    foreach ($k in @($Obj.Keys)) {
        if ($Allowed -notcontains $k) { Assert-LabField $Source "$Field.$k" "unknown field (allowed: $($Allowed -join ', '))" }
    }
}

function Get-LabOpt {
    param($Source, [string]$Field, $Obj, [string]$Name, [string]$Type, $Default, [switch]$Nullable, [switch]$Required)
    if (-not $Obj.Contains($Name)) {
        if ($Required) { Assert-LabField $Source "$Field.$Name" 'missing (required)' }
        return $Default
    }
    $v = $Obj[$Name]
    if ($null -eq $v) {
        if ($Nullable) { return $null }
        Assert-LabField $Source "$Field.$Name" "expected $Type, got null"
    }
    if (-not (Test-LabType $v $Type)) { Assert-LabField $Source "$Field.$Name" "expected $Type, got $($v.GetType().Name) '$v'" }
    $v
}

function ConvertTo-LabListSpec {
    param($Source, [string]$Field, $L)
    if ($null -eq $L) { return $null }
    if (-not (Test-LabType $L 'object')) { Assert-LabField $Source $Field 'expected object {allow, concatenate, entries, delvals}' }
    Assert-LabKeys $Source $Field $L @('allow', 'concatenate', 'entries', 'delvals')
    $out = [ordered]@{
        allow       = Get-LabOpt $Source $Field $L 'allow' 'int' $null -Nullable
        concatenate = Get-LabOpt $Source $Field $L 'concatenate' 'int' $null -Nullable
        entries     = [ordered]@{}
    }
    if ($L.Contains('delvals')) { $out.delvals = Get-LabOpt $Source $Field $L 'delvals' 'bool' $false }
    $e = Get-LabOpt $Source $Field $L 'entries' 'object' $null -Nullable
    if ($null -ne $e) {
        foreach ($n in @($e.Keys)) {
            if ([string]::IsNullOrEmpty($n)) { Assert-LabField $Source "$Field.entries" 'value names must not be empty' }
            if (-not ($e[$n] -is [string])) { Assert-LabField $Source "$Field.entries.$n" 'expected string (an SPN such as wsman/host)' }
            $out.entries[$n] = $e[$n]
        }
    }
    $out
}

function ConvertTo-LabPolicySpec {
    param($Source, [string]$Field, $P, [switch]$Domain)
    if ($null -eq $P) { return $null }
    if (-not (Test-LabType $P 'object')) { Assert-LabField $Source $Field 'expected object' }
    $allowed = @('fresh', 'freshNtlm')
    if ($Domain) { $allowed += 'winrmClientAllowCredSSP', 'winrmServiceAllowCredSSP' }
    Assert-LabKeys $Source $Field $P $allowed
    $out = [ordered]@{
        fresh     = ConvertTo-LabListSpec $Source "$Field.fresh" $P['fresh']
        freshNtlm = ConvertTo-LabListSpec $Source "$Field.freshNtlm" $P['freshNtlm']
    }
    if ($Domain) {
        $out.winrmClientAllowCredSSP = Get-LabOpt $Source $Field $P 'winrmClientAllowCredSSP' 'int' $null -Nullable
        $out.winrmServiceAllowCredSSP = Get-LabOpt $Source $Field $P 'winrmServiceAllowCredSSP' 'int' $null -Nullable
    }
    $out
}

function Resolve-LabAccountName {
    # 'COMPANY\x', 'company.pri\x', 'x@company.pri', 'x' -> canonical account name or $null
    param($State, [string]$Name)
    if (-not $Name) { return $null }
    $user = $Name; $dom = $null
    if ($Name -match '^(?<d>[^\\]+)\\(?<u>.+)$') { $dom = $Matches.d; $user = $Matches.u }
    elseif ($Name -match '^(?<u>[^@]+)@(?<d>.+)$') { $dom = $Matches.d; $user = $Matches.u }
    if ($null -ne $dom -and $dom -ine $State.netbios -and $dom -ine $State.domain) { return $null }
    foreach ($a in @($State.accounts)) {
        $au = $a.name.Substring($a.name.IndexOf('\') + 1)
        if ($au -ieq $user) { return $a.name }
    }
    $null
}

function ConvertTo-LabState {
    param($Lab, [string]$Source)
    if (-not (Test-LabType $Lab 'object')) { Assert-LabField $Source '(root)' 'expected a JSON object' }
    Assert-LabKeys $Source '(root)' $Lab @('description', 'domain', 'netbiosDomain', 'client', 'accounts', 'hosts')
    $domain = Get-LabOpt $Source '(root)' $Lab 'domain' 'string' $null -Required
    if ($domain -notmatch '^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$') { Assert-LabField $Source 'domain' "expected a DNS domain name such as company.pri, got '$domain'" }
    $netbios = Get-LabOpt $Source '(root)' $Lab 'netbiosDomain' 'string' ($domain.Split('.')[0].ToUpperInvariant())
    $client = Get-LabOpt $Source '(root)' $Lab 'client' 'string' $null -Required
    $state = [ordered]@{
        version  = 1
        source   = $Source
        domain   = $domain
        netbios  = $netbios
        client   = $null
        accounts = @()
        hosts    = [ordered]@{}
        counters = [ordered]@{ processes = 0; connections = [ordered]@{} }
        faults   = @()
    }
    $accs = Get-LabOpt $Source '(root)' $Lab 'accounts' 'array' @()
    $accOut = [System.Collections.Generic.List[object]]::new()
    $i = 0
    foreach ($a in @($accs)) {
        $f = "accounts[$i]"
        if (-not (Test-LabType $a 'object')) { Assert-LabField $Source $f 'expected object {name, password} or {name, salt, passwordSha256}' }
        Assert-LabKeys $Source $f $a @('name', 'password', 'salt', 'passwordSha256')
        $n = Get-LabOpt $Source $f $a 'name' 'string' $null -Required
        if ($n -notmatch '^[^\\]+\\[^\\]+$') { Assert-LabField $Source "$f.name" "expected DOMAIN\user, got '$n'" }
        $pw = Get-LabOpt $Source $f $a 'password' 'string' $null -Nullable
        $hashed = Get-LabOpt $Source $f $a 'passwordSha256' 'string' $null -Nullable
        if ($null -ne $hashed) {
            # A lab file that must not hold the password itself (the logging tests): SHA-256 of salt + password.
            $salt = Get-LabOpt $Source $f $a 'salt' 'string' $null -Required
            if ($null -ne $pw) { Assert-LabField $Source "$f.password" 'give password or passwordSha256, not both' }
            if ($hashed -notmatch '^[0-9A-Fa-f]{64}$') { Assert-LabField $Source "$f.passwordSha256" 'expected 64 hex digits' }
            $accOut.Add([ordered]@{ name = $n; salt = $salt; passwordHash = $hashed.ToUpperInvariant() })
        }
        else {
            $salt = [guid]::NewGuid().ToString('N')
            $accOut.Add([ordered]@{ name = $n; salt = $salt; passwordHash = $(if ($null -ne $pw) { Get-LabSha256 ($salt + $pw) } else { $null }) })
        }
        $i++
    }
    if (@($accOut | Where-Object { $_.name.Split('\')[1] -ieq 'Administrator' }).Count -eq 0) {
        $accOut.Add([ordered]@{ name = "$netbios\Administrator"; salt = ''; passwordHash = $null })
    }
    $state.accounts = $accOut.ToArray()
    $hosts = Get-LabOpt $Source '(root)' $Lab 'hosts' 'array' $null -Required
    if (@($hosts).Count -eq 0) { Assert-LabField $Source 'hosts' 'at least one host is required' }
    $i = 0
    $seenAddr = @{}
    foreach ($h in @($hosts)) {
        $f = "hosts[$i]"
        if (-not (Test-LabType $h 'object')) { Assert-LabField $Source $f 'expected object' }
        Assert-LabKeys $Source $f $h @('name', 'fqdn', 'address', 'winrm', 'reachable', 'spn', 'httpSpnConflict', 'admins', 'elevated', 'currentUser', 'credssp', 'encryptionOracle', 'localPolicy', 'domainPolicy', 'faults')
        $name = Get-LabOpt $Source $f $h 'name' 'string' $null -Required
        if ($name -notmatch '^[A-Za-z0-9][A-Za-z0-9-]{0,14}$') { Assert-LabField $Source "$f.name" "expected a NetBIOS host name (1-15 letters, digits, '-'), got '$name'" }
        if ($null -ne (Get-LabHost $state $name)) { Assert-LabField $Source "$f.name" "duplicate host '$name'" }
        $fqdn = Get-LabOpt $Source $f $h 'fqdn' 'string' "$name.$domain"
        if (-not $fqdn.StartsWith($name + '.', [System.StringComparison]::OrdinalIgnoreCase)) { Assert-LabField $Source "$f.fqdn" "expected '$name.<domain>', got '$fqdn'" }
        $addr = Get-LabOpt $Source $f $h 'address' 'string' $null -Nullable
        if ($null -ne $addr) {
            if (-not (Test-LabIPv4 $addr)) { Assert-LabField $Source "$f.address" "expected an IPv4 address, got '$addr'" }
            if ($seenAddr.ContainsKey($addr)) { Assert-LabField $Source "$f.address" "address $addr is already used by $($seenAddr[$addr])" }
            $seenAddr[$addr] = $name
        }
        $admins = Get-LabOpt $Source $f $h 'admins' 'array' @("$netbios\Administrator")
        $adminOut = @()
        $j = 0
        foreach ($ad in @($admins)) {
            if (-not ($ad -is [string])) { Assert-LabField $Source "$f.admins[$j]" 'expected string' }
            $acc = Resolve-LabAccountName $state $ad
            if ($null -eq $acc) { Assert-LabField $Source "$f.admins[$j]" "unknown account '$ad' (declare it in accounts)" }
            $adminOut += $acc; $j++
        }
        $cu = Get-LabOpt $Source $f $h 'currentUser' 'string' "$netbios\Administrator"
        $cuAcc = Resolve-LabAccountName $state $cu
        if ($null -eq $cuAcc) { Assert-LabField $Source "$f.currentUser" "unknown account '$cu' (declare it in accounts)" }
        $cred = Get-LabOpt $Source $f $h 'credssp' 'object' ([ordered]@{})
        Assert-LabKeys $Source "$f.credssp" $cred @('client', 'service')
        $oracle = Get-LabOpt $Source $f $h 'encryptionOracle' 'int' $null -Nullable
        if ($null -ne $oracle -and ($oracle -lt 0 -or $oracle -gt 2)) { Assert-LabField $Source "$f.encryptionOracle" "expected 0, 1, 2 or null, got $oracle" }
        $faults = Get-LabOpt $Source $f $h 'faults' 'object' ([ordered]@{})
        Assert-LabKeys $Source "$f.faults" $faults @('stopAnsweringAfter', 'writes')
        $host1 = [ordered]@{
            name              = $name
            fqdn              = $fqdn
            address           = $addr
            winrm             = Get-LabOpt $Source $f $h 'winrm' 'bool' $true
            reachable         = Get-LabOpt $Source $f $h 'reachable' 'bool' $true
            spn               = Get-LabOpt $Source $f $h 'spn' 'bool' $true
            httpSpnConflict   = Get-LabOpt $Source $f $h 'httpSpnConflict' 'bool' $false
            admins            = $adminOut
            elevated          = Get-LabOpt $Source $f $h 'elevated' 'bool' $true
            currentUser       = $cuAcc
            localPolicy       = ConvertTo-LabPolicySpec $Source "$f.localPolicy" $h['localPolicy']
            domainPolicy      = ConvertTo-LabPolicySpec $Source "$f.domainPolicy" $h['domainPolicy'] -Domain
            stopAnsweringAfter = Get-LabOpt $Source "$f.faults" $faults 'stopAnsweringAfter' 'int' $null -Nullable
            registry          = [ordered]@{}
            gpApplied         = @()
        }
        foreach ($k in 'SOFTWARE\Policies\Microsoft\Windows', $script:KeyWsmanClient, $script:KeyWsmanService, 'SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System') { $null = New-LabRegKey $host1 $k }
        Set-LabRegValue $host1 $script:KeyWsmanClient 'auth_credssp' 'DWord' ([int][bool](Get-LabOpt $Source "$f.credssp" $cred 'client' 'bool' $false))
        Set-LabRegValue $host1 $script:KeyWsmanService 'auth_credssp' 'DWord' ([int][bool](Get-LabOpt $Source "$f.credssp" $cred 'service' 'bool' $false))
        if ($null -ne $oracle) { Set-LabRegValue $host1 $script:KeyOracle 'AllowEncryptionOracle' 'DWord' ([int]$oracle) }
        $state.hosts[$name] = $host1
        $wf = Get-LabOpt $Source "$f.faults" $faults 'writes' 'array' @()
        $j = 0
        foreach ($w in @($wf)) {
            $state.faults += , (ConvertTo-LabWriteFault $Source "$f.faults.writes[$j]" $w $name)
            $j++
        }
        $i++
    }
    $ch = Get-LabHost $state $client
    if ($null -eq $ch) { Assert-LabField $Source 'client' "unknown host '$client' (missing client: it must be one of the hosts)" }
    $state.client = $ch.name
    $state
}

function ConvertTo-LabWriteFault {
    param($Source, [string]$Field, $W, [string]$HostName)
    if (-not (Test-LabType $W 'object')) { Assert-LabField $Source $Field 'expected object {command, path, action, times, exitCode}' }
    Assert-LabKeys $Source $Field $W @('command', 'path', 'action', 'times', 'exitCode')
    $action = Get-LabOpt $Source $Field $W 'action' 'string' 'throw'
    if ($action -notin 'throw', 'exit') { Assert-LabField $Source "$Field.action" "expected 'throw' or 'exit', got '$action'" }
    $times = Get-LabOpt $Source $Field $W 'times' 'int' 1
    if ($times -lt 1) { Assert-LabField $Source "$Field.times" 'expected an integer >= 1' }
    [ordered]@{
        id        = [guid]::NewGuid().ToString('N').Substring(0, 8)
        host      = $HostName
        command   = Get-LabOpt $Source $Field $W 'command' 'string' $null -Required
        path      = Get-LabOpt $Source $Field $W 'path' 'string' '*'
        action    = $action
        remaining = [int]$times
        exitCode  = [int](Get-LabOpt $Source $Field $W 'exitCode' 'int' 99)
        fired     = 0
    }
}

function Initialize-LabStateDir {
    param($State, [string]$StateDir)
    $hostsDir = Join-LabPath $StateDir 'hosts'
    if ([System.IO.Directory]::Exists($hostsDir)) { [System.IO.Directory]::Delete($hostsDir, $true) }
    foreach ($hn in @($State.hosts.Keys)) {
        $h = $State.hosts[$hn]
        $root = Get-LabHostRoot $StateDir $hn
        $null = [System.IO.Directory]::CreateDirectory((Join-LabPath $root 'System32' 'GroupPolicy' 'Machine'))
        $recs = @(ConvertTo-LabPolicyRecords $h.localPolicy $false)
        if ($recs.Count -gt 0) {
            Write-LabBytesAtomic (Get-LabPolPath $StateDir $hn) (ConvertTo-LabPolBytes $recs)
            Write-LabBytesAtomic (Get-LabGptPath $StateDir $hn) ([System.Text.Encoding]::ASCII.GetBytes("[General]`r`ngPCMachineExtensionNames=[$($script:RegistryCse)$($script:RegistryTool)]`r`nVersion=1`r`n"))
        }
        Invoke-LabGpUpdateCore $State $h $StateDir
    }
}

# ---------------------------------------------------------------------------------------------
# Runspace context ("which machine am I")
# ---------------------------------------------------------------------------------------------
function Enter-CredHopLabHost {
    <# Internal: makes this runspace the given host (used for the client and for remote runspaces). #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][string]$StateDir,
        [Parameter(Mandatory)][string]$HostName,
        [string]$User,
        [bool]$CanDelegate = $true,
        [string]$Authentication = 'Local',
        [bool]$Remote = $false,
        [int]$Depth = 0
    )
    $script:Ctx = [ordered]@{
        StateDir       = $StateDir
        Host           = $HostName
        User           = $User
        CanDelegate    = $CanDelegate
        Authentication = $Authentication
        Remote         = $Remote
        Depth          = $Depth
    }
}

function Get-LabCtxHost { param($State) Get-LabHost $State $script:Ctx.Host }

function Get-LabCtxUser {
    param($State)
    if ($script:Ctx.User) { return $script:Ctx.User }
    (Get-LabCtxHost $State).currentUser
}

function Test-LabElevated {
    param($State)
    if ($script:Ctx.Remote) { return $true }  # remote sessions of administrators run elevated
    [bool](Get-LabCtxHost $State).elevated
}

function Set-LabProcessEnv {
    param($State, [string]$HostName, [string]$User)
    $h = Get-LabHost $State $HostName
    $env:SystemRoot = Get-LabHostRoot $script:Ctx.StateDir $h.name
    $env:windir = $env:SystemRoot
    $env:COMPUTERNAME = $h.name.ToUpperInvariant()
    if ($User) { $env:USERDOMAIN = $User.Split('\')[0]; $env:USERNAME = $User.Split('\')[1] }
}

# ---------------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------------
function Invoke-LabWriteFault {
    # called AFTER a write took effect; consumes the fault persistently before acting
    param([string]$Command, [string]$Path)
    $state = Read-LabState
    $hit = $null
    foreach ($f in @($state.faults)) {
        if ($f.remaining -gt 0 -and $f.host -ieq $script:Ctx.Host -and $Command -like $f.command -and $Path -like $f.path) { $hit = $f; break }
    }
    if ($null -eq $hit) { return }
    $hit.remaining = [int]$hit.remaining - 1
    $hit.fired = [int]$hit.fired + 1
    Save-LabState $state
    if ($hit.action -eq 'exit') { [System.Environment]::Exit([int]$hit.exitCode) }
    $ex = [System.IO.IOException]::new("CredHop lab fault $($hit.id): $Command on '$Path' failed after its effect.")
    throw (New-LabErrorRecord $ex 'CredHopLabFault' 'WriteError' $Path)
}

# ---------------------------------------------------------------------------------------------
# WinRM flags and CredentialsDelegation helpers
# ---------------------------------------------------------------------------------------------
function Get-LabWinRMPolicy {
    param($HostState, [string]$Role)
    $k = if ($Role -eq 'Client') { $script:KeyWinRMPolicyClient } else { $script:KeyWinRMPolicyService }
    $v = Get-LabRegValue $HostState $k 'AllowCredSSP'
    if ($null -eq $v) { return $null }
    [int]$v.data
}

function Get-LabWinRMFlag {
    param($HostState, [string]$Role)
    $p = Get-LabWinRMPolicy $HostState $Role
    if ($null -ne $p) { return ($p -ne 0) }
    $k = if ($Role -eq 'Client') { $script:KeyWsmanClient } else { $script:KeyWsmanService }
    $v = Get-LabRegValue $HostState $k 'auth_credssp'
    ($null -ne $v -and [int]$v.data -ne 0)
}

function Set-LabWinRMFlagRaw {
    param($HostState, [string]$Role, [bool]$Enabled)
    $k = if ($Role -eq 'Client') { $script:KeyWsmanClient } else { $script:KeyWsmanService }
    Set-LabRegValue $HostState $k 'auth_credssp' 'DWord' ([int]$Enabled)
}

function Get-LabDelegationList {
    # effective list from the host's registry: @{ enabled; entries = @(values) }
    param($HostState, [string]$List)
    $n = $script:Lists[$List]
    $allow = Get-LabRegValue $HostState $script:KeyCD $n.Allow
    $entries = @()
    foreach ($vn in (Get-LabRegValueNames $HostState ($script:KeyCD + '\' + $n.Sub))) {
        $v = Get-LabRegValue $HostState ($script:KeyCD + '\' + $n.Sub) $vn
        if ($v.type -in 'String', 'ExpandString') { $entries += [string]$v.data }
    }
    @{ enabled = ($null -ne $allow -and [int]$allow.data -eq 1); entries = $entries }
}

function Test-LabSpnMatch {
    # Windows SPN matching for CredentialsDelegation: one wildcard, name as typed
    param([string]$Entry, [string]$Name)
    $i = $Entry.IndexOf('/')
    if ($i -lt 1) { return $false }
    $svc = $Entry.Substring(0, $i); $pat = $Entry.Substring($i + 1)
    if ($svc -ne '*' -and $svc -ine 'wsman') { return $false }
    if ($pat -eq '*') { return $true }
    if ($pat.StartsWith('*.')) {
        $suffix = $pat.Substring(1)
        return ($Name.Length -gt $suffix.Length -and $Name.EndsWith($suffix, [System.StringComparison]::OrdinalIgnoreCase))
    }
    $pat -ieq $Name
}

function Update-LabDelegationStore {
    # the cmdlets' own algorithms, on either store. $Kind: 'registry' (effective) or a List of pol records
    param($HostState, $PolRecords, [string]$Op, [string[]]$Delegates)
    $n = $script:Lists.fresh
    $sub = $script:KeyCD + '\' + $n.Sub
    if ($null -ne $PolRecords) {
        if ($Op -eq 'enable') {
            Set-LabPolRecord $PolRecords $script:KeyCD $n.Allow 'DWord' 1
            Set-LabPolRecord $PolRecords $script:KeyCD $n.Concat 'DWord' 1
            $count = @($PolRecords | Where-Object { $_.key -ieq $sub -and $_.name -ne '' -and -not $_.name.StartsWith('**') }).Count
            foreach ($d in $Delegates) { $count++; Set-LabPolRecord $PolRecords $sub ([string]$count) 'String' ('wsman/' + $d) }
        }
        else {
            $vals = @($PolRecords | Where-Object { $_.key -ieq $sub -and $_.name -ne '' -and -not $_.name.StartsWith('**') })
            $surv = @($vals | Where-Object { -not ([string]$_.data).StartsWith('wsman', [System.StringComparison]::OrdinalIgnoreCase) } | ForEach-Object { [string]$_.data })
            if ($vals.Count -gt 0) {
                foreach ($v in $vals) { $null = $PolRecords.Remove($v) }
                $k = 0
                foreach ($s in $surv) { $k++; $PolRecords.Add([ordered]@{ key = $sub; name = [string]$k; type = 'String'; data = $s }) }
            }
            if ($surv.Count -eq 0) {
                foreach ($r in @($PolRecords)) {
                    if (($r.key -ieq $script:KeyCD -and ($r.name -ieq $n.Allow -or $r.name -ieq $n.Concat)) -or $r.key -ieq $sub) { $null = $PolRecords.Remove($r) }
                }
            }
        }
        return
    }
    if ($Op -eq 'enable') {
        Set-LabRegValue $HostState $script:KeyCD $n.Allow 'DWord' 1
        Set-LabRegValue $HostState $script:KeyCD $n.Concat 'DWord' 1
        $key = Find-LabRegKey $HostState $sub
        if ($null -eq $key) { $key = New-LabRegKey $HostState $sub }
        $count = $HostState.registry[$key].Count
        foreach ($d in $Delegates) { $count++; Set-LabRegValue $HostState $sub ([string]$count) 'String' ('wsman/' + $d) }
    }
    else {
        $key = Find-LabRegKey $HostState $sub
        $surv = @()
        if ($null -ne $key) {
            $vals = $HostState.registry[$key]
            foreach ($vn in @($vals.Keys)) {
                $d = [string]$vals[$vn].data
                if (-not $d.StartsWith('wsman', [System.StringComparison]::OrdinalIgnoreCase)) { $surv += $d }
            }
            $HostState.registry[$key] = [ordered]@{}
            $k = 0
            foreach ($s in $surv) { $k++; Set-LabRegValue $HostState $sub ([string]$k) 'String' $s }
        }
        if ($surv.Count -eq 0) {
            $null = Remove-LabRegValue $HostState $script:KeyCD $n.Allow
            $null = Remove-LabRegValue $HostState $script:KeyCD $n.Concat
            Remove-LabRegKey $HostState $sub
        }
    }
}

function Test-LabDomainOwnsFresh {
    param($HostState)
    $d = $HostState.domainPolicy
    ($null -ne $d -and $null -ne $d.fresh)
}

# ---------------------------------------------------------------------------------------------
# Enable / Disable / Get-WSManCredSSP
# ---------------------------------------------------------------------------------------------
function Assert-LabElevated {
    param($State, [string]$CmdletType)
    if (-not (Test-LabElevated $State)) {
        $ex = [System.InvalidOperationException]::new($script:Texts.E10)
        throw (New-LabErrorRecord $ex "System.InvalidOperationException,Microsoft.WSMan.Management.$CmdletType" 'InvalidOperation' $null)
    }
}

function New-LabAuthXml {
    param([string]$Role, [bool]$CredSSP)
    $o = [pscustomobject]@{ cfg = "http://schemas.microsoft.com/wbem/wsman/1/config/$($Role.ToLowerInvariant())/auth"; lang = 'en-US'; Basic = 'false'; Digest = 'true'; Kerberos = 'true'; Negotiate = 'true'; Certificate = 'true'; CredSSP = ([string]$CredSSP).ToLowerInvariant() }
    $o.PSObject.TypeNames.Insert(0, 'System.Xml.XmlElement#http://schemas.microsoft.com/wbem/wsman/1/config/client/auth#Auth')
    $o
}

function Enable-WSManCredSSP {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)][ValidateSet('Client', 'Server')][string]$Role,
        [Parameter(Position = 1)][ValidateNotNullOrEmpty()][string[]]$DelegateComputer,
        [switch]$Force
    )
    Import-LabCallerPreference $PSCmdlet $PSBoundParameters
    $state = Read-LabState
    $type = 'EnableWSManCredSSPCommand'
    Assert-LabElevated $state $type
    $id = "System.InvalidOperationException,Microsoft.WSMan.Management.$type"
    if ($null -ne $DelegateComputer -and $Role -ne 'Client') {
        throw (New-LabErrorRecord ([System.InvalidOperationException]::new("The DelegateComputer parameter cannot be used when the Role parameter is $Role. Use DelegateComputer only with Role Client.")) $id 'InvalidOperation' $null)
    }
    if ($Role -eq 'Client' -and $null -eq $DelegateComputer) {
        throw (New-LabErrorRecord ([System.InvalidOperationException]::new('The DelegateComputer parameter must be specified when the Role parameter is Client.')) $id 'InvalidOperation' $null)
    }
    $query = if ($Role -eq 'Client') { $script:Texts.ConsentQuery } else { $script:Texts.ConsentServer }
    if (-not $Force -and -not $PSCmdlet.ShouldContinue($query, $script:Texts.ConsentCaption)) { return }
    $h = Get-LabCtxHost $state
    if ($null -ne (Get-LabWinRMPolicy $h $Role.Replace('Server', 'Service'))) {
        throw (New-LabErrorRecord ([System.InvalidOperationException]::new($script:Texts.W1)) "WsManError,Microsoft.WSMan.Management.$type" 'InvalidOperation' $null)
    }
    if ($Role -eq 'Server') {
        Set-LabWinRMFlagRaw $h 'Service' $true
        Save-LabState $state
        Invoke-LabWriteFault 'Enable-WSManCredSSP' 'Server'
        return (New-LabAuthXml 'service' $true)
    }
    Set-LabWinRMFlagRaw $h 'Client' $true
    $recs = [System.Collections.Generic.List[object]]::new(); foreach ($r in (Read-LabPol (Get-LabPolPath $script:Ctx.StateDir $h.name))) { $recs.Add($r) }
    Update-LabDelegationStore $h $recs 'enable' $DelegateComputer
    Save-LabPol $script:Ctx.StateDir $h.name $recs.ToArray()
    Update-LabDelegationStore $h $null 'enable' $DelegateComputer
    if (Test-LabDomainOwnsFresh $h) {
        # the domain GPO is re-applied over the local one; the check that every wsman/X is listed fails
        Invoke-LabGpUpdateCore $state $h $script:Ctx.StateDir
        Save-LabState $state
        $eff = (Get-LabDelegationList $h 'fresh').entries
        $missing = @($DelegateComputer | Where-Object { $eff -notcontains ('wsman/' + $_) })
        if ($missing.Count -gt 0) {
            throw (New-LabErrorRecord ([System.InvalidOperationException]::new($script:Texts.E9Enable)) "WsManError,Microsoft.WSMan.Management.$type" 'InvalidOperation' $null)
        }
    }
    Save-LabState $state
    Invoke-LabWriteFault 'Enable-WSManCredSSP' 'Client'
    New-LabAuthXml 'client' $true
}

function Disable-WSManCredSSP {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)][ValidateSet('Client', 'Server')][string]$Role
    )
    # Windows' Disable-WSManCredSSP has no -Force and does not prompt (read from CredSSP.cs).
    Import-LabCallerPreference $PSCmdlet $PSBoundParameters
    $state = Read-LabState
    $type = 'DisableWSManCredSSPCommand'
    Assert-LabElevated $state $type
    $h = Get-LabCtxHost $state
    if ($null -ne (Get-LabWinRMPolicy $h $Role.Replace('Server', 'Service'))) {
        throw (New-LabErrorRecord ([System.InvalidOperationException]::new($script:Texts.W1)) "WsManError,Microsoft.WSMan.Management.$type" 'InvalidOperation' $null)
    }
    if ($Role -eq 'Server') {
        Set-LabWinRMFlagRaw $h 'Service' $false
        Save-LabState $state
        Invoke-LabWriteFault 'Disable-WSManCredSSP' 'Server'
        return
    }
    Set-LabWinRMFlagRaw $h 'Client' $false
    $recs = [System.Collections.Generic.List[object]]::new(); foreach ($r in (Read-LabPol (Get-LabPolPath $script:Ctx.StateDir $h.name))) { $recs.Add($r) }
    Update-LabDelegationStore $h $recs 'disable' @()
    Save-LabPol $script:Ctx.StateDir $h.name $recs.ToArray()
    Update-LabDelegationStore $h $null 'disable' @()
    if (Test-LabDomainOwnsFresh $h) {
        Invoke-LabGpUpdateCore $state $h $script:Ctx.StateDir
        Save-LabState $state
        $eff = (Get-LabDelegationList $h 'fresh').entries
        if (@($eff | Where-Object { $_ -like 'wsman*' }).Count -gt 0) {
            throw (New-LabErrorRecord ([System.InvalidOperationException]::new($script:Texts.E9Disable)) "WsManError,Microsoft.WSMan.Management.$type" 'InvalidOperation' $null)
        }
    }
    Save-LabState $state
    Invoke-LabWriteFault 'Disable-WSManCredSSP' 'Client'
}

function Get-WSManCredSSP {
    [CmdletBinding()]
    param()
    Import-LabCallerPreference $PSCmdlet $PSBoundParameters
    $state = Read-LabState
    Assert-LabElevated $state 'GetWSManCredSSPCommand'
    $h = Get-LabCtxHost $state
    $l = Get-LabDelegationList $h 'fresh'
    $ws = @($l.entries | Where-Object { $_ -like 'wsman*' })
    if ($l.enabled -and $ws.Count -gt 0) { $script:Texts.GetConfigured + ($ws -join ', ') } else { $script:Texts.GetNotConfig }
    if (Get-LabWinRMFlag $h 'Service') { $script:Texts.GetReceive } else { $script:Texts.GetNoReceive }
}

# ---------------------------------------------------------------------------------------------
# OS probes as external programs
# ---------------------------------------------------------------------------------------------
function hostname {
    $state = Read-LabState
    $global:LASTEXITCODE = 0
    (Get-LabCtxHost $state).name
}

function whoami {
    $state = Read-LabState
    $user = (Get-LabCtxUser $state).ToLowerInvariant()
    $global:LASTEXITCODE = 0
    $a = @($args | ForEach-Object { ([string]$_).ToLowerInvariant() })
    if ($a.Count -eq 0) { return $user }
    if ($a -contains '/upn') {
        return ($user.Split('\')[1] + '@' + $state.domain)
    }
    if ($a -contains '/groups') {
        $elev = Test-LabElevated $state
        $isAdmin = @((Get-LabCtxHost $state).admins) -contains (Get-LabCtxUser $state)
        $adm = if ($elev -and $isAdmin) { 'Mandatory group, Enabled by default, Enabled group, Group owner' } else { 'Group used for deny only' }
        $lines = @(
            '', 'GROUP INFORMATION', '-----------------', '',
            'Group Name                                  Type             SID          Attributes',
            '=========================================== ================ ============ ===============================================================',
            'Everyone                                    Well-known group S-1-1-0      Mandatory group, Enabled by default, Enabled group'
        )
        if ($isAdmin) { $lines += 'BUILTIN\Administrators                      Alias            S-1-5-32-544 ' + $adm }
        $lines += 'BUILTIN\Users                               Alias            S-1-5-32-545 Mandatory group, Enabled by default, Enabled group'
        $lines += 'NT AUTHORITY\NETWORK                        Well-known group S-1-5-2      Mandatory group, Enabled by default, Enabled group'
        if ($elev -and $isAdmin) { $lines += 'Mandatory Label\High Mandatory Level        Label            S-1-16-12288' }
        else { $lines += 'Mandatory Label\Medium Mandatory Level      Label            S-1-16-8192' }
        return $lines
    }
    $global:LASTEXITCODE = 1
    "ERROR: Invalid argument/option - '$($args[0])'."
}

function gpupdate {
    $a = @($args | ForEach-Object { ([string]$_).ToLowerInvariant() })
    $state = Read-LabState
    $h = Get-LabCtxHost $state
    if ($a -contains '/target:user') {
        $global:LASTEXITCODE = 0
        return @('Updating policy...', '', 'User Policy update has completed successfully.')
    }
    Invoke-LabGpUpdateCore $state $h $script:Ctx.StateDir
    Save-LabState $state
    $global:LASTEXITCODE = 0
    $out = @('Updating policy...', '', 'Computer Policy update has completed successfully.')
    if ($a -notcontains '/target:computer') { $out += 'User Policy update has completed successfully.' }
    $out
}

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
    foreach ($hn in @($State.hosts.Keys)) {
        $h = $State.hosts[$hn]
        if ($h.name -ieq $Name) { return @{ Host = $h; Kind = 'short' } }
        if ($h.fqdn -ieq $Name) { return @{ Host = $h; Kind = 'fqdn' } }
        if ($h.address -and $h.address -eq $Name) { return @{ Host = $h; Kind = 'address' } }
    }
    $null
}

function Connect-LabHost {
    <# The second-hop rules. Returns @{ Ok; Error; Host; User; CanDelegate; Auth } and counts the connection. #>
    param([string]$ComputerName, [string]$Authentication, [pscredential]$Credential, [string]$Suffix)
    $auth = if ($Authentication) { $Authentication } else { 'Default' }
    $fail = { param($kind, $an) @{ Ok = $false; Error = (New-LabTransportError $kind $ComputerName $Suffix $an) } }
    if ($auth -ieq 'Credssp' -and $null -eq $Credential) { return (& $fail 'CredSSPNoCred') }
    $state = Read-LabState
    $r = Resolve-LabComputer $state $ComputerName
    if ($null -eq $r) { return (& $fail 'NotFound') }
    $target = $r.Host
    # count the connection attempt (persisted)
    $cn = $state.counters.connections
    $prev = 0; if ($cn.Contains($target.name)) { $prev = [int]$cn[$target.name] }
    $cn[$target.name] = $prev + 1
    Save-LabState $state
    if (-not $target.reachable) { return (& $fail 'Timeout') }
    if ($null -ne $target.stopAnsweringAfter -and $prev -ge [int]$target.stopAnsweringAfter) { return (& $fail 'Timeout') }
    if (-not $target.winrm) { return (& $fail 'CannotConnect') }
    $local = Get-LabCtxHost $state
    $byAddress = ($r.Kind -eq 'address')
    if ($byAddress -and ($auth -in 'Default', 'Kerberos' -or ($auth -ieq 'Negotiate' -and $null -eq $Credential))) { return (& $fail 'IPAddress') }
    if ($auth -ieq 'Credssp') {
        if (-not (Get-LabWinRMFlag $local 'Client')) { return (& $fail 'E5') }
        if ($byAddress -or -not $target.spn) {
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
        $acc = Resolve-LabAccountName $state $Credential.UserName
        if ($null -eq $acc) { return (& $fail 'LogonFailure') }
        $a = @($state.accounts | Where-Object { $_.name -ieq $acc })[0]
        if ($null -ne $a.passwordHash) {
            # Method calls only: a password must not become a parameter binding (module logging records
            # those), not even in the lab, which stands in for the domain controller here.
            $sha = [System.Security.Cryptography.SHA256]::Create()
            try { $given = [System.Convert]::ToHexString($sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($a.salt + $Credential.GetNetworkCredential().Password))) }
            finally { $sha.Dispose() }
            if ($given -ne $a.passwordHash) { return (& $fail 'LogonFailure') }
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
    @{ Ok = $true; Host = $target.name; User = $user; CanDelegate = ($auth -ieq 'Credssp'); Auth = $auth }
}

function New-LabRunspace {
    param([hashtable]$Conn)
    $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
    $rs = [System.Management.Automation.Runspaces.RunspaceFactory]::CreateRunspace($iss)
    $rs.Open()
    $ps = [powershell]::Create()
    try {
        $ps.Runspace = $rs
        $null = $ps.AddCommand('Microsoft.PowerShell.Core\Import-Module').AddParameter('Name', $script:ManifestPath).AddParameter('Global').AddParameter('Force')
        $null = $ps.AddStatement().AddCommand('Enter-CredHopLabHost').AddParameter('StateDir', $script:Ctx.StateDir).AddParameter('HostName', $Conn.Host).AddParameter('User', $Conn.User).AddParameter('CanDelegate', [bool]$Conn.CanDelegate).AddParameter('Authentication', $Conn.Auth).AddParameter('Remote', $true).AddParameter('Depth', [int]$script:Ctx.Depth + 1)
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
    param($Cmdlet, $Runspace, [hashtable]$Conn, [string]$ComputerName, [hashtable]$Script, [object[]]$Arguments, [switch]$HideComputerName)
    $state = Read-LabState
    $saved = @{ SystemRoot = $env:SystemRoot; windir = $env:windir; COMPUTERNAME = $env:COMPUTERNAME; USERNAME = $env:USERNAME; USERDOMAIN = $env:USERDOMAIN }
    $ps = [powershell]::Create()
    try {
        Set-LabProcessEnv $state $Conn.Host $Conn.User
        $ps.Runspace = $Runspace
        foreach ($k in $Script.Using.Keys) { $Runspace.SessionStateProxy.SetVariable($k, (Copy-LabBySerializer $Script.Using[$k])) }
        $null = $ps.AddScript($Script.Text)
        foreach ($a in @($Arguments)) { $null = $ps.AddArgument((Copy-LabBySerializer $a)) }
        $out = $null
        $terminating = $null
        try { $out = $ps.Invoke() }
        catch {
            $inner = $_.Exception
            while ($inner -is [System.Management.Automation.MethodInvocationException] -and $null -ne $inner.InnerException) { $inner = $inner.InnerException }
            if ($inner -is [System.Management.Automation.IContainsErrorRecord]) { $terminating = $inner.ErrorRecord }
            else { $terminating = [System.Management.Automation.ErrorRecord]::new($inner, $inner.GetType().FullName, 'NotSpecified', $null) }
        }
    }
    finally {
        foreach ($k in $saved.Keys) { Microsoft.PowerShell.Management\Set-Item -LiteralPath "env:$k" -Value $saved[$k] -ErrorAction SilentlyContinue }
    }
    $originGuid = $Runspace.InstanceId
    foreach ($o in @($out)) {
        if ($null -eq $o) { continue }
        $d = Copy-LabBySerializer $o
        $pso = [System.Management.Automation.PSObject]::AsPSObject($d)
        $pso | Microsoft.PowerShell.Utility\Add-Member -NotePropertyName PSComputerName -NotePropertyValue $ComputerName -Force
        $pso | Microsoft.PowerShell.Utility\Add-Member -NotePropertyName RunspaceId -NotePropertyValue $originGuid -Force
        $pso | Microsoft.PowerShell.Utility\Add-Member -NotePropertyName PSShowComputerName -NotePropertyValue (-not $HideComputerName) -Force
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
                Invoke-LabInRunspace $PSCmdlet $entry.Runspace $entry.Conn $entry.Session.ComputerName $script1 $ArgumentList -HideComputerName:$HideComputerName
            }
            return
        }
        foreach ($cn in $ComputerName) {
            $conn = Connect-LabHost $cn ([string]$Authentication) $Credential 'PSSessionStateBroken'
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
    [CmdletBinding()]
    param(
        [Parameter(Position = 0)][string]$ComputerName = 'localhost',
        [pscredential][System.Management.Automation.Credential()]$Credential,
        [ValidateSet('None', 'Default', 'Digest', 'Negotiate', 'Basic', 'Kerberos', 'ClientCertificate', 'Credssp')][string]$Authentication = 'None',
        [int]$Port, [switch]$UseSSL
    )
    Import-LabCallerPreference $PSCmdlet $PSBoundParameters
    $state = Read-LabState
    $r = Resolve-LabComputer $state $ComputerName
    $bad = $null
    if ($null -eq $r -or -not $r.Host.reachable) { $bad = $script:Texts.Unreachable }
    elseif (-not $r.Host.winrm) { $bad = 'The client cannot connect to the destination specified in the request. Verify that the service on the destination is running and is accepting requests.' }
    if ($bad) {
        $ex = [System.InvalidOperationException]::new("<f:WSManFault xmlns:f=""http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"" Code=""2150858770"" Machine=""$((Get-LabCtxHost $state).name)""><f:Message>$bad </f:Message></f:WSManFault>")
        Write-LabError $PSCmdlet (New-LabErrorRecord $ex 'WsManError,Microsoft.WSMan.Management.TestWSManCommand' 'InvalidOperation' $ComputerName)
        return
    }
    $o = [pscustomobject]@{ wsmid = 'http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd'; ProtocolVersion = 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd'; ProductVendor = 'Microsoft Corporation'; ProductVersion = $(if ($Authentication -ne 'None') { 'OS: 10.0.17763 SP: 0.0 Stack: 3.0' } else { 'OS: 0.0.0 SP: 0.0 Stack: 3.0' }) }
    $o
}

# ---------------------------------------------------------------------------------------------
# Item cmdlets on HKLM: and WSMan: (everything else forwards to the real cmdlet)
# ---------------------------------------------------------------------------------------------
function Get-LabPathInfo {
    param([string]$Path)
    if ($null -eq $Path) { return $null }
    $s = $Path -replace '/', '\'
    if ($s -match '^(?:Microsoft\.PowerShell\.Core\\)?Registry::(?:HKEY_LOCAL_MACHINE|HKLM)(?:\\(?<r>.*))?$' -or $s -match '^HKLM:(?:\\(?<r>.*))?$') {
        return @{ Kind = 'HKLM'; Sub = (Format-LabKey $Matches.r); Display = $Path }
    }
    if ($s -match '^(?:Microsoft\.WSMan\.Management\\)?WSMan::?(?:\\(?<r>.*))?$') {
        return @{ Kind = 'WSMan'; Sub = (Format-LabKey $Matches.r); Display = $Path }
    }
    $null
}

function Get-LabBoundPaths {
    param($Bound)
    $p = @()
    if ($Bound.ContainsKey('LiteralPath')) { $p = @($Bound['LiteralPath']) } elseif ($Bound.ContainsKey('Path')) { $p = @($Bound['Path']) }
    $p
}

function Test-LabItemCall {
    param($Bound)
    foreach ($p in (Get-LabBoundPaths $Bound)) { if ($null -ne (Get-LabPathInfo ([string]$p))) { return $true } }
    $false
}

function New-LabPathNotFound {
    param([string]$Display, [string]$CmdType)
    $ex = [System.Management.Automation.ItemNotFoundException]::new("Cannot find path '$Display' because it does not exist.")
    New-LabErrorRecord $ex "PathNotFound,Microsoft.PowerShell.Commands.$CmdType" 'ObjectNotFound' $Display
}

function New-LabRegKeyObject {
    param($HostState, [string]$Key)
    $names = @(Get-LabRegValueNames $HostState $Key)
    $vals = [ordered]@{}
    foreach ($n in $names) { $vals[$n] = Get-LabRegValue $HostState $Key $n }
    $subs = @((Get-LabRegSubKeys $HostState $Key) | ForEach-Object { $_.Substring($_.LastIndexOf('\') + 1) })
    $leaf = $Key.Substring($Key.LastIndexOf('\') + 1)
    $parent = if ($Key.Contains('\')) { $Key.Substring(0, $Key.LastIndexOf('\')) } else { '' }
    $o = [pscustomobject]@{
        Name          = "HKEY_LOCAL_MACHINE\$Key"
        Property      = [string[]]$names
        ValueCount    = $names.Count
        SubKeyCount   = $subs.Count
        PSPath        = "Microsoft.PowerShell.Core\Registry::HKEY_LOCAL_MACHINE\$Key"
        PSParentPath  = "Microsoft.PowerShell.Core\Registry::HKEY_LOCAL_MACHINE\$parent"
        PSChildName   = $leaf
        PSDrive       = 'HKLM'
        PSProvider    = 'Microsoft.PowerShell.Core\Registry'
        PSIsContainer = $true
    }
    $o.PSObject.TypeNames.Insert(0, 'Microsoft.Win32.RegistryKey')
    $conv = [ordered]@{}; $kinds = [ordered]@{}
    foreach ($k in $vals.Keys) { $conv[$k] = ConvertFrom-LabRegData $vals[$k]; $kinds[$k] = [string]$vals[$k].type }
    $getValue = { param($n, $default) foreach ($k in $conv.Keys) { if ($k -ieq $n) { return $conv[$k] } }; $default }.GetNewClosure()
    $getKind = { param($n) foreach ($k in $kinds.Keys) { if ($k -ieq $n) { return $kinds[$k] } }; 'Unknown' }.GetNewClosure()
    $o | Microsoft.PowerShell.Utility\Add-Member -MemberType ScriptMethod -Name GetValue -Value $getValue
    $o | Microsoft.PowerShell.Utility\Add-Member -MemberType ScriptMethod -Name GetValueKind -Value $getKind
    $o | Microsoft.PowerShell.Utility\Add-Member -MemberType ScriptMethod -Name GetValueNames -Value ({ , [string[]]$names }.GetNewClosure())
    $o | Microsoft.PowerShell.Utility\Add-Member -MemberType ScriptMethod -Name GetSubKeyNames -Value ({ , [string[]]$subs }.GetNewClosure())
    $o
}

function New-LabPropertyObject {
    param($HostState, [string]$Key, [string[]]$Names)
    $o = [ordered]@{}
    $all = @(Get-LabRegValueNames $HostState $Key)
    foreach ($n in $Names) { $real = @($all | Where-Object { $_ -ieq $n })[0]; $o[$real] = ConvertFrom-LabRegData (Get-LabRegValue $HostState $Key $n) }
    $parent = if ($Key.Contains('\')) { $Key.Substring(0, $Key.LastIndexOf('\')) } else { '' }
    $o.PSPath = "Microsoft.PowerShell.Core\Registry::HKEY_LOCAL_MACHINE\$Key"
    $o.PSParentPath = "Microsoft.PowerShell.Core\Registry::HKEY_LOCAL_MACHINE\$parent"
    $o.PSChildName = $Key.Substring($Key.LastIndexOf('\') + 1)
    $o.PSDrive = 'HKLM'
    $o.PSProvider = 'Microsoft.PowerShell.Core\Registry'
    [pscustomobject]$o
}

$script:WsmanTree = @{
    'localhost'                 = @('Client', 'Service')
    'localhost\Client'          = @('Auth')
    'localhost\Service'         = @('Auth')
    'localhost\Client\Auth'     = @('Basic', 'Digest', 'Kerberos', 'Negotiate', 'Certificate', 'CredSSP')
    'localhost\Service\Auth'    = @('Basic', 'Kerberos', 'Negotiate', 'Certificate', 'CredSSP', 'CbtHardeningLevel')
}
$script:WsmanFixed = @{ Basic = 'false'; Digest = 'true'; Kerberos = 'true'; Negotiate = 'true'; Certificate = 'false'; CbtHardeningLevel = 'Relaxed' }

function Get-LabWsmanNode {
    # returns @{ Path; Leaf (bool); Role; Name } with canonical case, or $null
    param([string]$Sub)
    if ($Sub -eq '') { return @{ Path = ''; Leaf = $false; Name = '' } }
    foreach ($k in $script:WsmanTree.Keys) { if ($k -ieq $Sub) { return @{ Path = $k; Leaf = $false; Name = $k.Substring($k.LastIndexOf('\') + 1) } } }
    $i = $Sub.LastIndexOf('\')
    if ($i -lt 0) { return $null }
    $parent = $Sub.Substring(0, $i); $leaf = $Sub.Substring($i + 1)
    foreach ($k in $script:WsmanTree.Keys) {
        if ($k -ieq $parent) {
            foreach ($c in $script:WsmanTree[$k]) {
                if ($c -ieq $leaf) { return @{ Path = "$k\$c"; Leaf = ($k -like '*\Auth'); Role = $(if ($k -like 'localhost\Client*') { 'Client' } else { 'Service' }); Name = $c; Parent = $k } }
            }
        }
    }
    $null
}

function New-LabWsmanObject {
    param($HostState, $Node)
    if ($Node.Leaf) {
        $val = if ($Node.Name -eq 'CredSSP') { ([string](Get-LabWinRMFlag $HostState $Node.Role)).ToLowerInvariant() } else { $script:WsmanFixed[$Node.Name] }
        $src = if ($Node.Name -eq 'CredSSP' -and $null -ne (Get-LabWinRMPolicy $HostState $Node.Role)) { 'GPO' } else { '' }
        $o = [pscustomobject]@{ WSManConfig = "Microsoft.WSMan.Management\WSMan::$($Node.Parent)"; Name = $Node.Name; Value = $val; Type = 'System.String'; SourceOfValue = $src; PSPath = "Microsoft.WSMan.Management\WSMan::$($Node.Path)"; PSChildName = $Node.Name; PSIsContainer = $false }
        $o.PSObject.TypeNames.Insert(0, 'Microsoft.WSMan.Management.WSManConfigLeafElement')
        return $o
    }
    $o = [pscustomobject]@{ Name = $Node.Name; Type = 'Container'; Keys = @(); PSPath = "Microsoft.WSMan.Management\WSMan::$($Node.Path)"; PSChildName = $Node.Name; PSIsContainer = $true }
    $o.PSObject.TypeNames.Insert(0, 'Microsoft.WSMan.Management.WSManConfigContainerElement')
    $o
}

function Assert-LabWsmanService {
    param($Cmdlet, $HostState, [string]$Display)
    if ($HostState.winrm) { return $true }
    $ex = [System.InvalidOperationException]::new('The client cannot connect to the destination specified in the request. Verify that the service on the destination is running and is accepting requests. Consult the logs and documentation for the WS-Management service running on the destination, most commonly IIS or WinRM. If the destination is the WinRM service, run the following command on the destination to analyze and configure the WinRM service: "winrm quickconfig".')
    Write-LabError $Cmdlet (New-LabErrorRecord $ex 'System.InvalidOperationException,Microsoft.PowerShell.Commands.GetItemCommand' 'InvalidOperation' $Display)
    $false
}

function ConvertTo-LabRegData {
    param($Value, [string]$Type)
    switch ($Type) {
        'DWord' { if ($Value -is [string] -and $Value -match '^0x[0-9a-f]+$') { return [int][Convert]::ToUInt32($Value.Substring(2), 16) }; $l = [long]$Value; if ($l -gt [int]::MaxValue) { $l = $l - 4294967296 }; return [int]$l }
        'QWord' { return [long]$Value }
        'Binary' { return [System.Convert]::ToBase64String([byte[]]@($Value)) }
        'MultiString' { return , [string[]]@($Value) }
        default { return [string]$Value }
    }
}

function Get-LabKindFromValue {
    param($Value)
    if ($Value -is [int] -or $Value -is [int16] -or $Value -is [byte] -or $Value -is [uint32]) { return 'DWord' }
    if ($Value -is [long]) { return 'QWord' }
    if ($Value -is [byte[]]) { return 'Binary' }
    if ($Value -is [string[]] -or $Value -is [object[]]) { return 'MultiString' }
    'String'
}

function Assert-LabRegWrite {
    param($Cmdlet, $State, [string]$Display, [string]$CmdType)
    if (Test-LabElevated $State) { return $true }
    $ex = [System.Security.SecurityException]::new('Requested registry access is not allowed.')
    Write-LabError $Cmdlet (New-LabErrorRecord $ex "System.Security.SecurityException,Microsoft.PowerShell.Commands.$CmdType" 'PermissionDenied' $Display)
    $false
}

function Invoke-LabItem {
    param([string]$Verb, $Cmdlet, $Bound)
    $cmdType = ($Verb -replace '-', '') + 'Command'
    $state = Read-LabState
    $h = Get-LabCtxHost $state
    $dirty = $false
    $faultChecks = [System.Collections.Generic.List[string]]::new()
    foreach ($raw in (Get-LabBoundPaths $Bound)) {
        $pi = Get-LabPathInfo ([string]$raw)
        if ($null -eq $pi) { Write-LabError $Cmdlet (New-LabErrorRecord ([System.NotSupportedException]::new("CredHop lab: cannot mix HKLM:/WSMan: paths with other paths in one call ('$raw').")) 'CredHopLabMixedPaths' 'NotImplemented' $raw); continue }
        $disp = $pi.Display
        if ($pi.Kind -eq 'WSMan') {
            $node = Get-LabWsmanNode $pi.Sub
            if ($Verb -ne 'Test-Path' -and $node -and -not (Assert-LabWsmanService $Cmdlet $h $disp)) { continue }
            switch ($Verb) {
                'Test-Path' {
                    $ok = $null -ne $node
                    if ($ok -and $Bound.PathType -eq 'Leaf') { $ok = $node.Leaf }
                    if ($ok -and $Bound.PathType -eq 'Container') { $ok = -not $node.Leaf }
                    $ok
                }
                'Get-Item' { if ($null -eq $node) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType) } else { New-LabWsmanObject $h $node } }
                'Get-ChildItem' {
                    if ($null -eq $node) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType); break }
                    if ($node.Path -eq '') { New-LabWsmanObject $h (Get-LabWsmanNode 'localhost'); break }
                    if ($node.Leaf) { New-LabWsmanObject $h $node; break }
                    foreach ($c in $script:WsmanTree[$node.Path]) { New-LabWsmanObject $h (Get-LabWsmanNode "$($node.Path)\$c") }
                }
                'Set-Item' {
                    if ($null -eq $node) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType); break }
                    if (-not $node.Leaf -or $node.Name -ne 'CredSSP') {
                        Write-LabError $Cmdlet (New-LabErrorRecord ([System.NotSupportedException]::new("CredHop lab: only ...\Auth\CredSSP can be set on the WSMan: drive (not '$disp').")) 'CredHopLabNotModelled' 'NotImplemented' $disp); break
                    }
                    if (-not (Test-LabElevated $state)) {
                        Write-LabError $Cmdlet (New-LabErrorRecord ([System.UnauthorizedAccessException]::new('Access is denied.')) 'System.UnauthorizedAccessException,Microsoft.PowerShell.Commands.SetItemCommand' 'PermissionDenied' $disp); break
                    }
                    $v = $Bound.Value
                    $b = $null
                    if ($v -is [bool]) { $b = $v } elseif ("$v" -match '^(?i:true|1)$') { $b = $true } elseif ("$v" -match '^(?i:false|0)$') { $b = $false }
                    if ($null -eq $b) {
                        Write-LabError $Cmdlet (New-LabErrorRecord ([System.ArgumentException]::new("The WS-Management service cannot process the request because the value '$v' is not valid for CredSSP (true or false).")) 'System.ArgumentException,Microsoft.PowerShell.Commands.SetItemCommand' 'InvalidArgument' $disp); break
                    }
                    if ($null -ne (Get-LabWinRMPolicy $h $node.Role)) {
                        Write-LabError $Cmdlet (New-LabErrorRecord ([System.InvalidOperationException]::new($script:Texts.W1)) 'System.InvalidOperationException,Microsoft.PowerShell.Commands.SetItemCommand' 'InvalidOperation' $disp); break
                    }
                    Set-LabWinRMFlagRaw $h $node.Role $b
                    $dirty = $true; $faultChecks.Add("WSMan:\$($node.Path)")
                }
                default {
                    Write-LabError $Cmdlet (New-LabErrorRecord ([System.NotSupportedException]::new("CredHop lab: $Verb is not modelled on the WSMan: drive ('$disp').")) 'CredHopLabNotModelled' 'NotImplemented' $disp)
                }
            }
            continue
        }
        # ---- HKLM
        $key = Find-LabRegKey $h $pi.Sub
        $full = "HKLM:\$($pi.Sub)"
        switch ($Verb) {
            'Test-Path' {
                $ok = $null -ne $key
                if ($Bound.PathType -eq 'Leaf') { $ok = $false }
                $ok
            }
            'Get-Item' { if ($null -eq $key) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType) } else { New-LabRegKeyObject $h $key } }
            'Get-ChildItem' {
                if ($null -eq $key) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType); break }
                $queue = [System.Collections.Generic.Queue[string]]::new(); $queue.Enqueue($key)
                while ($queue.Count -gt 0) {
                    $k = $queue.Dequeue()
                    foreach ($c in (Get-LabRegSubKeys $h $k)) {
                        if ($Bound.Name) { $c.Substring($key.Length + 1) } else { New-LabRegKeyObject $h $c }
                        if ($Bound.Recurse) { $queue.Enqueue($c) }
                    }
                }
            }
            'Get-ItemProperty' {
                if ($null -eq $key) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType); break }
                $all = @(Get-LabRegValueNames $h $key)
                if ($Bound.ContainsKey('Name')) {
                    $want = @()
                    foreach ($n in @($Bound.Name)) {
                        if ([System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($n)) { $want += @($all | Where-Object { $_ -like $n }); continue }
                        if (@($all | Where-Object { $_ -ieq $n }).Count -eq 0) {
                            Write-LabError $Cmdlet (New-LabErrorRecord ([System.Management.Automation.PSArgumentException]::new("Property $n does not exist at path HKEY_LOCAL_MACHINE\$key.")) "System.Management.Automation.PSArgumentException,Microsoft.PowerShell.Commands.$cmdType" 'InvalidArgument' $n)
                        }
                        else { $want += $n }
                    }
                    if ($want.Count -gt 0) { New-LabPropertyObject $h $key $want }
                }
                elseif ($all.Count -gt 0) { New-LabPropertyObject $h $key $all }
            }
            'New-Item' {
                if (-not (Assert-LabRegWrite $Cmdlet $state $disp $cmdType)) { break }
                $target = $pi.Sub
                if ($Bound.Name) { $target = Format-LabKey ($target + '\' + $Bound.Name) }
                $tk = Find-LabRegKey $h $target
                if ($null -ne $tk -and -not $Bound.Force) {
                    Write-LabError $Cmdlet (New-LabErrorRecord ([System.IO.IOException]::new('A key at this path already exists.')) "System.IO.IOException,Microsoft.PowerShell.Commands.$cmdType" 'ResourceExists' "HKLM:\$target"); break
                }
                $parent = if ($target.Contains('\')) { $target.Substring(0, $target.LastIndexOf('\')) } else { '' }
                if ($null -eq (Find-LabRegKey $h $parent) -and -not $Bound.Force) { Write-LabError $Cmdlet (New-LabPathNotFound "HKLM:\$parent" $cmdType); break }
                if ($null -ne $tk) { Remove-LabRegKey $h $tk }   # New-Item -Force on an existing key re-creates it empty (as on Windows)
                $nk = New-LabRegKey $h $target
                $dirty = $true; $faultChecks.Add("HKLM:\$nk")
                New-LabRegKeyObject $h $nk
            }
            { $_ -in 'New-ItemProperty', 'Set-ItemProperty' } {
                if ($null -eq $key) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType); break }
                if (-not (Assert-LabRegWrite $Cmdlet $state $disp $cmdType)) { break }
                $name = [string]$Bound.Name
                $existing = Get-LabRegValue $h $key $name
                if ($Verb -eq 'New-ItemProperty') {
                    if ($null -ne $existing -and -not $Bound.Force) {
                        Write-LabError $Cmdlet (New-LabErrorRecord ([System.IO.IOException]::new('The property already exists.')) "System.IO.IOException,Microsoft.PowerShell.Commands.$cmdType" 'ResourceExists' "HKEY_LOCAL_MACHINE\$key"); break
                    }
                    $type = if ($Bound.PropertyType) { [string]$Bound.PropertyType } else { 'String' }
                }
                else {
                    $type = if ($Bound.Type) { [string]$Bound.Type } elseif ($null -ne $existing) { $existing.type } else { Get-LabKindFromValue $Bound.Value }
                }
                $type = switch -Regex ($type) { '^(?i)dword$' { 'DWord' } '^(?i)qword$' { 'QWord' } '^(?i)string$' { 'String' } '^(?i)expandstring$' { 'ExpandString' } '^(?i)multistring$' { 'MultiString' } '^(?i)binary$' { 'Binary' } default { $null } }
                if ($null -eq $type) { Write-LabError $Cmdlet (New-LabErrorRecord ([System.ArgumentException]::new('The property type is not valid.')) "System.ArgumentException,Microsoft.PowerShell.Commands.$cmdType" 'InvalidArgument' $name); break }
                try { $data = ConvertTo-LabRegData $Bound.Value $type }
                catch { Write-LabError $Cmdlet (New-LabErrorRecord ([System.ArgumentException]::new("The value '$($Bound.Value)' cannot be converted to $type.")) "System.ArgumentException,Microsoft.PowerShell.Commands.$cmdType" 'InvalidArgument' $name); break }
                Set-LabRegValue $h $key $name $type $data
                $dirty = $true; $faultChecks.Add("HKLM:\$key\$name")
                if ($Verb -eq 'New-ItemProperty' -or $Bound.PassThru) { New-LabPropertyObject $h $key @($name) }
            }
            'Remove-ItemProperty' {
                if ($null -eq $key) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType); break }
                if (-not (Assert-LabRegWrite $Cmdlet $state $disp $cmdType)) { break }
                foreach ($n in @($Bound.Name)) {
                    if (-not (Remove-LabRegValue $h $key $n)) {
                        Write-LabError $Cmdlet (New-LabErrorRecord ([System.Management.Automation.PSArgumentException]::new("Property $n does not exist at path HKEY_LOCAL_MACHINE\$key.")) "System.Management.Automation.PSArgumentException,Microsoft.PowerShell.Commands.$cmdType" 'InvalidArgument' $n)
                    }
                    else { $dirty = $true; $faultChecks.Add("HKLM:\$key\$n") }
                }
            }
            'Remove-Item' {
                if ($null -eq $key) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType); break }
                if (-not (Assert-LabRegWrite $Cmdlet $state $disp $cmdType)) { break }
                if ((Get-LabRegSubKeys $h $key).Count -gt 0 -and -not $Bound.Recurse) {
                    Write-LabError $Cmdlet (New-LabErrorRecord ([System.Management.Automation.PSInvalidOperationException]::new("The item at $disp has children and the Recurse parameter was not specified. Nothing has been removed.")) "CredHopLabRemoveNeedsRecurse,Microsoft.PowerShell.Commands.$cmdType" 'InvalidOperation' $disp); break
                }
                Remove-LabRegKey $h $key
                $dirty = $true; $faultChecks.Add("HKLM:\$key")
            }
            default {
                Write-LabError $Cmdlet (New-LabErrorRecord ([System.NotSupportedException]::new("CredHop lab: $Verb is not modelled on HKLM: ('$disp').")) 'CredHopLabNotModelled' 'NotImplemented' $disp)
            }
        }
    }
    if ($dirty) {
        Save-LabState $state
        foreach ($p in $faultChecks) { Invoke-LabWriteFault $Verb $p }
    }
}

# Generate the shadow item cmdlets from the real cmdlets' metadata (same parameters and sets).
$script:ItemVerbs = @('Test-Path', 'Get-Item', 'Get-ChildItem', 'Get-ItemProperty', 'New-Item', 'New-ItemProperty', 'Set-Item', 'Set-ItemProperty', 'Remove-Item', 'Remove-ItemProperty')
foreach ($verb in $script:ItemVerbs) {
    $real = Microsoft.PowerShell.Core\Get-Command "Microsoft.PowerShell.Management\$verb" -CommandType Cmdlet
    $meta = [System.Management.Automation.CommandMetadata]::new($real)
    $extra = ''
    if ($verb -eq 'Set-ItemProperty') { $extra = ",`n    [Parameter()][string]`${Type}" }
    $binding = [System.Management.Automation.ProxyCommand]::GetCmdletBindingAttribute($meta)
    $params = [System.Management.Automation.ProxyCommand]::GetParamBlock($meta)
    $src = @"
function $verb {
$binding
param($params$extra)
process {
    Import-LabCallerPreference `$PSCmdlet `$PSBoundParameters
    if (Test-LabItemCall `$PSBoundParameters) { Invoke-LabItem '$verb' `$PSCmdlet `$PSBoundParameters; return }
    `$fwd = @{} + `$PSBoundParameters
    [void]`$fwd.Remove('Type')
    Microsoft.PowerShell.Management\$verb @fwd
}
}
"@
    . ([scriptblock]::Create($src))
}

# ---------------------------------------------------------------------------------------------
# Entry points (protocol: -Payload <base64 UTF-8 JSON>; one line 'CREDHOP:' + compressed JSON)
# ---------------------------------------------------------------------------------------------
function Write-LabResult {
    param([bool]$Ok, $Data, [string]$Kind, [string]$Message)
    if ($Ok) { $o = [ordered]@{ ok = $true; data = $Data } } else { $o = [ordered]@{ ok = $false; error = [ordered]@{ kind = $Kind; message = $Message } } }
    'CREDHOP:' + (Microsoft.PowerShell.Utility\ConvertTo-Json -InputObject $o -Compress -Depth 100)
}

function Invoke-LabEntry {
    param([string]$Payload, [scriptblock]$Body)
    try {
        $json = [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String($Payload))
        $p = Microsoft.PowerShell.Utility\ConvertFrom-Json -InputObject $json -AsHashtable -Depth 100
        if ($null -eq $p) { $p = @{} }
        if ($p -isnot [System.Collections.IDictionary]) { throw 'payload must be a JSON object' }
    }
    catch { return (Write-LabResult $false $null 'invalid-payload' "Invalid payload: $($_.Exception.Message)") }
    try { $data = & $Body $p; Write-LabResult $true $data }
    catch { Write-LabResult $false $null 'failed' $_.Exception.Message }
}

function Initialize-CredHopLab {
    <# payload {labFile | lab, stateDir, reset?} -> seeds the state dir if empty or reset; this process becomes the client. #>
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Payload)
    Invoke-LabEntry $Payload {
        param($p)
        $stateDir = [string]$p['stateDir']
        if (-not $stateDir) { throw 'stateDir is required' }
        $stateDir = [System.IO.Path]::GetFullPath($stateDir)
        $null = [System.IO.Directory]::CreateDirectory($stateDir)
        $statePath = Join-LabPath $stateDir 'state.json'
        $seeded = $false
        if ($p['reset'] -or -not [System.IO.File]::Exists($statePath)) {
            if ($p.Contains('lab')) { $lab = $p['lab']; $src = '(inline lab)' }
            else {
                $lf = [string]$p['labFile']
                if (-not $lf) { $lf = Join-LabPath $script:ModuleRoot 'default-lab.json' }
                if (-not [System.IO.File]::Exists($lf)) { throw "Lab file '$lf' does not exist." }
                $src = $lf
                try { $lab = Read-LabJson $lf } catch { throw "Invalid lab file ${lf}: not valid JSON: $($_.Exception.Message)" }
            }
            $state = ConvertTo-LabState $lab $src
            Initialize-LabStateDir $state $stateDir
            Save-LabState $state $stateDir
            $seeded = $true
        }
        $state = Read-LabState $stateDir
        Enter-CredHopLabHost -StateDir $stateDir -HostName $state.client -CanDelegate $true -Authentication 'Local'
        $key = 'CredHopLab.ProcessCounted:' + $stateDir
        if ($seeded -or -not [System.AppDomain]::CurrentDomain.GetData($key)) {
            $state.counters.processes = [int]$state.counters.processes + 1
            Save-LabState $state $stateDir
            [System.AppDomain]::CurrentDomain.SetData($key, $true)
        }
        Set-LabProcessEnv $state $state.client (Get-LabCtxUser $state)
        [ordered]@{ stateDir = $stateDir; client = $state.client; seeded = $seeded; systemRoot = $env:SystemRoot; hosts = @($state.hosts.Keys) }
    }
}

function Get-LabHostView {
    param($State, $HostState, [string]$StateDir)
    $pol = @(Read-LabPol (Get-LabPolPath $StateDir $HostState.name))
    $gpt = Get-LabGptPath $StateDir $HostState.name
    [ordered]@{
        name          = $HostState.name
        fqdn          = $HostState.fqdn
        address       = $HostState.address
        winrm         = $HostState.winrm
        reachable     = $HostState.reachable
        spn           = $HostState.spn
        elevated      = $HostState.elevated
        currentUser   = $HostState.currentUser
        admins        = @($HostState.admins)
        clientCredSSP = Get-LabWinRMFlag $HostState 'Client'
        serviceCredSSP = Get-LabWinRMFlag $HostState 'Service'
        registry      = $HostState.registry
        registryPol   = $pol
        gptIni        = $(if ([System.IO.File]::Exists($gpt)) { [System.IO.File]::ReadAllText($gpt) } else { $null })
        gpApplied     = @($HostState.gpApplied)
        domainPolicy  = $HostState.domainPolicy
        stopAnsweringAfter = $HostState.stopAnsweringAfter
    }
}

function Get-CredHopLabState {
    <# payload {} or {stateDir} -> the whole state with a decoded view of each host's Registry.pol #>
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Payload)
    Invoke-LabEntry $Payload {
        param($p)
        $dir = if ($p['stateDir']) { [System.IO.Path]::GetFullPath([string]$p['stateDir']) } else { Get-LabStateDir }
        $state = Read-LabState $dir
        $hosts = [ordered]@{}
        foreach ($hn in @($state.hosts.Keys)) { $hosts[$hn] = Get-LabHostView $state $state.hosts[$hn] $dir }
        [ordered]@{
            stateDir = $dir; domain = $state.domain; netbios = $state.netbios; client = $state.client
            accounts = @($state.accounts | ForEach-Object { [ordered]@{ name = $_.name; hasPassword = ($null -ne $_.passwordHash) } })
            counters = $state.counters; faults = @($state.faults); hosts = $hosts
            localHost = $(if ($script:Ctx) { $script:Ctx.Host } else { $null })
        }
    }
}

function Set-CredHopLabHost {
    <# payload {host, set:{elevated?, winrm?, reachable?, spn?, httpSpnConflict?, currentUser?, admins?, domainPolicy?, stopAnsweringAfter?}} #>
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Payload)
    Invoke-LabEntry $Payload {
        param($p)
        $state = Read-LabState
        $h = Get-LabHost $state ([string]$p['host'])
        if ($null -eq $h) { throw "unknown host '$($p['host'])'" }
        $set = $p['set']
        if ($set -isnot [System.Collections.IDictionary]) { throw 'set must be an object' }
        foreach ($k in @($set.Keys)) {
            $v = $set[$k]
            switch ($k) {
                { $_ -in 'elevated', 'winrm', 'reachable', 'spn', 'httpSpnConflict' } { if ($v -isnot [bool]) { throw "set.${k}: expected bool" }; $h[$k] = $v }
                'currentUser' { $a = Resolve-LabAccountName $state $v; if (-not $a) { throw "set.currentUser: unknown account '$v'" }; $h.currentUser = $a }
                'admins' { $h.admins = @(@($v) | ForEach-Object { $a = Resolve-LabAccountName $state $_; if (-not $a) { throw "set.admins: unknown account '$_'" }; $a }) }
                'domainPolicy' { $h.domainPolicy = ConvertTo-LabPolicySpec '(Set-CredHopLabHost)' 'set.domainPolicy' $v -Domain }
                'stopAnsweringAfter' { if ($null -ne $v -and -not (Test-LabType $v 'int')) { throw 'set.stopAnsweringAfter: expected int or null' }; $h.stopAnsweringAfter = $v }
                default { throw "set.${k}: unknown field" }
            }
        }
        Save-LabState $state
        [ordered]@{ host = $h.name }
    }
}

function Add-CredHopLabFault {
    <# payload {host, command, path, action: throw|exit, times, exitCode} -> {id} #>
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Payload)
    Invoke-LabEntry $Payload {
        param($p)
        $state = Read-LabState
        $h = Get-LabHost $state ([string]$p['host'])
        if ($null -eq $h) { throw "unknown host '$($p['host'])'" }
        $w = [ordered]@{}; foreach ($k in @($p.Keys)) { if ($k -ne 'host') { $w[$k] = $p[$k] } }
        $f = ConvertTo-LabWriteFault '(Add-CredHopLabFault)' 'fault' $w $h.name
        $state.faults = @($state.faults) + , $f
        Save-LabState $state
        [ordered]@{ id = $f.id }
    }
}

function Invoke-CredHopLabGpUpdate {
    <# payload {host} -> runs the Group Policy refresh on that host #>
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Payload)
    Invoke-LabEntry $Payload {
        param($p)
        $state = Read-LabState
        $h = Get-LabHost $state ([string]$p['host'])
        if ($null -eq $h) { throw "unknown host '$($p['host'])'" }
        Invoke-LabGpUpdateCore $state $h $script:Ctx.StateDir
        Save-LabState $state
        [ordered]@{ host = $h.name }
    }
}

Export-ModuleMember -Function (@(
    'Enable-WSManCredSSP', 'Disable-WSManCredSSP', 'Get-WSManCredSSP',
    'Invoke-Command', 'New-PSSession', 'Remove-PSSession', 'Get-PSSession', 'Test-WSMan',
    'hostname', 'whoami', 'gpupdate',
    'Initialize-CredHopLab', 'Get-CredHopLabState', 'Set-CredHopLabHost', 'Add-CredHopLabFault', 'Invoke-CredHopLabGpUpdate',
    'Enter-CredHopLabHost'
) + $script:ItemVerbs)
