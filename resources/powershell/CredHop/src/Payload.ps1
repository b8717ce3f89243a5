# Payload decoding and validation: one base64 JSON object in, typed values out, clear errors for anything else.
# Part of the CredHop module (loaded by CredHop.psm1); see README.md.

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
    # Each edition's ConvertFrom-Json turns some strings into [datetime] by itself: 6.0-7.4 every ISO-8601
    # string of 19-40 characters with a 'T' (Json.NET's default, no way to stop it; -DateKind came in 7.5),
    # 5.1 every "\/Date(ms)\/" (JavaScriptSerializer). A string that starts with U+0001 is neither, so every
    # string value gets that mark before the parse and loses it after: no edition touches any string, user
    # text included, and one code path serves all. (Detecting -DateKind would leave 6.0-7.4 converting, and
    # turning a date back into text cannot give back what was written.) Every string is matched from its
    # opening quote; a name (a string followed by ':') is left alone.
    $marked = [regex]::Replace($json, '"(?>[^"\\]*(?:\\.[^"\\]*)*)"(\s*:)?', { param($m) if ($m.Groups[1].Success) { $m.Value } else { '"\u0001' + $m.Value.Substring(1) } })
    try { $obj = ConvertFrom-Json -InputObject $marked -ErrorAction Stop }
    catch { throw (New-CredHopPayloadError 'payload: not valid JSON') }
    if ($null -eq $obj -or $obj -isnot [System.Management.Automation.PSCustomObject]) { throw (New-CredHopPayloadError 'payload: expected a JSON object') }
    Remove-CredHopStringMark $obj
}

function Remove-CredHopStringMark {
    # Takes the mark (see ConvertFrom-CredHopPayload) off every string value of a decoded payload.
    param($Value)
    if ($Value -is [string]) { if ($Value.Length -gt 0 -and $Value[0] -eq [char]1) { return $Value.Substring(1) }; return $Value }
    if ($Value -is [System.Management.Automation.PSCustomObject]) {
        foreach ($p in $Value.PSObject.Properties) { $p.Value = Remove-CredHopStringMark $p.Value }
        return $Value
    }
    if ($Value -is [System.Array]) {
        for ($i = 0; $i -lt $Value.Length; $i++) { $Value[$i] = Remove-CredHopStringMark $Value[$i] }
        # (the unary comma: an array comes back as one array, also an empty or one-element one)
        return , $Value
    }
    $Value
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
    # four numbers 0-255, ASCII digits, no leading zeros (as isIPv4 in profile-rules.ts)
    param([string]$Text)
    if ($Text -notmatch '\A([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\z') { return $false }
    for ($i = 1; $i -le 4; $i++) {
        $part = [string]$Matches[$i]
        if ([int]$part -gt 255 -or ($part.Length -gt 1 -and $part.StartsWith('0'))) { return $false }
    }
    $true
}

