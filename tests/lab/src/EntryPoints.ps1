# CredHop lab: The lab's own entry points (-Payload protocol) for tests and practice mode.
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).

# ---------------------------------------------------------------------------------------------
# Entry points (protocol: -Payload <base64 UTF-8 JSON>; one line 'CREDHOP:' + compressed JSON)
# ---------------------------------------------------------------------------------------------
function Write-LabResult {
    param([bool]$Ok, $Data, [string]$Kind, [string]$Message)
    if ($Ok) { $o = [ordered]@{ ok = $true; data = $Data } } else { $o = [ordered]@{ ok = $false; error = [ordered]@{ kind = $Kind; message = $Message } } }
    'CREDHOP:' + (Microsoft.PowerShell.Utility\ConvertTo-Json -InputObject $o -Compress -Depth 100)
}

function Invoke-LabEntry {
    param([string]$Payload, [scriptblock]$Body)
    try {
        $json = [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String($Payload))
        $p = Microsoft.PowerShell.Utility\ConvertFrom-Json -InputObject $json -AsHashtable -Depth 100
        if ($null -eq $p) { $p = @{} }
        if ($p -isnot [System.Collections.IDictionary]) { throw 'payload must be a JSON object' }
    }
    catch { return (Write-LabResult $false $null 'invalid-payload' "Invalid payload: $($_.Exception.Message)") }
    try { $data = & $Body $p; Write-LabResult $true $data }
    catch { Write-LabResult $false $null 'failed' $_.Exception.Message }
}

function Initialize-CredHopLab {
    <# payload {labFile | lab, stateDir, reset?} -> seeds the state dir if empty or reset; this process becomes the client. #>
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Payload)
    Invoke-LabEntry $Payload {
        param($p)
        $stateDir = [string]$p['stateDir']
        if (-not $stateDir) { throw 'stateDir is required' }
        $stateDir = [System.IO.Path]::GetFullPath($stateDir)
        $null = [System.IO.Directory]::CreateDirectory($stateDir)
        $statePath = Join-LabPath $stateDir 'state.json'
        $seeded = $false
        if ($p['reset'] -or -not [System.IO.File]::Exists($statePath)) {
            if ($p.Contains('lab')) { $lab = $p['lab']; $src = '(inline lab)' }
            else {
                $lf = [string]$p['labFile']
                if (-not $lf) { $lf = Join-LabPath $script:ModuleRoot 'default-lab.json' }
                if (-not [System.IO.File]::Exists($lf)) { throw "Lab file '$lf' does not exist." }
                $src = $lf
                try { $lab = Read-LabJson $lf } catch { throw "Invalid lab file ${lf}: not valid JSON: $($_.Exception.Message)" }
            }
            $state = ConvertTo-LabState $lab $src
            Initialize-LabStateDir $state $stateDir
            Save-LabState $state $stateDir
            $seeded = $true
        }
        $state = Read-LabState $stateDir
        # This process is the client: it runs as the PowerShell CredHop finds there (Editions.ps1). In practice
        # mode this comes before CredHop's module is imported, so the module meets that edition from its start.
        $edition = Get-LabHostEdition (Get-LabHost $state $state.client) 'installed'
        Enter-CredHopLabHost -StateDir $stateDir -HostName $state.client -CanDelegate $true -Authentication 'Local' -Edition $edition
        $key = 'CredHopLab.ProcessCounted:' + $stateDir
        if ($seeded -or -not [System.AppDomain]::CurrentDomain.GetData($key)) {
            $state.counters.processes = [int]$state.counters.processes + 1
            Save-LabState $state $stateDir
            [System.AppDomain]::CurrentDomain.SetData($key, $true)
        }
        Set-LabProcessEnv $state $state.client (Get-LabCtxUser $state)
        [ordered]@{ stateDir = $stateDir; client = $state.client; seeded = $seeded; systemRoot = $env:SystemRoot; hosts = @($state.hosts.Keys) }
    }
}

