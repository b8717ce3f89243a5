# CredHop lab: The effective registry (HKLM) of each host, kept in the host state.
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).

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
