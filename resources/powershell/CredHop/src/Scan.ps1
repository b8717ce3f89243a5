# The estate scan: one read-only Invoke-Command over many machines, each machine's answer streamed back
# as it arrives (a 'CREDHOP-ITEM:' line per machine), then the one 'CREDHOP:' answer line as usual.
# Part of the CredHop module (loaded by CredHop.psm1); see README.md.

$script:ScanMaxComputers = 2000
$script:ScanMaxResolve = 500

# Runs on each scanned machine: self-contained (nothing of CredHop is there), reads only, and answers
# with ONE object whose 'json' property holds everything as JSON text (remoting's serialization depth
# would otherwise flatten the lists). The scanning side treats that text as untrusted data.
$script:ScanBlock = {
    $o = [ordered]@{}
    $o['computerName'] = ''
    try { $o['computerName'] = ([string](hostname)).Trim() } catch { $o['computerName'] = '' }
    foreach ($role in 'Service', 'Client') {
        $v = $null
        try { $v = ([string](Get-Item -Path ('WSMan:\localhost\' + $role + '\Auth\CredSSP') -ErrorAction Stop).Value -eq 'true') } catch { $v = $null }
        $o[$role.ToLowerInvariant() + 'CredSSP'] = $v
    }
    $readKey = {
        param($k)
        $r = [ordered]@{}
        try {
            if (Test-Path -LiteralPath $k) {
                $item = Get-Item -LiteralPath $k -ErrorAction Stop
                foreach ($n in @($item.GetValueNames())) { if ($n) { $r[[string]$n] = $item.GetValue($n) } }
                return $r
            }
        }
        catch { return 'unreadable' }
        $null
    }
    $o['winrmServicePolicy'] = & $readKey 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WinRM\Service'
    $o['winrmClientPolicy'] = & $readKey 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WinRM\Client'
    $cd = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation'
    $o['delegation'] = & $readKey $cd
    $o['fresh'] = & $readKey ($cd + '\AllowFreshCredentials')
    $o['freshNtlm'] = & $readKey ($cd + '\AllowFreshCredentialsWhenNTLMOnly')
    $o['oracle'] = & $readKey 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters'
    # The local GPO (Registry.pol, PReg format): its CredentialsDelegation records, decoded as far as needed.
    $o['localPolicy'] = $null
    try {
        $pol = [System.IO.Path]::Combine($env:SystemRoot, 'System32', 'GroupPolicy', 'Machine', 'Registry.pol')
        if ([System.IO.File]::Exists($pol)) {
            $b = [System.IO.File]::ReadAllBytes($pol)
            $recs = New-Object System.Collections.Generic.List[object]
            $i = 8
            while ($i + 1 -lt $b.Length) {
                $parts = New-Object System.Collections.Generic.List[object]
                $i += 2
                foreach ($x in 1, 2) {
                    $s = $i
                    while ($i + 1 -lt $b.Length -and -not ($b[$i] -eq 0 -and $b[$i + 1] -eq 0)) { $i += 2 }
                    $parts.Add([System.Text.Encoding]::Unicode.GetString($b, $s, $i - $s)); $i += 4
                }
                $type = [BitConverter]::ToUInt32($b, $i); $i += 6
                $size = [int][BitConverter]::ToUInt32($b, $i); $i += 6
                $data = $null
                if ($type -eq 4 -and $size -ge 4) { $data = [long][BitConverter]::ToUInt32($b, $i) }
                elseif (($type -eq 1 -or $type -eq 2) -and $size -ge 2) { $data = [System.Text.Encoding]::Unicode.GetString($b, $i, $size).TrimEnd([char]0) }
                $i += $size + 2
                if (([string]$parts[0]) -like 'Software\Policies\Microsoft\Windows\CredentialsDelegation*') {
                    $recs.Add([ordered]@{ key = [string]$parts[0]; name = [string]$parts[1]; type = [int]$type; data = $data })
                }
            }
            $o['localPolicy'] = [object[]]$recs.ToArray()
        }
        else { $o['localPolicy'] = @() }
    }
    catch { $o['localPolicy'] = 'unreadable' }
    # CredHop's own safety net: scheduled tasks named 'CredHop restore <session>', where Task Scheduler is there.
    $o['tasks'] = $null
    # (Looking the command up by name would search every module on the machine when it is missing.)
    if ((Test-Path -LiteralPath 'function:Get-ScheduledTask') -or $null -ne (Get-Module -ListAvailable -Name 'ScheduledTasks')) {
        try { $o['tasks'] = [object[]]@(Get-ScheduledTask -TaskName 'CredHop restore *' -ErrorAction Stop | ForEach-Object { [string]$_.TaskName }) }
        catch { $o['tasks'] = @() }
    }
    [pscustomobject]@{ json = (ConvertTo-Json -InputObject $o -Compress -Depth 6) }
}

function Get-CredHopScanInt {
    param($Object, [string]$Name, [int]$Min, [int]$Max, [int]$Default)
    if (-not (Test-CredHopHas $Object $Name) -or $null -eq $Object.$Name) { return $Default }
    $v = $Object.$Name
    $isInt = ($v -is [int] -or $v -is [long])
    if (-not $isInt -and ($v -is [double] -or $v -is [decimal])) { $isInt = ([math]::Floor([double]$v) -eq [double]$v) }
    if (-not $isInt -or [double]$v -lt $Min -or [double]$v -gt $Max) { throw (New-CredHopPayloadError "payload.${Name}: expected an integer from $Min to $Max") }
    [int]$v
}

function Test-CredHopNameResolves {
    # $true / $false (the name does not exist) / $null (could not tell)
    param([string]$Name, [hashtable]$Cache)
    $k = $Name.ToLowerInvariant()
    if ($Cache.ContainsKey($k)) { return $Cache[$k] }
    if ($Cache.Count -ge $script:ScanMaxResolve) { return $null }
    $r = $null
    if ($null -ne (Get-Command -Name 'Resolve-DnsName' -ErrorAction SilentlyContinue)) {
        try { $null = Resolve-DnsName -Name $Name -ErrorAction Stop; $r = $true }
        catch {
            $code = $null
            $ex = $_.Exception
            if ($null -ne $ex.PSObject.Properties['NativeErrorCode']) { $code = $ex.NativeErrorCode }
            if ($code -eq 9003 -or [string]$_.FullyQualifiedErrorId -like 'DNS_ERROR_RCODE_NAME_ERROR*') { $r = $false }
        }
    }
    else {
        try { $null = [System.Net.Dns]::GetHostAddresses($Name); $r = $true }
        catch [System.Net.Sockets.SocketException] { if ($_.Exception.SocketErrorCode -eq 'HostNotFound') { $r = $false } }
        catch { $r = $null }
    }
    $Cache[$k] = $r
    $r
}

function Get-CredHopScanResolution {
    # name -> resolves? for every host named by a delegation entry (wildcards are not names)
    param([string]$Json, [hashtable]$Cache)
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $names = New-Object System.Collections.Generic.List[string]
    try { $o = ConvertFrom-Json -InputObject $Json -ErrorAction Stop } catch { return $d }
    foreach ($ln in 'fresh', 'freshNtlm') {
        $l = $o.$ln
        if ($null -ne $l -and $l -isnot [string]) { foreach ($p in $l.PSObject.Properties) { $names.Add([string]$p.Value) } }
    }
    if ($o.localPolicy -is [System.Array]) { foreach ($r in $o.localPolicy) { if ($r.data -is [string]) { $names.Add([string]$r.data) } } }
    foreach ($spn in $names) {
        if ($spn -notmatch '\A[^/]+/([^/:]+)') { continue }
        $h = $Matches[1]
        if ($h.Contains('*') -or $d.Contains($h)) { continue }
        if (-not ((Test-CredHopDnsName $h) -or (Test-CredHopIPv4 $h))) { continue }
        if (Test-CredHopIPv4 $h) { continue }
        $d[$h] = Test-CredHopNameResolves $h $Cache
    }
    $d
}

function Write-CredHopScanItem {
    # One machine's answer, on its own line, as soon as it arrives.
    param($Item)
    [Console]::Out.WriteLine('CREDHOP-ITEM:' + (ConvertTo-Json -InputObject $Item -Compress -Depth 8))
}

function Invoke-CredHopScan {
    param($P)
    Assert-CredHopFields $P @('computers', 'throttle', 'openTimeoutMs', 'operationTimeoutMs', 'resolveNames') 'payload'
    if (-not (Test-CredHopHas $P 'computers') -or $P.computers -isnot [System.Array]) { throw (New-CredHopPayloadError 'payload.computers: expected a list of computer names') }
    $list = @($P.computers)
    if ($list.Count -lt 1 -or $list.Count -gt $script:ScanMaxComputers) { throw (New-CredHopPayloadError "payload.computers: expected 1 to $($script:ScanMaxComputers) names") }
    $names = New-Object System.Collections.Generic.List[string]
    $seen = @{}
    for ($i = 0; $i -lt $list.Count; $i++) {
        $n = $list[$i]
        if ($n -isnot [string] -or $n.Length -gt 253 -or -not ((Test-CredHopDnsName $n) -or (Test-CredHopIPv4 $n))) {
            throw (New-CredHopPayloadError "payload.computers[$i]: not a DNS or NetBIOS host name or an IPv4 address")
        }
        if ($seen.ContainsKey($n.ToLowerInvariant())) { continue }
        $seen[$n.ToLowerInvariant()] = $true
        $names.Add($n)
    }
    $throttle = Get-CredHopScanInt $P 'throttle' 1 256 32
    $open = Get-CredHopScanInt $P 'openTimeoutMs' 1000 600000 30000
    $operation = Get-CredHopScanInt $P 'operationTimeoutMs' 1000 3600000 120000
    $resolve = Get-CredHopBool $P 'resolveNames' 'payload' -Optional -Default $true
    $so = New-PSSessionOption -OpenTimeout $open -OperationTimeout $operation
    $cache = @{}
    $counts = @{ answered = 0; failed = 0 }
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    # -ErrorAction Continue: a machine that does not answer is a finding, not the end of the scan.
    Invoke-Command -ComputerName $names.ToArray() -ThrottleLimit $throttle -SessionOption $so -ScriptBlock $script:ScanBlock -ErrorAction Continue 2>&1 | ForEach-Object {
        $r = $_
        $item = New-Object System.Collections.Specialized.OrderedDictionary
        $item['elapsedMs'] = [long]$clock.ElapsedMilliseconds
        if ($r -is [System.Management.Automation.ErrorRecord]) {
            $computer = $null
            if ($null -ne $r.PSObject.Properties['OriginInfo'] -and $null -ne $r.OriginInfo) { $computer = [string]$r.OriginInfo.PSComputerName }
            if (-not $computer -and $r.TargetObject -is [string]) { $computer = [string]$r.TargetObject }
            $item['computer'] = $computer
            $item['ok'] = $false
            $item['error'] = ConvertTo-CredHopErrorInfo $r -Remote
            $counts.failed++
        }
        else {
            $item['computer'] = [string]$r.PSComputerName
            $item['ok'] = $true
            $json = [string]$r.json
            $item['data'] = $json
            $res = New-Object System.Collections.Specialized.OrderedDictionary
            if ($resolve) { $res = Get-CredHopScanResolution $json $cache }
            $item['resolves'] = $res
            $counts.answered++
        }
        Write-CredHopScanItem $item
    }
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $d['total'] = $names.Count
    $d['answered'] = $counts.answered
    $d['failed'] = $counts.failed
    $d['throttle'] = $throttle
    $d['elapsedMs'] = [long]$clock.ElapsedMilliseconds
    $script:Result = $d
}
