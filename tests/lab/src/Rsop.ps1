# CredHop lab: Resultant Set of Policy (RSoP) logging, as WMI shows it:
#   Get-CimInstance -Namespace root\rsop\computer -ClassName RSOP_RegistryPolicySetting | RSOP_GPO
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).
#
# Each Group Policy refresh (Invoke-LabGpUpdateCore) records, per value a GPO applied, which GPO supplied
# it: GPOID 'LocalGPO' for the local GPO, 'cn={GUID},cn=policies,cn=system,DC=...' for the domain GPO;
# precedence 1 = the winning GPO. Values a script wrote straight into the registry have no record.
# host.rsopLogging = $false stands for "Turn off Resultant Set of Policy logging": no data is recorded,
# and the namespace answers every query with no instance and no error (as before the first refresh). Every other Get-CimInstance call
# forwards to the real cmdlet.

$script:RsopNamespace = 'root\rsop\computer'
$script:RegTypeNums = @{ String = 1; ExpandString = 2; Binary = 3; DWord = 4; MultiString = 7; QWord = 11 }

function Get-LabDomainGpoId {
    param($State, $HostState)
    $guid = if ($HostState.domainPolicy -and $HostState.domainPolicy.gpoGuid) { $HostState.domainPolicy.gpoGuid } else { '{C4ED0B5E-1AB0-4C5A-9C71-2F1E0C0D1AB1}' }
    $dc = ($State.domain.Split('.') | ForEach-Object { "DC=$_" }) -join ','
    "cn=$guid,cn=policies,cn=system,$dc"
}

function ConvertTo-LabRsopBytes {
    # RSOP_RegistryPolicySetting.value is the raw registry data (uint8[])
    param($Record)
    $u = [System.Text.Encoding]::Unicode
    switch ($Record.type) {
        'DWord' { return , [System.BitConverter]::GetBytes([int]$Record.data) }
        'QWord' { return , [System.BitConverter]::GetBytes([long]$Record.data) }
        'MultiString' { return , $u.GetBytes((@($Record.data) -join "`0") + "`0`0") }
        'Binary' { return , [System.Convert]::FromBase64String([string]$Record.data) }
        default { return , $u.GetBytes([string]$Record.data + "`0") }
    }
}

function Update-LabRsop {
    param($State, $HostState, $LocalRecords, $DomainRecords)
    if ($HostState.Contains('rsopLogging') -and $HostState.rsopLogging -eq $false) { $HostState.rsop = $null; return }
    $gpos = [System.Collections.Generic.List[object]]::new()
    $settings = [System.Collections.Generic.List[object]]::new()
    $sources = @(
        @{ Id = 'LocalGPO'; Name = 'Local Group Policy'; Guid = 'LocalGPO'; Records = @($LocalRecords) }
    )
    if ($null -ne $HostState.domainPolicy -and @($DomainRecords).Count -gt 0) {
        $sources += @{ Id = (Get-LabDomainGpoId $State $HostState); Name = $HostState.domainPolicy.gpoName; Guid = $HostState.domainPolicy.gpoGuid; Records = @($DomainRecords) }
    }
    $all = [System.Collections.Generic.List[object]]::new()
    $order = 0
    foreach ($src in $sources) {
        $order++
        $n = 0
        foreach ($r in $src.Records) {
            if ($null -eq $r) { continue }
            $name = [string]$r.name
            if ($name -eq '' -or $name -ieq '**delvals.' -or $name -ieq '**DeleteValues' -or $name -ieq '**DeleteKeys' -or ($name.StartsWith('**') -and -not $name.StartsWith('**del.', [System.StringComparison]::OrdinalIgnoreCase))) { continue }
            $deleted = $false
            if ($name.StartsWith('**del.', [System.StringComparison]::OrdinalIgnoreCase)) { $deleted = $true; $name = $name.Substring(6) }
            $n++
            $all.Add([ordered]@{ gpo = $src.Id; order = $order; key = [string]$r.key; name = $name; type = [string]$r.type; data = $r.data; deleted = $deleted })
        }
        if ($n -gt 0 -or $src.Id -eq 'LocalGPO') { $gpos.Add([ordered]@{ id = $src.Id; name = $src.Name; guidName = $src.Guid }) }
    }
    # precedence: the GPO applied last (the domain GPO) wins = 1
    foreach ($s in $all) {
        $same = @($all | Where-Object { $_.key -ieq $s.key -and $_.name -ieq $s.name } | Sort-Object { $_.order } -Descending)
        $prec = 1 + [array]::IndexOf(@($same | ForEach-Object { $_.order }), $s.order)
        $settings.Add([ordered]@{
                GPOID = $s.gpo; precedence = $prec; registryKey = $s.key; valueName = $s.name
                valueType = $(if ($script:RegTypeNums.ContainsKey($s.type)) { $script:RegTypeNums[$s.type] } else { 0 })
                value = [System.Convert]::ToBase64String((ConvertTo-LabRsopBytes $s)); deleted = $s.deleted
            })
    }
    $HostState.rsop = [ordered]@{ gpos = $gpos.ToArray(); settings = $settings.ToArray() }
}

