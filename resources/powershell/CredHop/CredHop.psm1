<#
  CredHop PowerShell module: small primitives, one read or one effect each.

  Protocol: Invoke-CredHop -Primitive <Name> -Payload <base64 of UTF-8 JSON>
  writes exactly one line: 'CREDHOP:' + compressed JSON
     {"ok":true,"data":...}
     {"ok":false,"error":{"kind","message","fullyQualifiedErrorId","errorCode","exceptionType","category"}}

  Runs on Windows PowerShell 5.1 and PowerShell 7: no ternary, no '??', no '&&', no PS7-only
  parameters without a fallback. No user value is ever spliced into PowerShell source.
  This module defines no function with the name of an operating-system command.
  See README.md next to this file.
#>
Set-StrictMode -Off

# Management sessions kept open to jump servers (never CredSSP), by host|authentication|user, so a flow
# reads, configures and restores a jump server over one connection. They live as long as this process.
$script:RemoteSessions = @{}
$script:Primitives = @('GetHostState', 'GetCredSSPView', 'AddDelegation', 'RemoveDelegation', 'SetDelegationFlags', 'SetWinRMFlag', 'InvokeRemote', 'RefreshPolicy')
$script:ScriptNames = @('ReadServerState', 'SetServiceFlag', 'Probe', 'ProbeExplicit', 'Whoami')
$script:AuthNames = @('Default', 'Kerberos', 'Negotiate', 'CredSSP')
$script:MaxPayloadChars = 65536

$script:KeyCD = 'SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation'
$script:HklmCD = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation'
$script:Lists = @{
    fresh     = @{ Allow = 'AllowFreshCredentials'; Concat = 'ConcatenateDefaults_AllowFresh'; Sub = 'AllowFreshCredentials' }
    freshNtlm = @{ Allow = 'AllowFreshCredentialsWhenNTLMOnly'; Concat = 'ConcatenateDefaults_AllowFreshNTLMOnly'; Sub = 'AllowFreshCredentialsWhenNTLMOnly' }
}
$script:RegistryCse = '{35378EAC-683F-11D2-A89A-00C04FBBCFA2}'
$script:RegistryTool = '{D02B1F72-3407-48AE-BA88-E8213C6761F1}'
$script:RemotingNoise = @('PSComputerName', 'RunspaceId', 'PSShowComputerName', 'PSSourceJobInstanceId')
$script:DefaultProbe = '[pscustomobject]@{ computerName = ([string](hostname)).Trim(); userName = ([string](whoami)).Trim() }'

# ---------------------------------------------------------------------------------------------
# Errors and results
# ---------------------------------------------------------------------------------------------
function New-CredHopPayloadError {
    param([string]$Message)
    $ex = New-Object System.ArgumentException -ArgumentList $Message
    $ex.Data['CredHopKind'] = 'invalid-payload'
    $ex
}

function ConvertTo-CredHopInt32Code {
    param($Value)
    if ($null -eq $Value) { return $null }
    $n = $null
    if ($Value -is [string]) {
        $s = $Value.Trim()
        if ($s -match '^0[xX]([0-9A-Fa-f]{1,8})$') { $n = [long][Convert]::ToUInt32($Matches[1], 16) }
        elseif ($s -match '^-?\d{1,10}$') { $n = [long]$s }
        else { return $null }
    }
    else {
        try { $n = [long]$Value } catch { return $null }
    }
    if ($n -gt [int]::MaxValue -and $n -le [uint32]::MaxValue) { $n = $n - 4294967296 }
    if ($n -lt [int]::MinValue -or $n -gt [int]::MaxValue) { return $null }
    [int]$n
}

function Get-CredHopErrorCode {
    # the WinRM code of a transport exception, a deserialized remote exception, or an inner exception
    param($Exception)
    $e = $Exception
    $guard = 0
    while ($null -ne $e -and $guard -lt 8) {
        $guard++
        if ($e -is [System.Management.Automation.RemoteException]) {
            $s = $e.SerializedRemoteException
            if ($null -ne $s -and $null -ne $s.PSObject.Properties['ErrorCode']) {
                $c = ConvertTo-CredHopInt32Code $s.ErrorCode
                if ($null -ne $c) { return $c }
            }
        }
        elseif ($null -ne $e.PSObject.Properties['ErrorCode']) {
            $c = ConvertTo-CredHopInt32Code $e.ErrorCode
            if ($null -ne $c -and $c -ne 0) { return $c }
        }
        $e = $e.InnerException
    }
    $null
}

function Get-CredHopExceptionType {
    param($Exception)
    if ($Exception -is [System.Management.Automation.RemoteException]) {
        $s = $Exception.SerializedRemoteException
        if ($null -ne $s) {
            foreach ($t in $s.PSObject.TypeNames) {
                if ($t -like 'Deserialized.*') { return $t.Substring(13) }
                return $t
            }
        }
    }
    $Exception.GetType().FullName
}

function ConvertTo-CredHopErrorInfo {
    param($ErrorRecord, [switch]$Remote)
    $ex = $ErrorRecord.Exception
    $target = $null
    $t = $ErrorRecord.TargetObject
    if ($null -ne $t) {
        if ($t -is [System.Management.Automation.PSObject]) { $t = $t.PSObject.BaseObject }
        if ($t -is [string] -or $t -is [ValueType]) { $target = [string]$t }
    }
    $origin = 'local'
    if ($ex -is [System.Management.Automation.RemoteException]) { $origin = 'remote' }
    $info = New-Object System.Collections.Specialized.OrderedDictionary
    $info['message'] = [string]$ex.Message
    $info['fullyQualifiedErrorId'] = [string]$ErrorRecord.FullyQualifiedErrorId
    $info['errorCode'] = Get-CredHopErrorCode $ex
    $info['exceptionType'] = Get-CredHopExceptionType $ex
    $info['category'] = [string]$ErrorRecord.CategoryInfo.Category
    if ($Remote) {
        $info['targetObject'] = $target
        $info['origin'] = $origin
    }
    $info
}

function Write-CredHopLine {
    param($Object)
    'CREDHOP:' + (ConvertTo-Json -InputObject $Object -Compress -Depth 10)
}