function Test-CredHopHostName {
    # The same rules as checkHostName() in src/shared/domain/profile-rules.ts (a test proves they
    # agree): a DNS name, a NetBIOS name (letters, digits, '-', '_'; at most 15), or, with
    # -AllowAddress, an IPv4 address (the jump server; never the target).
    param([string]$Text, [switch]$AllowAddress)
    if ($null -eq $Text -or $Text.Length -lt 1 -or $Text.Length -gt 253) { return $false }
    if (Test-CredHopIPv4 $Text) { return [bool]$AllowAddress }
    $label = '\A[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\z'
    if ($Text.Contains('.')) {
        $labels = $Text.Split('.')
        foreach ($l in $labels) { if ($l -cnotmatch $label) { return $false } }
        return ($labels[-1] -notmatch '\A[0-9]+\z')
    }
    if ($Text -cmatch $label) { return ($Text -notmatch '\A[0-9]+\z') }
    ($Text.Length -le 15 -and $Text -cmatch '\A[A-Za-z0-9_-]+\z')
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
    if (Test-CredHopHostName $v -AllowAddress:$AllowAddress) { return $v }
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

# Account names as real directories have them: Unicode letters and apostrophes (O'Brien, jürgen.müller)
# are fine; what Windows forbids in a user name is refused. The same rules as checkAccount() in
# src/shared/domain/profile-rules.ts, written out here character for character (a test proves the two
# agree on a few hundred names).
$script:AccountUserForbidden = '"/\[]:;|=,+*?<>@'
$script:EdgeSpace = '[\t\n\u000B\f\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF]'

function Test-CredHopAccountHost {
    # the domain part: a DNS name, or a single label (DNS label or NetBIOS name), never an address
    param([string]$Text)
    if ($Text.Length -lt 1 -or $Text.Length -gt 253) { return $false }
    if ($Text -match '\A\d{1,3}(\.\d{1,3}){3}\z') { return $false }
    if ($Text.Contains('.')) {
        foreach ($label in $Text.Split('.')) { if ($label -cnotmatch '\A[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\z') { return $false } }
        $last = $Text.Split('.')[-1]
        return ($last -notmatch '\A\d+\z')
    }
    if ($Text -match '\A\d+\z') { return $false }
    if ($Text -cmatch '\A[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\z') { return $true }
    ($Text.Length -le 15 -and $Text -cmatch '\A[A-Za-z0-9_-]+\z')
}

function Test-CredHopAccountUser {
    param([string]$Text)
    if ($Text.Length -lt 1 -or $Text.Length -gt 64) { return $false }
    foreach ($ch in $Text.ToCharArray()) { if ($script:AccountUserForbidden.IndexOf($ch) -ge 0) { return $false } }
    if ($Text -match '\A[. ]+\z') { return $false }
    if ($Text -match ('\A' + $script:EdgeSpace) -or $Text -match ($script:EdgeSpace + '\z')) { return $false }
    $true
}

function Test-CredHopAccountName {
    # DOMAIN\user or user@dns.domain; a bare user and .\user are refused (a second hop needs a resolvable name)
    param([string]$Text)
    if ([string]::IsNullOrEmpty($Text)) { return $false }
    if ($Text -match '[\u0000-\u001F\u007F]') { return $false }
    $bs = $Text.Split([char]'\').Count - 1
    $at = $Text.Split([char]'@').Count - 1
    if (($bs -gt 0 -and $at -gt 0) -or $bs -gt 1 -or $at -gt 1) { return $false }
    if ($bs -eq 1) {
        $i = $Text.IndexOf([char]'\')
        $domain = $Text.Substring(0, $i); $user = $Text.Substring($i + 1)
        if ($domain -eq '' -or $domain -eq '.') { return $false }
        return ((Test-CredHopAccountHost $domain) -and (Test-CredHopAccountUser $user))
    }
    if ($at -eq 1) {
        $i = $Text.IndexOf([char]'@')
        $user = $Text.Substring(0, $i); $domain = $Text.Substring($i + 1)
        if (-not (Test-CredHopAccountUser $user) -or $user.Contains(' ')) { return $false }
        return ($domain.Contains('.') -and (Test-CredHopAccountHost $domain))
    }
    $false
}

function Get-CredHopCredential {
    # {userName, secret: <index on this call's secret channel>} -> PSCredential. A password inside the
    # payload is refused outright: the payload is command text, and command text is logged.
    param($Object, [string]$Name, [string]$Path, [switch]$Optional)
    if (-not (Test-CredHopHas $Object $Name) -or $null -eq $Object.$Name) {
        if ($Optional) { return $null }
        throw (New-CredHopPayloadError "${Path}.${Name}: missing (required)")
    }
    $c = $Object.$Name
    if ($c -isnot [System.Management.Automation.PSCustomObject]) { throw (New-CredHopPayloadError "${Path}.${Name}: expected an object {userName, secret}") }
    if (Test-CredHopHas $c 'password') { throw (New-CredHopPayloadError "${Path}.${Name}.password: a password never travels in the payload (it is logged); CredHop sends it on the secret channel") }
    Assert-CredHopFields $c @('userName', 'secret') "$Path.$Name"
    $u = Get-CredHopString $c 'userName' "$Path.$Name" -MaxLength 320
    if (-not (Test-CredHopAccountName $u)) { throw (New-CredHopPayloadError ("$Path.$Name.userName: expected DOMAIN\user or user@domain.tld, without " + '" / [ ] : ; | = , + * ? < >')) }
    if (-not (Test-CredHopHas $c 'secret')) { throw (New-CredHopPayloadError "$Path.$Name.secret: missing (required)") }
    $i = $c.secret
    if (-not ($i -is [int] -or $i -is [long]) -or $i -lt 0 -or $i -gt 7) { throw (New-CredHopPayloadError "$Path.$Name.secret: expected the index of a secret on this call's channel (0 to 7)") }
    $sec = Get-CredHopSecret ([int]$i) "$Path.$Name"
    $sec.MakeReadOnly()
    New-Object System.Management.Automation.PSCredential -ArgumentList $u, $sec
}

function Get-CredHopListName {
    param($Object, [string]$Path)
    Get-CredHopEnum $Object 'list' $Path @('fresh', 'freshNtlm')
}
