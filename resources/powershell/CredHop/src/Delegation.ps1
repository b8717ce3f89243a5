# Primitives that change the delegation lists and their DWORDs, in the local GPO and the registry alike.
# Part of the CredHop module (loaded by CredHop.psm1); see README.md.

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
    # store: 'both' (default), 'local' (the local GPO only) or 'effective' (the registry only): a restore
    # puts each store back to its own snapshot when they differed (e.g. a script wrote the registry).
    Assert-CredHopFields $P @('list', 'allow', 'concatenate', 'removeEmptyListKey', 'removeEmptyKey', 'store') 'payload'
    $list = Get-CredHopListName $P 'payload'
    $store = 'both'
    if ((Test-CredHopHas $P 'store') -and $null -ne $P.store) { $store = Get-CredHopEnum $P 'store' 'payload' @('both', 'local', 'effective') }
    $allow = Get-CredHopDword $P 'allow' 'payload'
    $concat = Get-CredHopDword $P 'concatenate' 'payload'
    $rmList = Get-CredHopBool $P 'removeEmptyListKey' 'payload' -Optional
    $rmKey = Get-CredHopBool $P 'removeEmptyKey' 'payload' -Optional
    $n = $script:Lists[$list]
    $sub = $script:KeyCD + '\' + $n.Sub
    $hklmSub = $script:HklmCD + '\' + $n.Sub
    # 1. local GPO
    if ($store -ne 'effective') {
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
    }
    # 2. effective registry
    if ($store -ne 'local') {
    if ($null -eq $allow) { [void](Remove-CredHopRegValue $script:HklmCD $n.Allow) } else { Set-CredHopRegDword $script:HklmCD $n.Allow $allow }
    if ($null -eq $concat) { [void](Remove-CredHopRegValue $script:HklmCD $n.Concat) } else { Set-CredHopRegDword $script:HklmCD $n.Concat $concat }
    if ($rmList -and (Test-CredHopRegKeyEmpty $hklmSub)) { Remove-Item -LiteralPath $hklmSub -ErrorAction Stop }
    if ($rmKey -and (Test-CredHopRegKeyEmpty $script:HklmCD)) { Remove-Item -LiteralPath $script:HklmCD -ErrorAction Stop }
    }
    $d = New-Object System.Collections.Specialized.OrderedDictionary
    $d['effective'] = Get-CredHopEffectiveList $list
    $d['local'] = Get-CredHopLocalList (Read-CredHopPol (Get-CredHopPolPath)) $list
    $script:Result = $d
}
