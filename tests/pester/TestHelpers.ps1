# Shared helpers for the Pester tests (dot-sourced in BeforeAll).
$script:RepoRoot = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..'))
$script:LabManifest = [System.IO.Path]::Combine($script:RepoRoot, 'tests', 'lab', 'CredHopLab.psd1')
$script:DefaultLab = [System.IO.Path]::Combine($script:RepoRoot, 'tests', 'lab', 'default-lab.json')
$script:ProductManifest = [System.IO.Path]::Combine($script:RepoRoot, 'resources', 'powershell', 'CredHop', 'CredHop.psd1')
$script:Pwsh = [System.IO.Path]::Combine($script:RepoRoot, '.tools', 'pwsh', 'pwsh')
if (-not [System.IO.File]::Exists($script:Pwsh)) { $script:Pwsh = [System.IO.Path]::Combine($PSHOME, 'pwsh') }
$script:CD = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation'
$script:CDKey = 'SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation'

# The spec's subject (tests/spec/Subject.ps1): the lab unless CREDHOP_SPEC_SUBJECT=windows, where the lab
# must not shadow Windows' own commands.
. ([System.IO.Path]::Combine($script:RepoRoot, 'tests', 'spec', 'Subject.ps1'))
if ($SpecSubject -eq 'lab') { Import-Module $script:LabManifest -Global -Force }

function ConvertTo-B64 {
    param($Object)
    # (module-qualified: a test may put an edition's persona on this runspace, Editions.ps1)
    [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes((Microsoft.PowerShell.Utility\ConvertTo-Json -InputObject $Object -Compress -Depth 30)))
}

function Read-CredHopLine {
    param($Lines)
    $all = @($Lines)
    if ($all.Count -ne 1) { throw "expected exactly one output line, got $($all.Count): $($all -join ' | ')" }
    $l = [string]$all[0]
    if (-not $l.StartsWith('CREDHOP:')) { throw "line does not start with CREDHOP: $l" }
    if ($l.Contains("`n")) { throw 'line contains a newline' }
    Microsoft.PowerShell.Utility\ConvertFrom-Json -InputObject $l.Substring(8) -Depth 50
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
    # CREDHOP_TEST_CLIENT_EDITION=5.1|7.4: the default lab's client runs as that edition (Editions.ps1), so a
    # test file of the module can be run under it: see README, "Tests".
    if ($env:CREDHOP_TEST_CLIENT_EDITION -and -not $p.Contains('labFile')) {
        if (-not $p.Contains('lab')) { $p.lab = Get-DefaultLab }
        $c = @($p.lab.hosts | Where-Object { $_.name -eq $p.lab.client })[0]
        if ($null -ne $c -and -not $c.Contains('powershell')) { $c['powershell'] = @{ installed = $env:CREDHOP_TEST_CLIENT_EDITION } }
    }
    $null = Invoke-Lab Initialize-CredHopLab $p
    $dir
}

function Get-DefaultLab {
    Microsoft.PowerShell.Utility\ConvertFrom-Json -InputObject ([System.IO.File]::ReadAllText($script:DefaultLab)) -AsHashtable
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

# The secret channel's prefix for this test process, as CredHop's main sets it when it starts pwsh:
# a private folder (0700), so only this user reaches the sockets.
$script:SecretHome = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), 'credhop-pester-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
$null = [System.IO.Directory]::CreateDirectory($script:SecretHome)
if ([System.IO.Path]::DirectorySeparatorChar -eq '/') { & chmod 700 $script:SecretHome }   # ($IsWindows is not in 5.1)
$env:CREDHOP_SECRET_CHANNEL = [System.IO.Path]::Combine($script:SecretHome, 's')

function Split-CredHopSecrets {
    # What main does before a call: every {userName, password} in the payload becomes
    # {userName, secret: <index>}, and the passwords are listed for the secret channel.
    param($Value, [System.Collections.Generic.List[string]]$Secrets)
    if ($Value -is [System.Collections.IDictionary]) {
        if ($Value.Contains('userName') -and $Value.Contains('password') -and $Value.Count -eq 2) {
            $Secrets.Add([string]$Value['password'])
            return @{ userName = $Value['userName']; secret = $Secrets.Count - 1 }
        }
        $out = [ordered]@{}
        foreach ($k in $Value.Keys) { $out[$k] = Split-CredHopSecrets $Value[$k] $Secrets }
        return $out
    }
    if ($Value -is [array]) { return , @($Value | ForEach-Object { Split-CredHopSecrets $_ $Secrets }) }
    $Value
}

function Send-CredHopSecrets {
    # Plays main's part of the secret channel in another runspace: connects once the module's pipe
    # exists, writes the frame ('CHS1', count, then length + UTF-8 bytes each). Returns the runspace.
    param([string]$Channel, [string[]]$Secrets)
    $frame = New-Object System.Collections.Generic.List[byte]
    $frame.AddRange([byte[]](0x43, 0x48, 0x53, 0x31)); $frame.Add([byte]$Secrets.Count)
    foreach ($x in $Secrets) {
        $b = [System.Text.Encoding]::UTF8.GetBytes($x)
        $frame.AddRange([System.BitConverter]::GetBytes([int]$b.Length)); $frame.AddRange($b)
    }
    $ps = [powershell]::Create()
    $null = $ps.AddScript({
            param([string]$Path, [byte[]]$Bytes)
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            while ([DateTime]::UtcNow -lt $deadline) {
                $c = New-Object System.IO.Pipes.NamedPipeClientStream -ArgumentList '.', $Path, ([System.IO.Pipes.PipeDirection]::Out)
                try { $c.Connect(20); $c.Write($Bytes, 0, $Bytes.Length); $c.Flush(); return 'sent' }
                catch { Start-Sleep -Milliseconds 5 }
                finally { $c.Dispose() }
            }
            'timed out'
        }).AddArgument($env:CREDHOP_SECRET_CHANNEL + '-' + $Channel).AddArgument($frame.ToArray())
    $null = $ps.BeginInvoke()
    $ps
}

function Invoke-CredHopRaw {
    # one call as main makes it: passwords out of the payload, onto the secret channel; returns the raw lines
    param([string]$Primitive, $Payload = @{})
    $secrets = New-Object System.Collections.Generic.List[string]
    $clean = Split-CredHopSecrets $Payload $secrets
    if ($secrets.Count -eq 0) { return @(Invoke-CredHop -Primitive $Primitive -Payload (ConvertTo-B64 $clean)) }
    $channel = -join ((1..16) | ForEach-Object { '0123456789abcdef'[(Get-Random -Maximum 16)] })
    $sender = Send-CredHopSecrets $channel $secrets.ToArray()
    try { @(Invoke-CredHop -Primitive $Primitive -Payload (ConvertTo-B64 $clean) -SecretChannel $channel) }
    finally { $sender.Stop(); $sender.Dispose() }
}

function Invoke-Prim {
    param([string]$Primitive, $Payload = @{})
    Read-CredHopLine (Invoke-CredHopRaw $Primitive $Payload)
}
