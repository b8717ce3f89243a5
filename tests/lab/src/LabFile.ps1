# CredHop lab: Lab file validation and seeding of a state dir.
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).

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
    if ($Domain) { $allowed += 'winrmClientAllowCredSSP', 'winrmServiceAllowCredSSP', 'winrmClientTrustedHosts', 'winrmClientTrustedHostsDisabled', 'gpoName', 'gpoGuid' }
    Assert-LabKeys $Source $Field $P $allowed
    $out = [ordered]@{
        fresh     = ConvertTo-LabListSpec $Source "$Field.fresh" $P['fresh']
        freshNtlm = ConvertTo-LabListSpec $Source "$Field.freshNtlm" $P['freshNtlm']
    }
    if ($Domain) {
        $out.winrmClientAllowCredSSP = Get-LabOpt $Source $Field $P 'winrmClientAllowCredSSP' 'int' $null -Nullable
        $out.winrmServiceAllowCredSSP = Get-LabOpt $Source $Field $P 'winrmServiceAllowCredSSP' 'int' $null -Nullable
        $out.winrmClientTrustedHosts = Get-LabOpt $Source $Field $P 'winrmClientTrustedHosts' 'string' $null -Nullable
        # the Trusted Hosts policy set to Disabled (TrustedHosts = 0): per the ADMX, the local list applies
        $out.winrmClientTrustedHostsDisabled = Get-LabOpt $Source $Field $P 'winrmClientTrustedHostsDisabled' 'bool' $false
        if ($out.winrmClientTrustedHostsDisabled -and $null -ne $out.winrmClientTrustedHosts) { Assert-LabField $Source "$Field.winrmClientTrustedHostsDisabled" 'a Disabled Trusted Hosts policy has no list (leave out winrmClientTrustedHosts)' }
        $out.gpoName = Get-LabOpt $Source $Field $P 'gpoName' 'string' 'CredHop Lab Domain Policy'
        $out.gpoGuid = Get-LabOpt $Source $Field $P 'gpoGuid' 'string' '{C4ED0B5E-1AB0-4C5A-9C71-2F1E0C0D1AB1}'
        if ($out.gpoGuid -notmatch '^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$') { Assert-LabField $Source "$Field.gpoGuid" "expected a GUID in braces, got '$($out.gpoGuid)'" }
    }
    $out
}