function New-LabCimObject {
    param([string]$Class, $Props)
    $o = [pscustomobject]$Props
    $o.PSObject.TypeNames.Insert(0, "Microsoft.Management.Infrastructure.CimInstance#root/rsop/computer/$Class")
    $o.PSObject.TypeNames.Insert(0, "Microsoft.Management.Infrastructure.CimInstance#$Class")
    $o | Microsoft.PowerShell.Utility\Add-Member -NotePropertyName CimClass -NotePropertyValue "root/rsop/computer:$Class"
    $o
}

function Test-LabCimFilter {
    # the WQL subset scripts use: prop = 'x' [AND prop = 'y' ...] (also "like" with %); case-insensitive
    param($Object, [string]$Filter)
    if (-not $Filter) { return $true }
    foreach ($cond in ($Filter -split '(?i)\s+AND\s+')) {
        if ($cond -notmatch "^\s*(?<p>\w+)\s*(?<op>=|(?i:like))\s*(?:'(?<v>[^']*)'|""(?<v>[^""]*)""|(?<v>[\w.-]+))\s*$") { throw "CredHop lab: filter '$Filter' is not modelled (use prop = 'value' [AND ...])." }
        $v = [string]$Object.($Matches.p)
        $want = $Matches.v -replace '\\\\', '\'
        if ($Matches.op -eq '=') { if ($v -ine $want) { return $false } }
        elseif ($v -notlike ($want -replace '%', '*')) { return $false }
    }
    $true
}

function Get-CimInstance {
    [CmdletBinding(DefaultParameterSetName = 'ClassNameComputerSet')]
    param(
        [Parameter(ParameterSetName = 'ClassNameComputerSet', Mandatory, Position = 0)][string]$ClassName,
        [Parameter(ParameterSetName = 'QuerySet', Mandatory)][string]$Query,
        [string]$Namespace,
        [string]$Filter,
        [string[]]$Property,
        [string]$QueryDialect,
        [string[]]$ComputerName,
        [object[]]$CimSession,
        [uint32]$OperationTimeoutSec,
        [switch]$Shallow,
        [switch]$KeyOnly
    )
    Import-LabCallerPreference $PSCmdlet $PSBoundParameters
    $ns = ($Namespace -replace '/', '\').Trim('\')
    if ($ns -ine $script:RsopNamespace) { return (Microsoft.Management.Infrastructure.CimCmdlets\Get-CimInstance @PSBoundParameters) }
    if ($PSCmdlet.ParameterSetName -eq 'QuerySet') {
        if ($Query -notmatch '^\s*(?i:select)\s+\*\s+(?i:from)\s+(?<c>\w+)(?:\s+(?i:where)\s+(?<w>.+))?$') { throw "CredHop lab: query '$Query' is not modelled (use SELECT * FROM <class> [WHERE ...])." }
        $ClassName = $Matches.c; $Filter = $Matches.w
    }
    $state = Read-LabState -ReadOnly
    $h = Get-LabCtxHost $state
    # RSoP logging off, or nothing logged yet (no refresh since): the namespace is there and empty, so
    # every query answers no instance and no error, as on Windows. Silence is not "no GPO".
    if ($null -eq $h.rsop) { return }
    $items = switch ($ClassName) {
        'RSOP_RegistryPolicySetting' {
            foreach ($s in @($h.rsop.settings)) {
                New-LabCimObject 'RSOP_RegistryPolicySetting' ([ordered]@{
                        GPOID = $s.GPOID; precedence = [uint32]$s.precedence; registryKey = $s.registryKey; valueName = $s.valueName
                        valueType = [uint32]$s.valueType; value = [byte[]][System.Convert]::FromBase64String($s.value); deleted = [bool]$s.deleted
                    })
            }
        }
        'RSOP_GPO' {
            foreach ($g in @($h.rsop.gpos)) {
                New-LabCimObject 'RSOP_GPO' ([ordered]@{ id = $g.id; name = $g.name; guidName = $g.guidName; enabled = $true; accessDenied = $false; filterAllowed = $true })
            }
        }
        default {
            $ex = [Microsoft.Management.Infrastructure.CimException]::new('Invalid class ')
            Write-LabError $PSCmdlet (New-LabErrorRecord $ex 'HRESULT 0x80041010,Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand' 'MetadataError' $ClassName)
            return
        }
    }
    foreach ($i in @($items)) { if (Test-LabCimFilter $i $Filter) { $i } }
}
