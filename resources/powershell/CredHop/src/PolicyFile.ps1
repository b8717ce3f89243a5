# The local Group Policy object: Registry.pol (PReg) reader and writer that keep each record's bytes, and gpt.ini.
# Part of the CredHop module (loaded by CredHop.psm1); see README.md.

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
    # -> @{ Header = byte[]; Records = List of @{ Key; Name; Type; Data(byte[]); Raw(byte[]) }; Original = byte[]|$null }
    # Original is the file as CredHop read it: Save-CredHopPol compares the file with it before replacing.
    param([string]$Path)
    $bytes = Read-CredHopPolicyFileBytes $Path
    $result = ConvertFrom-CredHopPolBytes $bytes $Path
    $result.Original = $bytes
    $result
}

function ConvertFrom-CredHopPolBytes {
    param($Bytes, [string]$Path)
    $records = New-Object System.Collections.Generic.List[object]
    $header = [byte[]](0x50, 0x52, 0x65, 0x67, 1, 0, 0, 0)
    $result = @{ Header = $header; Records = $records; Original = $null }
    if ($null -eq $Bytes) { return $result }
    $b = [byte[]]$Bytes
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

function Save-CredHopPol {
    # Replaces Registry.pol with CredHop's edit, then gpt.ini. Another writer (the Group Policy editor
    # rewrites the whole file when it closes) may have changed the file since CredHop read it: the file
    # is re-read and compared just before each replace, and a changed file gets CredHop's edit redone on
    # its new content (Merge-CredHopPolEdit) instead of being overwritten. Nothing is left half-written:
    # if gpt.ini cannot be replaced, Registry.pol is put back as it was.
    param($Pol)
    $path = Get-CredHopPolPath
    $ours = $Pol
    for ($round = 1; $round -le $script:PolicyFileRounds; $round++) {
        $now = Read-CredHopPolicyFileBytes $path
        if (-not (Test-CredHopSameBytes $now $ours.Original)) {
            $theirs = ConvertFrom-CredHopPolBytes $now $path
            $theirs.Original = $now
            $ours = Merge-CredHopPolEdit (ConvertFrom-CredHopPolBytes $ours.Original $path) $ours $theirs
        }
        $ms = New-Object System.IO.MemoryStream
        $ms.Write($ours.Header, 0, $ours.Header.Length)
        foreach ($r in $ours.Records) { $ms.Write($r.Raw, 0, $r.Raw.Length) }
        $bytes = $ms.ToArray()
        if (Test-CredHopSameBytes $bytes $ours.Original) { return }
        if (-not (Save-CredHopFileChecked $path $ours.Original $bytes)) { continue }
        try { Update-CredHopGptIni }
        catch {
            $first = $_
            try { [void](Save-CredHopFileChecked $path $bytes $ours.Original) }
            catch { throw (New-CredHopPolicyFileError ("CredHop changed the local Group Policy file '" + $path + "' but could not update gpt.ini, nor put Registry.pol back (" + $_.Exception.Message + '). Run a Group Policy refresh (gpupdate /force) once the Group Policy editor is closed.') 'CredHop.PolicyFileHalfWritten' $path $first.Exception) }
            throw $first
        }
        return
    }
    throw (New-CredHopPolicyFileError ("The local Group Policy file '" + $path + "' kept changing while CredHop was changing it: another program is writing it (the Group Policy editor?). CredHop changed nothing. Close the Local Group Policy Editor (gpedit.msc), then try again.") 'CredHop.PolicyFileChanging' $path $null)
}

function Update-CredHopGptIni {
    # as LGPO / PolicyFileEditor do: bump the machine version, make sure the registry CSE is listed;
    # redone on the new content if gpt.ini changed between CredHop's read and its replace
    $path = Get-CredHopGptPath
    for ($round = 1; $round -le $script:PolicyFileRounds; $round++) {
        $old = Read-CredHopPolicyFileBytes $path
        $new = ConvertTo-CredHopGptIniBytes $old
        if (Save-CredHopFileChecked $path $old $new) { return }
    }
    throw (New-CredHopPolicyFileError ("The local Group Policy file '" + $path + "' kept changing while CredHop was changing it: another program is writing it (the Group Policy editor?). Close the Local Group Policy Editor (gpedit.msc), then try again.") 'CredHop.PolicyFileChanging' $path $null)
}

function ConvertTo-CredHopGptIniBytes {
    # gpt.ini's new bytes from its current ones ($null: no file): decoded as File.ReadAllLines does
    param($Bytes)
    $lines = New-Object System.Collections.Generic.List[string]
    if ($null -ne $Bytes) {
        $sr = New-Object System.IO.StreamReader -ArgumentList (New-Object System.IO.MemoryStream -ArgumentList (, [byte[]]$Bytes)), ([System.Text.Encoding]::UTF8), $true
        try {
            while ($true) {
                $l = $sr.ReadLine()
                if ($null -eq $l) { break }
                $lines.Add($l)
            }
        }
        finally { $sr.Dispose() }
    }
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
    , [System.Text.Encoding]::ASCII.GetBytes($text)
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
