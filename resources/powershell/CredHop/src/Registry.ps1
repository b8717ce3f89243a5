# The effective registry (HKLM:\SOFTWARE\Policies) through the ordinary item cmdlets.
# Part of the CredHop module (loaded by CredHop.psm1); see README.md.

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