function Get-LabHostView {
    param($State, $HostState, [string]$StateDir)
    $pol = @(Read-LabPol (Get-LabPolPath $StateDir $HostState.name))
    $gpt = Get-LabGptPath $StateDir $HostState.name
    [ordered]@{
        name          = $HostState.name
        fqdn          = $HostState.fqdn
        address       = $HostState.address
        winrm         = $HostState.winrm
        reachable     = $HostState.reachable
        spn           = $HostState.spn
        elevated      = $HostState.elevated
        currentUser   = $HostState.currentUser
        admins        = @($HostState.admins)
        clientCredSSP = Get-LabWinRMFlag $HostState 'Client'
        serviceCredSSP = Get-LabWinRMFlag $HostState 'Service'
        registry      = $HostState.registry
        registryPol   = $pol
        gptIni        = $(if ([System.IO.File]::Exists($gpt)) { [System.IO.File]::ReadAllText($gpt) } else { $null })
        gpApplied     = @($HostState.gpApplied)
        winrmStartType = $(if ($HostState.winrmStartType) { $HostState.winrmStartType } else { 'Automatic' })
        trustedHosts  = Get-LabTrustedHosts $HostState
        rsopLogging   = $(if ($HostState.Contains('rsopLogging')) { $HostState.rsopLogging } else { $true })
        rsop          = $HostState.rsop
        domainPolicy  = $HostState.domainPolicy
        stopAnsweringAfter = $HostState.stopAnsweringAfter
        scheduledTasks = [object[]]@(foreach ($t in (Get-LabHostTasks $HostState).Values) { $t })
        clock         = (Get-LabHostNow $HostState).ToString('o')
        off           = [bool]$HostState.off
        power         = Get-LabHostPower $HostState
        credhopFiles  = @(Get-LabCredHopFiles $StateDir $HostState.name)
    }
}

function Get-CredHopLabState {
    <# payload {} or {stateDir} -> the whole state with a decoded view of each host's Registry.pol;
       {fanOut: true} -> only the lab's account of its last Invoke-Command fan-out (FanOut.ps1), or null #>
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Payload)
    Invoke-LabEntry $Payload {
        param($p)
        $dir = if ($p['stateDir']) { [System.IO.Path]::GetFullPath([string]$p['stateDir']) } else { Get-LabStateDir }
        if ($p['fanOut']) {
            $f = Join-LabPath $dir 'fanout.json'
            return [ordered]@{ fanOut = $(if ([System.IO.File]::Exists($f)) { Read-LabJson $f } else { $null }) }
        }
        $state = Read-LabState $dir
        $hosts = [ordered]@{}
        foreach ($hn in @($state.hosts.Keys)) { $hosts[$hn] = Get-LabHostView $state $state.hosts[$hn] $dir }
        # The PSSessions this runspace holds open, by host: each is a remote shell (wsmprovhost) there.
        $open = [ordered]@{}
        foreach ($e in @($script:Sessions.Values)) { if ($e.State -eq 'Opened') { $n = [string]$e.Conn.Host; $c = 0; if ($open.Contains($n)) { $c = $open[$n] }; $open[$n] = $c + 1 } }
        [ordered]@{
            stateDir = $dir; domain = $state.domain; netbios = $state.netbios; client = $state.client
            accounts = @($state.accounts | ForEach-Object { [ordered]@{ name = $_.name; hasPassword = ($null -ne $_.passwordHash) } })
            counters = $state.counters; faults = @($state.faults); fileFaults = @($state.fileFaults | Where-Object { $null -ne $_ }); hosts = $hosts
            localHost = $(if ($script:Ctx) { $script:Ctx.Host } else { $null })
            openSessions = $open
        }
    }
}