# ---------------------------------------------------------------------------------------------
# Payload decoding and validation
# ---------------------------------------------------------------------------------------------
function ConvertFrom-CredHopPayload {
    param([string]$Payload)
    if ([string]::IsNullOrEmpty($Payload)) { throw (New-CredHopPayloadError 'payload: missing (expected base64 of a UTF-8 JSON object)') }
    if ($Payload.Length -gt $script:MaxPayloadChars) { throw (New-CredHopPayloadError "payload: too long (at most $($script:MaxPayloadChars) characters)") }
    if ($Payload -notmatch '\A[A-Za-z0-9+/]*={0,2}\z') { throw (New-CredHopPayloadError 'payload: not base64') }
    try {
        $bytes = [Convert]::FromBase64String($Payload)
        $enc = New-Object System.Text.UTF8Encoding -ArgumentList $false, $true
        $json = $enc.GetString($bytes)
    }
    catch { throw (New-CredHopPayloadError 'payload: not base64 of UTF-8 text') }
    $obj = $null
    try {
        $cmd = Get-Command -Name ConvertFrom-Json -CommandType Cmdlet
        if ($cmd.Parameters.ContainsKey('DateKind')) { $obj = ConvertFrom-Json -InputObject $json -DateKind String -ErrorAction Stop }
        else { $obj = ConvertFrom-Json -InputObject $json -ErrorAction Stop }
    }
    catch { throw (New-CredHopPayloadError 'payload: not valid JSON') }
    if ($null -eq $obj -or $obj -isnot [System.Management.Automation.PSCustomObject]) { throw (New-CredHopPayloadError 'payload: expected a JSON object') }
    $obj
}

function Assert-CredHopFields {
    param($Object, [string[]]$Allowed, [string]$Path)
    foreach ($p in $Object.PSObject.Properties) {
        if ($Allowed -notcontains $p.Name) {
            $shown = $p.Name
            if ($shown.Length -gt 40 -or $shown -notmatch '\A[A-Za-z0-9_]+\z') { $shown = '(a field with an unusual name)' }
            throw (New-CredHopPayloadError "${Path}: unknown field $shown (allowed: $($Allowed -join ', '))")
        }
    }
}

function Test-CredHopHas {
    param($Object, [string]$Name)
    $null -ne $Object.PSObject.Properties[$Name]
}

function Get-CredHopString {
    param($Object, [string]$Name, [string]$Path, [switch]$Optional, [int]$MaxLength = 255, [int]$MinLength = 1)
    if (-not (Test-CredHopHas $Object $Name)) {
        if ($Optional) { return $null }
        throw (New-CredHopPayloadError "${Path}.${Name}: missing (required)")
    }
    $v = $Object.$Name
    if ($null -eq $v) {
        if ($Optional) { return $null }
        throw (New-CredHopPayloadError "${Path}.${Name}: expected a string, got null")
    }
    if ($v -isnot [string]) { throw (New-CredHopPayloadError "${Path}.${Name}: expected a string") }
    if ($v.Length -lt $MinLength) { throw (New-CredHopPayloadError "${Path}.${Name}: must not be empty") }
    if ($v.Length -gt $MaxLength) { throw (New-CredHopPayloadError "${Path}.${Name}: too long (at most $MaxLength characters)") }
    $v
}

function Get-CredHopBool {
    param($Object, [string]$Name, [string]$Path, [switch]$Optional, [bool]$Default = $false)
    if (-not (Test-CredHopHas $Object $Name)) {
        if ($Optional) { return $Default }
        throw (New-CredHopPayloadError "${Path}.${Name}: missing (required)")
    }
    $v = $Object.$Name
    if ($v -isnot [bool]) { throw (New-CredHopPayloadError "${Path}.${Name}: expected true or false") }
    $v
}

function Get-CredHopDword {
    # required field; integer 0..4294967295 or null (null = delete)
    param($Object, [string]$Name, [string]$Path)
    if (-not (Test-CredHopHas $Object $Name)) { throw (New-CredHopPayloadError "${Path}.${Name}: missing (required; use null to delete the value)") }
    $v = $Object.$Name
    if ($null -eq $v) { return $null }
    $isInt = ($v -is [int] -or $v -is [long] -or $v -is [int16] -or $v -is [byte])
    if (-not $isInt -and ($v -is [double] -or $v -is [decimal])) { $isInt = ([math]::Floor([double]$v) -eq [double]$v) }
    if (-not $isInt -or [double]$v -lt 0 -or [double]$v -gt 4294967295) { throw (New-CredHopPayloadError "${Path}.${Name}: expected an integer from 0 to 4294967295 or null") }
    [long]$v
}

function Get-CredHopEnum {
    param($Object, [string]$Name, [string]$Path, [string[]]$Allowed)
    $v = Get-CredHopString $Object $Name $Path -MaxLength 64
    foreach ($a in $Allowed) { if ($a -ceq $v) { return $a } }
    throw (New-CredHopPayloadError "${Path}.${Name}: expected one of $($Allowed -join ', ')")
}

function Test-CredHopIPv4 {
    param([string]$Text)
    if ($Text -notmatch '\A(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\z') { return $false }
    for ($i = 1; $i -le 4; $i++) { if ([int]$Matches[$i] -gt 255) { return $false } }
    $true
}

function Test-CredHopDnsName {
    # DNS name (labels of letters, digits, '-', not starting or ending with '-') or a NetBIOS-style single label
    param([string]$Text)
    if ($null -eq $Text -or $Text.Length -lt 1 -or $Text.Length -gt 253) { return $false }
    if ($Text -cnotmatch '\A[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\z') { return $false }
    if ($Text -match '\A[0-9.]+\z') { return $false }  # all-numeric: only valid as an IPv4 address
    $true
}

function Get-CredHopHostName {
    param($Object, [string]$Name, [string]$Path, [switch]$AllowAddress)
    $v = Get-CredHopString $Object $Name $Path -MaxLength 253
    if (Test-CredHopDnsName $v) { return $v }
    if ($AllowAddress -and (Test-CredHopIPv4 $v)) { return $v }
    $what = 'a DNS or NetBIOS host name'
    if ($AllowAddress) { $what = 'a DNS or NetBIOS host name or an IPv4 address' }
    throw (New-CredHopPayloadError "${Path}.${Name}: not $what")
}

