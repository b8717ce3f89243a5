# Host probes: native programs and the WinRM flags.
# Part of the CredHop module (loaded by CredHop.psm1); see README.md.

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
