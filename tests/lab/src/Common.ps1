# CredHop lab: Small helpers with no Windows counterpart.
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).

function Join-LabPath {
    param([Parameter(ValueFromRemainingArguments)][string[]]$Parts)
    [System.IO.Path]::Combine([string[]]$Parts)
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