function Get-LabAccount {
    <# The account record a name means, seen from -OnHost: 'COMPANY\x', 'company.pri\x', 'x@company.pri', 'x' are
       domain accounts; 'HOST\x' and '.\x' are local accounts of -OnHost only (a local account of another
       host, or any local name without -OnHost, means nothing: $null). #>
    param($State, [string]$Name, $OnHost)
    if (-not $Name) { return $null }
    $user = $Name; $dom = $null
    if ($Name -match '^(?<d>[^\\]+)\\(?<u>.+)$') { $dom = $Matches.d; $user = $Matches.u }
    elseif ($Name -match '^(?<u>[^@]+)@(?<d>.+)$') { $dom = $Matches.d; $user = $Matches.u }
    if ($null -ne $dom -and $dom -ine $State.netbios -and $dom -ine $State.domain) {
        if ($null -eq $OnHost -or -not ($dom -eq '.' -or $dom -ieq $OnHost.name)) { return $null }
        foreach ($a in @($OnHost.localAccounts)) { if ($null -ne $a -and $a.name.Split('\')[1] -ieq $user) { return $a } }
        return $null
    }
    foreach ($a in @($State.accounts)) {
        $au = $a.name.Substring($a.name.IndexOf('\') + 1)
        if ($au -ieq $user) { return $a }
    }
    $null
}

function Resolve-LabAccountName {
    # a name -> canonical account name ('COMPANY\x', or 'HOST\x' for a local account of -OnHost) or $null
    param($State, [string]$Name, $OnHost)
    $a = Get-LabAccount $State $Name $OnHost
    if ($null -eq $a) { return $null }
    $a.name
}

function Test-LabNtlmAccountName {
    # A name outside the domain ('HOST\x', '.\x', another domain's) cannot use Kerberos: WinRM falls back to NTLM.
    param($State, [string]$Name)
    if ($Name -notmatch '^(?<d>[^\\]+)\\') { return $false }
    # (NT AUTHORITY\SYSTEM, a scheduled task, reaches other machines as the computer's own domain account)
    $Matches.d -ine $State.netbios -and $Matches.d -ine $State.domain -and $Matches.d -ine 'NT AUTHORITY'
}

function ConvertTo-LabLocalAccounts {
    # a host's own accounts (the local SAM): { name, password | salt + passwordSha256, admin } -> 'HOST\name' records
    param($Source, [string]$Field, $List, [string]$HostName)
    $out = [System.Collections.Generic.List[object]]::new()
    $i = 0
    foreach ($a in @($List)) {
        if ($null -eq $a) { continue }
        $f = "$Field[$i]"
        if (-not (Test-LabType $a 'object')) { Assert-LabField $Source $f 'expected object {name, password, admin} or {name, salt, passwordSha256, admin}' }
        Assert-LabKeys $Source $f $a @('name', 'password', 'salt', 'passwordSha256', 'admin')
        $n = Get-LabOpt $Source $f $a 'name' 'string' $null -Required
        if ($n -notmatch '^[^\\@]+$') { Assert-LabField $Source "$f.name" "expected the user name alone (it is $($HostName.ToUpperInvariant())\<name> on this host), got '$n'" }
        if (@($out | Where-Object { $_.name.Split('\')[1] -ieq $n }).Count -gt 0) { Assert-LabField $Source "$f.name" "duplicate local account '$n'" }
        $rec = ConvertTo-LabAccountRecord $Source $f $a ("$($HostName.ToUpperInvariant())\$n")
        $rec.admin = [bool](Get-LabOpt $Source $f $a 'admin' 'bool' $false)
        $out.Add($rec)
        $i++
    }
    , $out.ToArray()
}

function ConvertTo-LabAccountRecord {
    # { password } or { salt, passwordSha256 } -> the stored record: the password only as salted SHA-256
    param($Source, [string]$Field, $A, [string]$Name)
    $pw = Get-LabOpt $Source $Field $A 'password' 'string' $null -Nullable
    $hashed = Get-LabOpt $Source $Field $A 'passwordSha256' 'string' $null -Nullable
    if ($null -ne $hashed) {
        # A lab file that must not hold the password itself (the logging tests): SHA-256 of salt + password.
        $salt = Get-LabOpt $Source $Field $A 'salt' 'string' $null -Required
        if ($null -ne $pw) { Assert-LabField $Source "$Field.password" 'give password or passwordSha256, not both' }
        if ($hashed -notmatch '^[0-9A-Fa-f]{64}$') { Assert-LabField $Source "$Field.passwordSha256" 'expected 64 hex digits' }
        return [ordered]@{ name = $Name; salt = $salt; passwordHash = $hashed.ToUpperInvariant() }
    }
    $salt = [guid]::NewGuid().ToString('N')
    [ordered]@{ name = $Name; salt = $salt; passwordHash = $(if ($null -ne $pw) { Get-LabSha256 ($salt + $pw) } else { $null }) }
}

function ConvertTo-LabState {
    param($Lab, [string]$Source)
    if (-not (Test-LabType $Lab 'object')) { Assert-LabField $Source '(root)' 'expected a JSON object' }
    Assert-LabKeys $Source '(root)' $Lab @('description', 'domain', 'netbiosDomain', 'client', 'accounts', 'hosts', 'latencyMs')
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
        fileFaults = @()
        latencyMs = 0
    }
    $lat = Get-LabOpt $Source '(root)' $Lab 'latencyMs' 'int' 0
    if ($lat -lt 0 -or $lat -gt 600000) { Assert-LabField $Source 'latencyMs' "expected 0 to 600000 milliseconds, got $lat" }
    $state.latencyMs = $lat
    $accs = Get-LabOpt $Source '(root)' $Lab 'accounts' 'array' @()
    $accOut = [System.Collections.Generic.List[object]]::new()
    $i = 0
    foreach ($a in @($accs)) {
        $f = "accounts[$i]"
        if (-not (Test-LabType $a 'object')) { Assert-LabField $Source $f 'expected object {name, password} or {name, salt, passwordSha256}' }
        Assert-LabKeys $Source $f $a @('name', 'password', 'salt', 'passwordSha256')
        $n = Get-LabOpt $Source $f $a 'name' 'string' $null -Required
        if ($n -notmatch '^[^\\]+\\[^\\]+$') { Assert-LabField $Source "$f.name" "expected DOMAIN\user, got '$n'" }
        $accOut.Add((ConvertTo-LabAccountRecord $Source $f $a $n))
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
        Assert-LabKeys $Source $f $h @('name', 'fqdn', 'address', 'winrm', 'reachable', 'spn', 'httpSpnConflict', 'admins', 'elevated', 'currentUser', 'credssp', 'encryptionOracle', 'localPolicy', 'domainPolicy', 'faults', 'winrmStartType', 'trustedHosts', 'rsopLogging', 'registryValues', 'latencyMs', 'operationMs', 'powershell', 'localAccounts')
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
        # this host's own accounts resolve as HOST\x or .\x here only; admin: true puts one in local Administrators
        $own = @{ name = $name; localAccounts = (ConvertTo-LabLocalAccounts $Source "$f.localAccounts" (Get-LabOpt $Source $f $h 'localAccounts' 'array' @()) $name) }
        $admins = Get-LabOpt $Source $f $h 'admins' 'array' @("$netbios\Administrator")
        $adminOut = @()
        $j = 0
        foreach ($ad in @($admins)) {
            if (-not ($ad -is [string])) { Assert-LabField $Source "$f.admins[$j]" 'expected string' }
            $acc = Resolve-LabAccountName $state $ad $own
            if ($null -eq $acc) { Assert-LabField $Source "$f.admins[$j]" "unknown account '$ad' (declare it in accounts, or in this host's localAccounts)" }
            $adminOut += $acc; $j++
        }
        foreach ($la in @($own.localAccounts)) { if ($null -ne $la -and $la.admin -and $adminOut -notcontains $la.name) { $adminOut += $la.name } }
        $cu = Get-LabOpt $Source $f $h 'currentUser' 'string' "$netbios\Administrator"
        $cuAcc = Resolve-LabAccountName $state $cu $own
        if ($null -eq $cuAcc) { Assert-LabField $Source "$f.currentUser" "unknown account '$cu' (declare it in accounts, or in this host's localAccounts)" }
        $cred = Get-LabOpt $Source $f $h 'credssp' 'object' ([ordered]@{})
        Assert-LabKeys $Source "$f.credssp" $cred @('client', 'service')
        $oracle = Get-LabOpt $Source $f $h 'encryptionOracle' 'int' $null -Nullable
        if ($null -ne $oracle -and ($oracle -lt 0 -or $oracle -gt 2)) { Assert-LabField $Source "$f.encryptionOracle" "expected 0, 1, 2 or null, got $oracle" }
        $psOut = ConvertTo-LabPowerShellSpec $Source "$f.powershell" (Get-LabOpt $Source $f $h 'powershell' 'object' ([ordered]@{}))
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
            localAccounts     = $own.localAccounts
            elevated          = Get-LabOpt $Source $f $h 'elevated' 'bool' $true
            currentUser       = $cuAcc
            localPolicy       = ConvertTo-LabPolicySpec $Source "$f.localPolicy" $h['localPolicy']
            domainPolicy      = ConvertTo-LabPolicySpec $Source "$f.domainPolicy" $h['domainPolicy'] -Domain
            stopAnsweringAfter = Get-LabOpt $Source "$f.faults" $faults 'stopAnsweringAfter' 'int' $null -Nullable
            winrmStartType    = Get-LabOpt $Source $f $h 'winrmStartType' 'string' 'Automatic'
            rsopLogging       = Get-LabOpt $Source $f $h 'rsopLogging' 'bool' $true
            latencyMs         = Get-LabOpt $Source $f $h 'latencyMs' 'int' $null -Nullable
            operationMs       = Get-LabOpt $Source $f $h 'operationMs' 'int' 0
            powershell        = $psOut
            registry          = [ordered]@{}
            gpApplied         = @()
            rsop              = $null
        }
        foreach ($t in 'latencyMs', 'operationMs') { if ($null -ne $host1[$t] -and ($host1[$t] -lt 0 -or $host1[$t] -gt 600000)) { Assert-LabField $Source "$f.$t" "expected 0 to 600000 milliseconds, got $($host1[$t])" } }
        if ($host1.winrmStartType -notin 'Automatic', 'Manual', 'Disabled') { Assert-LabField $Source "$f.winrmStartType" "expected 'Automatic', 'Manual' or 'Disabled', got '$($host1.winrmStartType)'" }
        if ($host1.winrmStartType -eq 'Disabled' -and $host1.winrm) { Assert-LabField $Source "$f.winrmStartType" 'a Disabled service cannot be running (set winrm: false)' }
        $host1.scriptValues = @(ConvertTo-LabScriptValues $Source "$f.registryValues" (Get-LabOpt $Source $f $h 'registryValues' 'array' @()))
        foreach ($k in 'SOFTWARE\Policies\Microsoft\Windows', $script:KeyWsmanClient, $script:KeyWsmanService, 'SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System') { $null = New-LabRegKey $host1 $k }
        Set-LabRegValue $host1 $script:KeyWsmanClient 'auth_credssp' 'DWord' ([int][bool](Get-LabOpt $Source "$f.credssp" $cred 'client' 'bool' $false))
        Set-LabRegValue $host1 $script:KeyWsmanService 'auth_credssp' 'DWord' ([int][bool](Get-LabOpt $Source "$f.credssp" $cred 'service' 'bool' $false))
        # TrustedHosts lives where WinRM keeps it (the string trusted_hosts), so it can be read while WinRM is stopped
        Set-LabTrustedHostsRaw $host1 (Get-LabOpt $Source $f $h 'trustedHosts' 'string' '')
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

function ConvertTo-LabPowerShellSpec {
    # A host's PowerShells (Editions.ps1): its remoting endpoint and its scheduled tasks (Windows PowerShell
    # 5.1 on every Windows), and the newest PowerShell CredHop finds on it (7.6, 7.4 or only 5.1).
    param($Source, [string]$Field, $P)
    Assert-LabKeys $Source $Field $P @('endpoint', 'tasks', 'installed')
    $out = [ordered]@{}
    foreach ($k in 'endpoint', 'tasks', 'installed') {
        $v = Get-LabOpt $Source $Field $P $k 'string' $(if ($k -eq 'installed') { '7.6' } else { '5.1' })
        if ($script:LabEditions -notcontains $v) { Assert-LabField $Source "$Field.$k" "expected '5.1', '7.4' or '7.6', got '$v'" }
        $out[$k] = $v
    }
    $out
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
        # values a script wrote straight into the registry: no GPO behind them, no RSoP record
        foreach ($v in @($h.scriptValues)) { if ($null -ne $v) { Set-LabRegValue $h $v.key $v.name $v.type $v.data } }
        $h.Remove('scriptValues')
    }
}

function ConvertTo-LabScriptValues {
    param($Source, [string]$Field, $List)
    $i = 0
    foreach ($v in @($List)) {
        if ($null -eq $v) { continue }
        $f = "$Field[$i]"
        if (-not (Test-LabType $v 'object')) { Assert-LabField $Source $f 'expected object {key, name, type, data}' }
        Assert-LabKeys $Source $f $v @('key', 'name', 'type', 'data')
        $key = Get-LabOpt $Source $f $v 'key' 'string' $null -Required
        $key = $key -replace '^(?i:HKLM:\\|HKEY_LOCAL_MACHINE\\)', ''
        $type = Get-LabOpt $Source $f $v 'type' 'string' 'String'
        if ($type -notin 'String', 'DWord') { Assert-LabField $Source "$f.type" "expected 'String' or 'DWord', got '$type'" }
        if (-not $v.Contains('data')) { Assert-LabField $Source "$f.data" 'missing (required)' }
        $data = if ($type -eq 'DWord') { [int]$v['data'] } else { [string]$v['data'] }
        [ordered]@{ key = (Format-LabKey $key); name = (Get-LabOpt $Source $f $v 'name' 'string' $null -Required); type = $type; data = $data }
        $i++
    }
}
