# Shared helpers for the Pester tests (dot-sourced in BeforeAll).
$script:RepoRoot = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..'))
$script:LabManifest = [System.IO.Path]::Combine($script:RepoRoot, 'tests', 'lab', 'CredHopLab.psd1')
$script:DefaultLab = [System.IO.Path]::Combine($script:RepoRoot, 'tests', 'lab', 'default-lab.json')
$script:ProductManifest = [System.IO.Path]::Combine($script:RepoRoot, 'resources', 'powershell', 'CredHop', 'CredHop.psd1')
$script:Pwsh = [System.IO.Path]::Combine($script:RepoRoot, '.tools', 'pwsh', 'pwsh')
if (-not [System.IO.File]::Exists($script:Pwsh)) { $script:Pwsh = [System.IO.Path]::Combine($PSHOME, 'pwsh') }
$script:CD = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation'
$script:CDKey = 'SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation'

Import-Module $script:LabManifest -Global -Force

function ConvertTo-B64 {
    param($Object)
    [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes((ConvertTo-Json -InputObject $Object -Compress -Depth 30)))
}

function Read-CredHopLine {
    param($Lines)
    $all = @($Lines)
    if ($all.Count -ne 1) { throw "expected exactly one output line, got $($all.Count): $($all -join ' | ')" }
    $l = [string]$all[0]
    if (-not $l.StartsWith('CREDHOP:')) { throw "line does not start with CREDHOP: $l" }
    if ($l.Contains("`n")) { throw 'line contains a newline' }
    ConvertFrom-Json -InputObject $l.Substring(8) -Depth 50
}

function Invoke-Lab {
    param([string]$Command, $Payload = @{})
    $r = Read-CredHopLine (& $Command -Payload (ConvertTo-B64 $Payload))
    if (-not $r.ok) { throw "$Command failed: $($r.error.message)" }
    $r.data
}

function New-TestLab {
    # a fresh state dir seeded from the default lab, or from a lab object; this runspace becomes the client
    param($Lab, [string]$LabFile)
    $dir = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), 'credhop-lab-' + [guid]::NewGuid().ToString('N'))
    $p = @{ stateDir = $dir; reset = $true }
    if ($null -ne $Lab) { $p.lab = $Lab } elseif ($LabFile) { $p.labFile = $LabFile }
    $null = Invoke-Lab Initialize-CredHopLab $p
    $dir
}

function Get-DefaultLab {
    ConvertFrom-Json -InputObject ([System.IO.File]::ReadAllText($script:DefaultLab)) -AsHashtable
}

function Get-LabView { Invoke-Lab Get-CredHopLabState @{} }

function Get-LabHostView { param([string]$Name) (Get-LabView).hosts.$Name }

function Get-RegValues {
    # effective registry values of a key on a host, as name -> data (from the lab state)
    param([string]$HostName, [string]$Key)
    $h = Get-LabHostView $HostName
    $out = [ordered]@{}
    foreach ($p in $h.registry.PSObject.Properties) {
        if ($p.Name -ieq $Key) { foreach ($v in $p.Value.PSObject.Properties) { $out[$v.Name] = $v.Value.data } }
    }
    $out
}

function Test-RegKey {
    param([string]$HostName, [string]$Key)
    $h = Get-LabHostView $HostName
    @($h.registry.PSObject.Properties | Where-Object { $_.Name -ieq $Key }).Count -gt 0
}

function Get-PolRecords { param([string]$HostName) @((Get-LabHostView $HostName).registryPol) }

function New-Cred {
    param([string]$User = 'COMPANY\Administrator', [string]$Password = 'P@ssw0rd!')
    [pscredential]::new($User, (ConvertTo-SecureString $Password -AsPlainText -Force))
}

function Invoke-Prim {
    param([string]$Primitive, $Payload = @{})
    Read-CredHopLine (Invoke-CredHop -Primitive $Primitive -Payload (ConvertTo-B64 $Payload))
}