function Set-CredHopLabHost {
    <# payload {host, set:{elevated?, winrm?, winrmStartType?, reachable?, spn?, httpSpnConflict?, currentUser?, admins?, domainPolicy?, stopAnsweringAfter?, trustedHosts?, rsopLogging?, power?, fileOwners?, executionPolicy?, endpointLanguageMode?}} #>
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Payload)
    Invoke-LabEntry $Payload {
        param($p)
        $state = Read-LabState
        $h = Get-LabPayloadHost $state $p
        $set = $p['set']
        if ($set -isnot [System.Collections.IDictionary]) { throw 'set must be an object' }
        foreach ($k in @($set.Keys)) {
            $v = $set[$k]
            switch ($k) {
                { $_ -in 'elevated', 'winrm', 'reachable', 'spn', 'httpSpnConflict' } { if ($v -isnot [bool]) { throw "set.${k}: expected bool" }; $h[$k] = $v }
                'currentUser' { $a = Resolve-LabAccountName $state $v $h; if (-not $a) { throw "set.currentUser: unknown account '$v'" }; $h.currentUser = $a }
                'admins' { $h.admins = @(@($v) | ForEach-Object { $a = Resolve-LabAccountName $state $_ $h; if (-not $a) { throw "set.admins: unknown account '$_'" }; $a }) }
                'domainPolicy' { $h.domainPolicy = ConvertTo-LabPolicySpec '(Set-CredHopLabHost)' 'set.domainPolicy' $v -Domain }
                'winrmStartType' { if ($v -notin 'Automatic', 'Manual', 'Disabled') { throw "set.winrmStartType: expected 'Automatic', 'Manual' or 'Disabled'" }; $h.winrmStartType = $v }
                'trustedHosts' { if ($v -isnot [string]) { throw 'set.trustedHosts: expected string' }; Set-LabTrustedHostsRaw $h $v }
                'rsopLogging' { if ($v -isnot [bool]) { throw 'set.rsopLogging: expected bool' }; $h.rsopLogging = $v; if (-not $v) { $h.rsop = $null } }
                'power' { if ($v -notin 'ac', 'battery') { throw "set.power: expected 'ac' or 'battery'" }; $h.power = $v }
                'executionPolicy' { if ($v -notin 'Undefined', 'Restricted', 'AllSigned', 'RemoteSigned', 'Unrestricted', 'Bypass') { throw 'set.executionPolicy: expected an execution policy name (the MachinePolicy scope)' }; $h.executionPolicy = $v }
                'endpointLanguageMode' { if ($v -notin 'FullLanguage', 'ConstrainedLanguage') { throw "set.endpointLanguageMode: expected 'FullLanguage' or 'ConstrainedLanguage'" }; $h.endpointLanguageMode = $v }
                'fileOwners' { if ($v -isnot [System.Collections.IDictionary]) { throw 'set.fileOwners: expected an object {path under ProgramData: account}' }; $h.fileOwners = $v }
                'stopAnsweringAfter' { if ($null -ne $v -and -not (Test-LabType $v 'int')) { throw 'set.stopAnsweringAfter: expected int or null' }; $h.stopAnsweringAfter = $v }
                default { throw "set.${k}: unknown field" }
            }
        }
        Save-LabState $state
        [ordered]@{ host = $h.name }
    }
}

function Add-CredHopLabFault {
    <# payload {host, command, path, action: throw|exit, times, exitCode} -> {id} #>
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Payload)
    Invoke-LabEntry $Payload {
        param($p)
        $state = Read-LabState
        $h = Get-LabPayloadHost $state $p
        $w = [ordered]@{}; foreach ($k in @($p.Keys)) { if ($k -ne 'host') { $w[$k] = $p[$k] } }
        $f = ConvertTo-LabWriteFault '(Add-CredHopLabFault)' 'fault' $w $h.name
        $state.faults = @($state.faults) + , $f
        Save-LabState $state
        [ordered]@{ id = $f.id }
    }
}

function Invoke-CredHopLabGpUpdate {
    <# payload {host} -> runs the Group Policy refresh on that host #>
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Payload)
    Invoke-LabEntry $Payload {
        param($p)
        $state = Read-LabState
        $h = Get-LabPayloadHost $state $p
        Invoke-LabGpUpdateCore $state $h $script:Ctx.StateDir
        Save-LabState $state
        [ordered]@{ host = $h.name }
    }
}

function Add-CredHopLabFileFault {
    <# payload {host, kind: busy|writer, file: Registry.pol|gpt.ini|*, access: Read|Write|Any, times, afterReads, entry:{key,name,type,data}} -> {id} #>
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Payload)
    Invoke-LabEntry $Payload {
        param($p)
        $state = Read-LabState
        $h = Get-LabPayloadHost $state $p
        $w = [ordered]@{}; foreach ($k in @($p.Keys)) { if ($k -ne 'host') { $w[$k] = $p[$k] } }
        $f = ConvertTo-LabFileFault '(Add-CredHopLabFileFault)' 'fault' $w $h.name
        $state.fileFaults = @($state.fileFaults | Where-Object { $null -ne $_ }) + , $f
        Save-LabState $state
        [ordered]@{ id = $f.id }
    }
}