function Test-CredHopSpn {
    param([string]$Text)
    if ($Text -notmatch '\Awsman/(?<h>.+)\z') { return $false }
    $h = $Matches.h
    if ($h -eq '*') { return $true }
    if ($h.StartsWith('*.')) { $rest = $h.Substring(2); return ((Test-CredHopDnsName $rest) -and $rest.Contains('.')) }
    ((Test-CredHopDnsName $h) -or (Test-CredHopIPv4 $h))
}

function Get-CredHopCredential {
    param($Object, [string]$Name, [string]$Path, [switch]$Optional)
    if (-not (Test-CredHopHas $Object $Name) -or $null -eq $Object.$Name) {
        if ($Optional) { return $null }
        throw (New-CredHopPayloadError "${Path}.${Name}: missing (required)")
    }
    $c = $Object.$Name
    if ($c -isnot [System.Management.Automation.PSCustomObject]) { throw (New-CredHopPayloadError "${Path}.${Name}: expected an object {userName, password}") }
    Assert-CredHopFields $c @('userName', 'password') "$Path.$Name"
    $u = Get-CredHopString $c 'userName' "$Path.$Name" -MaxLength 256
    $ok = ($u -cmatch '\A([A-Za-z0-9][A-Za-z0-9.-]{0,62}\\)?[A-Za-z0-9._$-]([A-Za-z0-9._ $-]{0,102}[A-Za-z0-9._$-])?\z') -or
          ($u -cmatch '\A[A-Za-z0-9._$-]{1,104}@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+\z')
    if (-not $ok) { throw (New-CredHopPayloadError "$Path.$Name.userName: expected DOMAIN\user, user@domain or user") }
    if (-not (Test-CredHopHas $c 'password')) { throw (New-CredHopPayloadError "$Path.$Name.password: missing (required)") }
    $pw = $c.password
    if ($pw -isnot [string]) { throw (New-CredHopPayloadError "$Path.$Name.password: expected a string") }
    if ($pw.Length -gt 1024) { throw (New-CredHopPayloadError "$Path.$Name.password: too long (at most 1024 characters)") }
    # the password becomes a SecureString at once; the plain string is not kept anywhere
    $sec = New-Object System.Security.SecureString
    foreach ($ch in $pw.ToCharArray()) { $sec.AppendChar($ch) }
    $sec.MakeReadOnly()
    $c.password = $null
    New-Object System.Management.Automation.PSCredential -ArgumentList $u, $sec
}

function Get-CredHopListName {
    param($Object, [string]$Path)
    Get-CredHopEnum $Object 'list' $Path @('fresh', 'freshNtlm')
}

# ---------------------------------------------------------------------------------------------
# Registry.pol (PReg): reader that keeps each record's bytes, writer that re-emits them unchanged
# ---------------------------------------------------------------------------------------------
function Get-CredHopPolPath {
    $root = $env:SystemRoot
    if ([string]::IsNullOrEmpty($root)) { throw 'SystemRoot is not set; cannot find the local Group Policy object.' }
    [System.IO.Path]::Combine([System.IO.Path]::Combine([System.IO.Path]::Combine([System.IO.Path]::Combine($root, 'System32'), 'GroupPolicy'), 'Machine'), 'Registry.pol')
}

function Get-CredHopGptPath {
    [System.IO.Path]::Combine([System.IO.Path]::Combine([System.IO.Path]::Combine($env:SystemRoot, 'System32'), 'GroupPolicy'), 'gpt.ini')
}

function Read-CredHopUtf16Z {
    param([byte[]]$Bytes, [ref]$Index)
    $s = $Index.Value
    $i = $s
    while ($i + 1 -lt $Bytes.Length -and -not ($Bytes[$i] -eq 0 -and $Bytes[$i + 1] -eq 0)) { $i += 2 }
    if ($i + 1 -ge $Bytes.Length) { throw 'Registry.pol is corrupt (unterminated string).' }
    $Index.Value = $i + 2
    [System.Text.Encoding]::Unicode.GetString($Bytes, $s, $i - $s)
}

function Read-CredHopPol {
    # -> @{ Header = byte[]; Records = List of @{ Key; Name; Type; Data(byte[]); Raw(byte[]) } }
    param([string]$Path)
    $records = New-Object System.Collections.Generic.List[object]
    $header = [byte[]](0x50, 0x52, 0x65, 0x67, 1, 0, 0, 0)
    $result = @{ Header = $header; Records = $records }
    if (-not [System.IO.File]::Exists($Path)) { return $result }
    $b = [System.IO.File]::ReadAllBytes($Path)
    if ($b.Length -eq 0) { return $result }
    if ($b.Length -lt 8 -or $b[0] -ne 0x50 -or $b[1] -ne 0x52 -or $b[2] -ne 0x65 -or $b[3] -ne 0x67) { throw "The local Group Policy file is not a Registry.pol file (no PReg header): $Path" }
    $result.Header = [byte[]]$b[0..7]
    $i = 8
    while ($i -lt $b.Length) {
        $start = $i
        if ($i + 1 -ge $b.Length -or $b[$i] -ne 0x5B -or $b[$i + 1] -ne 0) { throw "Registry.pol is corrupt at byte $i (expected '[')." }
        $i += 2
        $key = Read-CredHopUtf16Z $b ([ref]$i)
        $i += 2
        $name = Read-CredHopUtf16Z $b ([ref]$i)
        $i += 2
        if ($i + 14 -gt $b.Length) { throw 'Registry.pol is corrupt (truncated record).' }
        $type = [BitConverter]::ToUInt32($b, $i); $i += 4
        $i += 2
        $size = [BitConverter]::ToUInt32($b, $i); $i += 4
        $i += 2
        if ($i + $size + 2 -gt $b.Length) { throw 'Registry.pol is corrupt (data past the end).' }
        $data = New-Object byte[] $size
        [Array]::Copy($b, $i, $data, 0, $size)
        $i += $size
        if ($b[$i] -ne 0x5D -or $b[$i + 1] -ne 0) { throw "Registry.pol is corrupt at byte $i (expected ']')." }
        $i += 2
        $raw = New-Object byte[] ($i - $start)
        [Array]::Copy($b, $start, $raw, 0, $i - $start)
        $records.Add(@{ Key = $key; Name = $name; Type = [int]$type; Data = $data; Raw = $raw })
    }
    $result
}

