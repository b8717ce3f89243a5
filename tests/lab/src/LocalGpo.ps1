# CredHop lab: The local Group Policy object (Registry.pol + gpt.ini) and Group Policy refresh (gpupdate).
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).

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
    if ($null -ne $Spec['winrmClientTrustedHosts']) {
        $recs.Add([ordered]@{ key = $script:KeyWinRMPolicyClient; name = 'TrustedHosts'; type = 'DWord'; data = 1 })
        $recs.Add([ordered]@{ key = $script:KeyWinRMPolicyClient; name = 'TrustedHostsList'; type = 'String'; data = [string]$Spec['winrmClientTrustedHosts'] })
    }
    if ($Spec['winrmClientTrustedHostsDisabled']) { $recs.Add([ordered]@{ key = $script:KeyWinRMPolicyClient; name = 'TrustedHosts'; type = 'DWord'; data = 0 }) }
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
    $localRecs = @(Read-LabPol (Get-LabPolPath $StateDir $HostState.name))
    $domainRecs = @(ConvertTo-LabPolicyRecords $HostState.domainPolicy $true)
    Invoke-LabPolicyRecords $HostState $localRecs $applied
    Invoke-LabPolicyRecords $HostState $domainRecs $applied
    $HostState.gpApplied = $applied.ToArray()
    # 4. the Resultant Set of Policy record of this refresh (Rsop.ps1)
    Update-LabRsop $State $HostState $localRecs $domainRecs
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
