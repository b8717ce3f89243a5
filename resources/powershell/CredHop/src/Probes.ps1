# Host probes: native programs and the WinRM flags.
# Part of the CredHop module (loaded by CredHop.psm1); see README.md.

function Invoke-CredHopNative {
    # run an OS program; never let its stderr become a terminating error or reach our stdout
    # Its input comes from $null (an empty pipe, closed at once): CredHop's PowerShell reads its commands
    # from a redirected stdin, and a child that inherited that pipe could read (eat) the next command.
    param([string]$Name, [string[]]$Arguments)
    $old = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        $out = $null | & $Name @Arguments 2>$null
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

function Get-CredHopPolicyEditorOpen {
    # $true when an mmc.exe runs gpedit.msc, $false when none does, $null when it cannot be seen (no
    # process list, or an mmc.exe whose command line cannot be read). Never an error.
    try {
        $mmc = @(Get-Process -Name 'mmc' -ErrorAction SilentlyContinue)
        if ($mmc.Count -eq 0) { return $false }
        $procs = @(Get-CimInstance -ClassName 'Win32_Process' -Filter "Name='mmc.exe'" -ErrorAction Stop)
        $unknown = $false
        foreach ($p in $procs) {
            $line = [string]$p.CommandLine
            if ([string]::IsNullOrEmpty($line)) { $unknown = $true; continue }
            if ($line.IndexOf('gpedit.msc', [StringComparison]::OrdinalIgnoreCase) -ge 0) { return $true }
        }
        if ($unknown -or $procs.Count -eq 0) { return $null }
        return $false
    }
    catch { return $null }
}