function New-CredHopPolRecord {
    param([string]$Key, [string]$Name, [int]$Type, [byte[]]$Data)
    $u = [System.Text.Encoding]::Unicode
    $ms = New-Object System.IO.MemoryStream
    $parts = @(
        $u.GetBytes('[' + $Key + [char]0 + ';' + $Name + [char]0 + ';'),
        [BitConverter]::GetBytes([uint32]$Type),
        $u.GetBytes(';'),
        [BitConverter]::GetBytes([uint32]$Data.Length),
        $u.GetBytes(';'),
        $Data,
        $u.GetBytes(']')
    )
    foreach ($p in $parts) { $ms.Write($p, 0, $p.Length) }
    @{ Key = $Key; Name = $Name; Type = $Type; Data = $Data; Raw = $ms.ToArray() }
}

function ConvertTo-CredHopSzBytes { param([string]$Text) [System.Text.Encoding]::Unicode.GetBytes($Text + [char]0) }

function ConvertTo-CredHopDwordBytes {
    param([long]$Value)
    [BitConverter]::GetBytes([uint32]$Value)
}

function Get-CredHopPolString {
    param($Record)
    if ($Record.Type -ne 1 -and $Record.Type -ne 2) { return $null }
    [System.Text.Encoding]::Unicode.GetString($Record.Data).TrimEnd([char]0)
}

function Save-CredHopFileAtomic {
    param([string]$Path, [byte[]]$Bytes)
    $dir = [System.IO.Path]::GetDirectoryName($Path)
    if (-not [System.IO.Directory]::Exists($dir)) { [void][System.IO.Directory]::CreateDirectory($dir) }
    $tmp = $Path + '.credhop-' + [guid]::NewGuid().ToString('N') + '.tmp'
    [System.IO.File]::WriteAllBytes($tmp, $Bytes)
    if ([System.IO.File]::Exists($Path)) { [System.IO.File]::Replace($tmp, $Path, [NullString]::Value) }
    else { [System.IO.File]::Move($tmp, $Path) }
}

function Save-CredHopPol {
    param($Pol)
    $ms = New-Object System.IO.MemoryStream
    $ms.Write($Pol.Header, 0, $Pol.Header.Length)
    foreach ($r in $Pol.Records) { $ms.Write($r.Raw, 0, $r.Raw.Length) }
    Save-CredHopFileAtomic (Get-CredHopPolPath) $ms.ToArray()
    Update-CredHopGptIni
}

function Update-CredHopGptIni {
    # as LGPO / PolicyFileEditor do: bump the machine version, make sure the registry CSE is listed
    $path = Get-CredHopGptPath
    $lines = New-Object System.Collections.Generic.List[string]
    if ([System.IO.File]::Exists($path)) { foreach ($l in [System.IO.File]::ReadAllLines($path)) { $lines.Add($l) } }
    $gen = -1
    for ($i = 0; $i -lt $lines.Count; $i++) { if ($lines[$i].Trim() -ieq '[General]') { $gen = $i; break } }
    if ($gen -lt 0) { $lines.Insert(0, '[General]'); $gen = 0 }
    $end = $lines.Count
    for ($i = $gen + 1; $i -lt $lines.Count; $i++) { if ($lines[$i].Trim().StartsWith('[')) { $end = $i; break } }
    $verIdx = -1; $extIdx = -1
    for ($i = $gen + 1; $i -lt $end; $i++) {
        if ($lines[$i] -match '^\s*Version\s*=') { $verIdx = $i }
        if ($lines[$i] -match '^\s*gPCMachineExtensionNames\s*=') { $extIdx = $i }
    }
    $ver = [long]0
    if ($verIdx -ge 0 -and $lines[$verIdx] -match '=\s*(\d+)\s*$') { $ver = [long]$Matches[1] }
    $machine = ($ver -band 0xFFFF) + 1
    if ($machine -gt 0xFFFF) { $machine = 1 }
    $user = [long][math]::Floor($ver / 65536)
    $newVer = 'Version=' + (($user * 65536) + $machine)
    $pair = '[' + $script:RegistryCse + $script:RegistryTool + ']'
    if ($extIdx -ge 0) {
        $val = $lines[$extIdx].Substring($lines[$extIdx].IndexOf('=') + 1).Trim()
        if ($val.IndexOf($script:RegistryCse, [StringComparison]::OrdinalIgnoreCase) -lt 0) { $lines[$extIdx] = 'gPCMachineExtensionNames=' + $pair + $val }
    }
    else { $lines.Insert($gen + 1, 'gPCMachineExtensionNames=' + $pair); if ($verIdx -gt $gen) { $verIdx++ }; $end++ }
    if ($verIdx -ge 0) { $lines[$verIdx] = $newVer } else { $lines.Insert($end, $newVer) }
    $text = ($lines.ToArray() -join "`r`n") + "`r`n"
    Save-CredHopFileAtomic $path ([System.Text.Encoding]::ASCII.GetBytes($text))
}

function Get-CredHopLocalList {
    # the local GPO's view of one list (records applied in order, as the policy engine reads them)
    param($Pol, [string]$List)
    $n = $script:Lists[$List]
    $sub = $script:KeyCD + '\' + $n.Sub
    $allow = $null; $concat = $null; $keyExists = $false; $listKeyExists = $false
    $values = New-Object System.Collections.Specialized.OrderedDictionary ([StringComparer]::OrdinalIgnoreCase)
    foreach ($r in $Pol.Records) {
        $isParent = ($r.Key -ieq $script:KeyCD)
        $isSub = ($r.Key -ieq $sub)
        if ($isParent -or $r.Key.StartsWith($script:KeyCD + '\', [StringComparison]::OrdinalIgnoreCase)) { $keyExists = $true }
        if ($isSub) { $listKeyExists = $true }
        if ($isParent) {
            if ($r.Name -ieq $n.Allow -and $r.Type -eq 4 -and $r.Data.Length -ge 4) { $allow = [long][BitConverter]::ToUInt32($r.Data, 0) }
            elseif ($r.Name -ieq $n.Concat -and $r.Type -eq 4 -and $r.Data.Length -ge 4) { $concat = [long][BitConverter]::ToUInt32($r.Data, 0) }
            elseif ($r.Name -ieq ('**del.' + $n.Allow)) { $allow = $null }
            elseif ($r.Name -ieq ('**del.' + $n.Concat)) { $concat = $null }
        }
        elseif ($isSub) {
            if ($r.Name -ieq '**delvals.') { $values.Clear() }
            elseif ($r.Name.StartsWith('**del.', [StringComparison]::OrdinalIgnoreCase)) { $values.Remove($r.Name.Substring(6)) }
            elseif ($r.Name.StartsWith('**')) { }
            elseif ($r.Name -ne '') {
                $s = Get-CredHopPolString $r
                if ($null -ne $s) { $values[$r.Name] = $s }
            }
        }
    }
    $entries = New-Object System.Collections.Generic.List[object]
    foreach ($k in $values.Keys) { $entries.Add([pscustomobject]@{ name = [string]$k; value = [string]$values[$k] }) }
    New-CredHopListView $keyExists $allow $concat $listKeyExists $entries
}

function New-CredHopListView {
    param([bool]$KeyExists, $Allow, $Concat, [bool]$ListKeyExists, $Entries)
    $sorted = @($Entries | Sort-Object -Property @{ Expression = { if ($_.name -match '\A\d{1,9}\z') { 0 } else { 1 } } }, @{ Expression = { if ($_.name -match '\A\d{1,9}\z') { [int]$_.name } else { 0 } } }, @{ Expression = { $_.name } })
    $list = New-Object System.Collections.Generic.List[object]
    foreach ($e in $sorted) {
        $d = New-Object System.Collections.Specialized.OrderedDictionary
        $d['name'] = [string]$e.name; $d['value'] = [string]$e.value
        $list.Add($d)
    }
    $v = New-Object System.Collections.Specialized.OrderedDictionary
    $v['keyExists'] = $KeyExists
    $v['allow'] = $Allow
    $v['concatenate'] = $Concat
    $v['listKeyExists'] = $ListKeyExists
    $v['entries'] = [object[]]$list.ToArray()
    $v
}

# ---------------------------------------------------------------------------------------------
# Effective registry (HKLM:\SOFTWARE\Policies) through the ordinary item cmdlets
# ---------------------------------------------------------------------------------------------
function Get-CredHopRegValues {
    # -> ordered dictionary name -> value of a key, or $null when the key does not exist
    param([string]$Key)
    if (-not (Test-Path -LiteralPath $Key -ErrorAction Stop)) { return $null }
    $d = New-Object System.Collections.Specialized.OrderedDictionary ([StringComparer]::OrdinalIgnoreCase)
    $item = Get-Item -LiteralPath $Key -ErrorAction Stop
    foreach ($n in @($item.GetValueNames())) {
        if ([string]::IsNullOrEmpty($n)) { continue }
        $d[$n] = $item.GetValue($n)
    }
    , $d
}

function ConvertTo-CredHopDwordValue {
    param($Value)
    if ($null -eq $Value) { return $null }
    try { $l = [long]$Value } catch { return $null }
    if ($l -lt 0) { $l = $l + 4294967296 }
    $l
}

function Get-CredHopEffectiveList {
    param([string]$List)
    $n = $script:Lists[$List]
    $parent = Get-CredHopRegValues $script:HklmCD
    $allow = $null; $concat = $null
    if ($null -ne $parent) {
        if ($parent.Contains($n.Allow)) { $allow = ConvertTo-CredHopDwordValue $parent[$n.Allow] }
        if ($parent.Contains($n.Concat)) { $concat = ConvertTo-CredHopDwordValue $parent[$n.Concat] }
    }
    $sub = Get-CredHopRegValues ($script:HklmCD + '\' + $n.Sub)
    $entries = New-Object System.Collections.Generic.List[object]
    if ($null -ne $sub) { foreach ($k in $sub.Keys) { $entries.Add([pscustomobject]@{ name = [string]$k; value = [string]$sub[$k] }) } }
    New-CredHopListView ($null -ne $parent) $allow $concat ($null -ne $sub) $entries
}

function Set-CredHopRegDword {
    param([string]$Key, [string]$Name, [long]$Value)
    if (-not (Test-Path -LiteralPath $Key -ErrorAction Stop)) { New-Item -Path $Key -Force -ErrorAction Stop | Out-Null }
    $v = $Value
    if ($v -gt [int]::MaxValue) { $v = $v - 4294967296 }
    New-ItemProperty -LiteralPath $Key -Name $Name -Value ([int]$v) -PropertyType DWord -Force -ErrorAction Stop | Out-Null
}

function Set-CredHopRegString {
    param([string]$Key, [string]$Name, [string]$Value)
    if (-not (Test-Path -LiteralPath $Key -ErrorAction Stop)) { New-Item -Path $Key -Force -ErrorAction Stop | Out-Null }
    New-ItemProperty -LiteralPath $Key -Name $Name -Value $Value -PropertyType String -Force -ErrorAction Stop | Out-Null
}

function Remove-CredHopRegValue {
    param([string]$Key, [string]$Name)
    $vals = Get-CredHopRegValues $Key
    if ($null -eq $vals -or -not $vals.Contains($Name)) { return $false }
    Remove-ItemProperty -LiteralPath $Key -Name $Name -ErrorAction Stop
    $true
}

function Test-CredHopRegKeyEmpty {
    param([string]$Key)
    $vals = Get-CredHopRegValues $Key
    if ($null -eq $vals) { return $false }
    if ($vals.Count -gt 0) { return $false }
    $children = @(Get-ChildItem -LiteralPath $Key -ErrorAction Stop)
    ($children.Count -eq 0)
}

# ---------------------------------------------------------------------------------------------
# Host probes
# ---------------------------------------------------------------------------------------------
function Invoke-CredHopNative {
    # run an OS program; never let its stderr become a terminating error or reach our stdout
    param([string]$Name, [string[]]$Arguments)
    $old = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        $out = & $Name @Arguments 2>$null
        $code = $LASTEXITCODE
    }
    finally { $ErrorActionPreference = $old }
    @{ Output = @($out | ForEach-Object { [string]$_ }); ExitCode = $code }
}

function Get-CredHopWinRMFlag {
    param([string]$Role)
    try {
        $item = Get-Item -Path ("WSMan:\localhost\$Role\Auth\CredSSP") -ErrorAction Stop
        return ([string]$item.Value -ieq 'true')
    }
    catch { return $null }
}

function Read-CredHopRegDword {
    param([string]$Key, [string]$Name)
    try {
        $vals = Get-CredHopRegValues $Key
        if ($null -eq $vals -or -not $vals.Contains($Name)) { return $null }
        return ConvertTo-CredHopDwordValue $vals[$Name]
    }
    catch { return $null }
}

# ---------------------------------------------------------------------------------------------
# Primitives (each sets $script:Result; all other output is discarded)
# ---------------------------------------------------------------------------------------------
function Invoke-CredHopGetHostState {
    param($P)
    Assert-CredHopFields $P @() 'payload'
    $cn = Invoke-CredHopNative 'hostname' @()
    $who = Invoke-CredHopNative 'whoami' @()
    $groups = Invoke-CredHopNative 'whoami' @('/groups')
    $elevated = $false
    foreach ($l in $groups.Output) { if ($l -match '(^|\s)S-1-16-12288(\s|$)') { $elevated = $true } }
    $winrm = New-Object System.Collections.Specialized.OrderedDictionary
    $winrm['clientCredSSP'] = Get-CredHopWinRMFlag 'Client'
    $winrm['serviceCredSSP'] = Get-CredHopWinRMFlag 'Service'
    $winrm['clientPolicyAllowCredSSP'] = Read-CredHopRegDword 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WinRM\Client' 'AllowCredSSP'
    $winrm['servicePolicyAllowCredSSP'] = Read-CredHopRegDword 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WinRM\Service' 'AllowCredSSP'
    $pol = Read-CredHopPol (Get-CredHopPolPath)
    $deleg = New-Object System.Collections.Specialized.OrderedDictionary
    foreach ($ln in 'fresh', 'freshNtlm') {
        $v = New-Object System.Collections.Specialized.OrderedDictionary
        $v['effective'] = Get-CredHopEffectiveList $ln
        $v['local'] = Get-CredHopLocalList $pol $ln
        $deleg[$ln] = $v
    }
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $d['computerName'] = (@($cn.Output) -join '').Trim()
    $d['userName'] = (@($who.Output) -join '').Trim()
    $d['isElevated'] = $elevated
    $d['psVersion'] = $PSVersionTable.PSVersion.ToString()
    $d['psEdition'] = [string]$PSVersionTable.PSEdition
    $d['winrm'] = $winrm
    $d['delegation'] = $deleg
    $d['encryptionOracle'] = Read-CredHopRegDword 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters' 'AllowEncryptionOracle'
    $script:Result = $d
}

function Invoke-CredHopGetCredSSPView {
    param($P)
    Assert-CredHopFields $P @() 'payload'
    $lines = New-Object System.Collections.Generic.List[string]
    foreach ($o in @(Get-WSManCredSSP -ErrorAction Stop)) {
        foreach ($l in ([string]$o -split "`r?`n")) { if ($l.Trim() -ne '') { $lines.Add($l.Trim()) } }
    }
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $d['lines'] = [object[]]$lines.ToArray()
    $script:Result = $d
}

function Get-CredHopFreeName {
    param($Local, $Effective)
    $used = @{}
    foreach ($e in @($Local.entries) + @($Effective.entries)) { if ($null -ne $e) { $used[[string]$e['name']] = $true } }
    $i = 1
    while ($used.ContainsKey([string]$i)) { $i++ }
    [string]$i
}

function Set-CredHopPolDword {
    param($Pol, [string]$Key, [string]$Name, $Value)
    $idx = -1
    for ($i = 0; $i -lt $Pol.Records.Count; $i++) { if ($Pol.Records[$i].Key -ieq $Key -and $Pol.Records[$i].Name -ieq $Name) { $idx = $i } }
    if ($null -eq $Value) {
        for ($i = $Pol.Records.Count - 1; $i -ge 0; $i--) { if ($Pol.Records[$i].Key -ieq $Key -and $Pol.Records[$i].Name -ieq $Name) { $Pol.Records.RemoveAt($i) } }
        return
    }
    $bytes = ConvertTo-CredHopDwordBytes ([long]$Value)
    if ($idx -ge 0) {
        $r = $Pol.Records[$idx]
        if ($r.Type -eq 4 -and [Convert]::ToBase64String($r.Data) -eq [Convert]::ToBase64String($bytes)) { return }
        $Pol.Records[$idx] = New-CredHopPolRecord $r.Key $r.Name 4 $bytes
    }
    else { $Pol.Records.Add((New-CredHopPolRecord $Key $Name 4 $bytes)) }
}

function Invoke-CredHopAddDelegation {
    param($P)
    Assert-CredHopFields $P @('list', 'spn') 'payload'
    $list = Get-CredHopListName $P 'payload'
    $spn = Get-CredHopString $P 'spn' 'payload' -MaxLength 260
    if (-not (Test-CredHopSpn $spn)) { throw (New-CredHopPayloadError 'payload.spn: expected wsman/<host>, wsman/*.<domain> or wsman/* (host: a DNS or NetBIOS name or an IPv4 address)') }
    $n = $script:Lists[$list]
    $sub = $script:KeyCD + '\' + $n.Sub
    $pol = Read-CredHopPol (Get-CredHopPolPath)
    $local = Get-CredHopLocalList $pol $list
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    foreach ($e in @($local.entries)) {
        if ([string]$e['value'] -ieq $spn) {
            $d['added'] = $false; $d['valueName'] = [string]$e['name']
            $script:Result = $d
            return
        }
    }
    $effective = Get-CredHopEffectiveList $list
    $name = Get-CredHopFreeName $local $effective
    # 1. the local GPO (Registry.pol): every other record stays byte for byte
    Set-CredHopPolDword $pol $script:KeyCD $n.Allow 1
    Set-CredHopPolDword $pol $script:KeyCD $n.Concat 1
    $pol.Records.Add((New-CredHopPolRecord $sub $name 1 (ConvertTo-CredHopSzBytes $spn)))
    Save-CredHopPol $pol
    # 2. the effective registry
    Set-CredHopRegDword $script:HklmCD $n.Allow 1
    Set-CredHopRegDword $script:HklmCD $n.Concat 1
    Set-CredHopRegString ($script:HklmCD + '\' + $n.Sub) $name $spn
    $d['added'] = $true; $d['valueName'] = $name
    $script:Result = $d
}

function Invoke-CredHopRemoveDelegation {
    param($P)
    Assert-CredHopFields $P @('list', 'entries') 'payload'
    $list = Get-CredHopListName $P 'payload'
    if (-not (Test-CredHopHas $P 'entries') -or $null -eq $P.entries) { throw (New-CredHopPayloadError 'payload.entries: missing (required)') }
    $raw = $P.entries
    if ($raw -isnot [System.Array]) { throw (New-CredHopPayloadError 'payload.entries: expected an array of {name, value}') }
    if ($raw.Count -gt 1000) { throw (New-CredHopPayloadError 'payload.entries: too many entries (at most 1000)') }
    $wanted = New-Object System.Collections.Generic.List[object]
    $i = 0
    foreach ($e in $raw) {
        $path = "payload.entries[$i]"
        if ($e -isnot [System.Management.Automation.PSCustomObject]) { throw (New-CredHopPayloadError "${path}: expected an object {name, value}") }
        Assert-CredHopFields $e @('name', 'value') $path
        $nm = Get-CredHopString $e 'name' $path -MaxLength 32
        if ($nm -cnotmatch '\A[A-Za-z0-9_.-]{1,32}\z') { throw (New-CredHopPayloadError "${path}.name: expected a registry value name such as 1, 2, 3") }
        $vl = Get-CredHopString $e 'value' $path -MaxLength 512
        if ($vl -match '[\x00-\x1F\x7F]') { throw (New-CredHopPayloadError "${path}.value: must not contain control characters") }
        $wanted.Add(@{ name = $nm; value = $vl })
        $i++
    }
    $n = $script:Lists[$list]
    $sub = $script:KeyCD + '\' + $n.Sub
    $hklmSub = $script:HklmCD + '\' + $n.Sub
    $pol = Read-CredHopPol (Get-CredHopPolPath)
    $removed = New-Object System.Collections.Generic.List[object]
    $missing = New-Object System.Collections.Generic.List[object]
    $polChanged = $false
    $effVals = Get-CredHopRegValues $hklmSub
    foreach ($w in $wanted) {
        $inLocal = $false
        for ($j = $pol.Records.Count - 1; $j -ge 0; $j--) {
            $r = $pol.Records[$j]
            if ($r.Key -ieq $sub -and $r.Name -ieq $w.name -and (Get-CredHopPolString $r) -ieq $w.value) { $pol.Records.RemoveAt($j); $inLocal = $true; $polChanged = $true }
        }
        $inEff = $false
        if ($null -ne $effVals -and $effVals.Contains($w.name) -and ([string]$effVals[$w.name]) -ieq $w.value) {
            $inEff = $true
        }
        $o = New-Object System.Collections.Specialized.OrderedDictionary
        $o['name'] = $w.name; $o['value'] = $w.value
        if ($inLocal -or $inEff) { $o['local'] = $inLocal; $o['effective'] = $inEff; $removed.Add($o) } else { $missing.Add($o) }
    }
    if ($polChanged) { Save-CredHopPol $pol }
    foreach ($o in $removed) { if ($o['effective']) { Remove-ItemProperty -LiteralPath $hklmSub -Name $o['name'] -ErrorAction Stop } }
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $d['removed'] = [object[]]$removed.ToArray()
    $d['missing'] = [object[]]$missing.ToArray()
    $script:Result = $d
}

function Invoke-CredHopSetDelegationFlags {
    param($P)
    Assert-CredHopFields $P @('list', 'allow', 'concatenate', 'removeEmptyListKey', 'removeEmptyKey') 'payload'
    $list = Get-CredHopListName $P 'payload'
    $allow = Get-CredHopDword $P 'allow' 'payload'
    $concat = Get-CredHopDword $P 'concatenate' 'payload'
    $rmList = Get-CredHopBool $P 'removeEmptyListKey' 'payload' -Optional
    $rmKey = Get-CredHopBool $P 'removeEmptyKey' 'payload' -Optional
    $n = $script:Lists[$list]
    $sub = $script:KeyCD + '\' + $n.Sub
    $hklmSub = $script:HklmCD + '\' + $n.Sub
    # 1. local GPO
    $pol = Read-CredHopPol (Get-CredHopPolPath)
    $before = New-Object System.Collections.Generic.List[string]
    foreach ($r in $pol.Records) { $before.Add([Convert]::ToBase64String($r.Raw)) }
    Set-CredHopPolDword $pol $script:KeyCD $n.Allow $allow
    Set-CredHopPolDword $pol $script:KeyCD $n.Concat $concat
    if ($rmList) {
        $view = Get-CredHopLocalList $pol $list
        if (@($view.entries).Count -eq 0) {
            for ($i = $pol.Records.Count - 1; $i -ge 0; $i--) { if ($pol.Records[$i].Key -ieq $sub) { $pol.Records.RemoveAt($i) } }
        }
    }
    if ($rmKey) {
        $any = $false
        foreach ($r in $pol.Records) {
            if ($r.Key.StartsWith($script:KeyCD + '\', [StringComparison]::OrdinalIgnoreCase)) { $any = $true }
            if ($r.Key -ieq $script:KeyCD -and $r.Name -ne '') { $any = $true }
        }
        if (-not $any) { for ($i = $pol.Records.Count - 1; $i -ge 0; $i--) { if ($pol.Records[$i].Key -ieq $script:KeyCD) { $pol.Records.RemoveAt($i) } } }
    }
    $after = New-Object System.Collections.Generic.List[string]
    foreach ($r in $pol.Records) { $after.Add([Convert]::ToBase64String($r.Raw)) }
    if (($before.ToArray() -join '|') -ne ($after.ToArray() -join '|')) { Save-CredHopPol $pol }
    # 2. effective registry
    if ($null -eq $allow) { [void](Remove-CredHopRegValue $script:HklmCD $n.Allow) } else { Set-CredHopRegDword $script:HklmCD $n.Allow $allow }
    if ($null -eq $concat) { [void](Remove-CredHopRegValue $script:HklmCD $n.Concat) } else { Set-CredHopRegDword $script:HklmCD $n.Concat $concat }
    if ($rmList -and (Test-CredHopRegKeyEmpty $hklmSub)) { Remove-Item -LiteralPath $hklmSub -ErrorAction Stop }
    if ($rmKey -and (Test-CredHopRegKeyEmpty $script:HklmCD)) { Remove-Item -LiteralPath $script:HklmCD -ErrorAction Stop }
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $d['effective'] = Get-CredHopEffectiveList $list
    $d['local'] = Get-CredHopLocalList (Read-CredHopPol (Get-CredHopPolPath)) $list
    $script:Result = $d
}

function Invoke-CredHopSetWinRMFlag {
    param($P)
    Assert-CredHopFields $P @('role', 'enabled') 'payload'
    $role = Get-CredHopEnum $P 'role' 'payload' @('client', 'service')
    $enabled = Get-CredHopBool $P 'enabled' 'payload'
    $r = 'Client'; if ($role -eq 'service') { $r = 'Service' }
    $path = "WSMan:\localhost\$r\Auth\CredSSP"
    $before = Get-CredHopWinRMFlag $r
    $value = 'false'; if ($enabled) { $value = 'true' }
    Set-Item -Path $path -Value $value -Force -ErrorAction Stop | Out-Null
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $d['before'] = $before
    $d['after'] = Get-CredHopWinRMFlag $r
    $script:Result = $d
}

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
        [pscustomobject]@{ computerName = ([string](hostname)).Trim(); userName = ([string](whoami)).Trim(); serviceCredSSP = $flag; servicePolicyAllowCredSSP = $pol }
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
        $c = New-Object System.Management.Automation.PSCredential -ArgumentList $a.targetUserName, $a.targetPassword
        Invoke-Command -ComputerName $a.target -Credential $c -ScriptBlock ([scriptblock]::Create($a.command))
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
        'Whoami' { Assert-CredHopFields $a @() 'payload.arguments' }
        'SetServiceFlag' {
            Assert-CredHopFields $a @('enabled') 'payload.arguments'
            $args1['enabled'] = Get-CredHopBool $a 'enabled' 'payload.arguments'
        }
        { $_ -eq 'Probe' -or $_ -eq 'ProbeExplicit' } {
            $allowed = @('target', 'command')
            if ($scriptName -eq 'ProbeExplicit') { $allowed += 'targetCredential' }
            Assert-CredHopFields $a $allowed 'payload.arguments'
            $args1['target'] = Get-CredHopHostName $a 'target' 'payload.arguments' -AllowAddress
            $command = Get-CredHopString $a 'command' 'payload.arguments' -Optional -MaxLength 4096
            if ($null -eq $command -or $command.Trim() -eq '') { $command = $script:DefaultProbe }
            if ($command.IndexOf([char]0) -ge 0) { throw (New-CredHopPayloadError 'payload.arguments.command: must not contain NUL characters') }
            try { [void][scriptblock]::Create($command) } catch { throw (New-CredHopPayloadError 'payload.arguments.command: not valid PowerShell') }
            $args1['command'] = $command
            if ($scriptName -eq 'ProbeExplicit') {
                $tc = Get-CredHopCredential $a 'targetCredential' 'payload.arguments'
                $args1['targetUserName'] = $tc.UserName
                $args1['targetPassword'] = $tc.Password
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

function Invoke-CredHopRefreshPolicy {
    param($P)
    Assert-CredHopFields $P @() 'payload'
    $r = Invoke-CredHopNative 'gpupdate' @('/target:computer', '/force')
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $code = $r.ExitCode
    if ($null -eq $code) { $code = 0 }
    $d['exitCode'] = [int]$code
    $script:Result = $d
}

# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------
function Invoke-CredHop {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][AllowEmptyString()][string]$Primitive,
        [Parameter(Mandatory = $true)][AllowEmptyString()][string]$Payload
    )
    $ErrorActionPreference = 'Stop'
    $WarningPreference = 'SilentlyContinue'
    $ProgressPreference = 'SilentlyContinue'
    $InformationPreference = 'SilentlyContinue'
    $VerbosePreference = 'SilentlyContinue'
    $DebugPreference = 'SilentlyContinue'
    $ConfirmPreference = 'None'
    $script:Result = $null
    $line = $null
    try {
        $known = $false
        foreach ($p in $script:Primitives) { if ($p -ceq $Primitive) { $known = $true } }
        if (-not $known) {
            $shown = 'the requested name'
            if ($Primitive -cmatch '\A[A-Za-z]{1,40}\z') { $shown = $Primitive }
            $e = New-Object System.Collections.Specialized.OrderedDictionary
            $e['kind'] = 'unknown-primitive'
            $e['message'] = "Unknown primitive: $shown. Known: $($script:Primitives -join ', ')."
            $e['fullyQualifiedErrorId'] = 'CredHop.UnknownPrimitive'
            $e['errorCode'] = $null
            $e['exceptionType'] = 'System.ArgumentException'
            $e['category'] = 'InvalidArgument'
            $line = Write-CredHopLine ([ordered]@{ ok = $false; error = $e })
        }
        else {
            $obj = ConvertFrom-CredHopPayload $Payload
            & "Invoke-CredHop$Primitive" $obj 3>$null 4>$null 5>$null 6>$null | Out-Null
            $line = Write-CredHopLine ([ordered]@{ ok = $true; data = $script:Result })
        }
    }
    catch {
        $er = $_
        $info = ConvertTo-CredHopErrorInfo $er
        $kind = 'failed'
        $ex = $er.Exception
        while ($null -ne $ex) {
            if ($ex.Data -and $ex.Data.Contains('CredHopKind')) { $kind = [string]$ex.Data['CredHopKind']; break }
            $ex = $ex.InnerException
        }
        $e = New-Object System.Collections.Specialized.OrderedDictionary
        $e['kind'] = $kind
        $e['message'] = $info['message']
        $e['fullyQualifiedErrorId'] = $info['fullyQualifiedErrorId']
        $e['errorCode'] = $info['errorCode']
        $e['exceptionType'] = $info['exceptionType']
        $e['category'] = $info['category']
        if ($kind -eq 'invalid-payload') { $e['fullyQualifiedErrorId'] = 'CredHop.InvalidPayload'; $e['category'] = 'InvalidArgument' }
        try { $line = Write-CredHopLine ([ordered]@{ ok = $false; error = $e }) }
        catch { $line = 'CREDHOP:{"ok":false,"error":{"kind":"failed","message":"CredHop could not serialize its result.","fullyQualifiedErrorId":"CredHop.SerializationFailed","errorCode":null,"exceptionType":"System.InvalidOperationException","category":"NotSpecified"}}' }
    }
    finally { $script:Result = $null }
    $line
}

Export-ModuleMember -Function Invoke-CredHop
