# CredHop lab: the item and location cmdlets on HKLM: and WSMan: (every other path forwards to the real cmdlet).
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).
#
# What a path means: Get-LabPathInfo. What each drive does: Registry.ps1 (HKLM:) and WSManDrive.ps1 (WSMan:).
# Neither drive exists on Linux, so the lab also keeps its own current location (Set-Location /
# Push-Location / Pop-Location / Get-Location into HKLM: or WSMan:) and resolves relative paths against it.

$script:LabLocation = $null                                   # @{ Kind; Sub } while "in" HKLM: or WSMan:
$script:LabLocationStack = [System.Collections.Generic.List[object]]::new()

function ConvertTo-LabSubPath {
    # 'A\.\B\..\C' -> 'A\C' (registry keys and WSMan nodes are case-insensitive; separators '\' or '/')
    param([string]$Path)
    $out = [System.Collections.Generic.List[string]]::new()
    foreach ($p in ($Path -replace '/', '\').Split('\', [System.StringSplitOptions]::RemoveEmptyEntries)) {
        if ($p -eq '.') { continue }
        if ($p -eq '..') { if ($out.Count -gt 0) { $out.RemoveAt($out.Count - 1) }; continue }
        $out.Add($p)
    }
    $out -join '\'
}

function Get-LabPathInfo {
    # HKLM:\x, HKLM:x, Registry::HKEY_LOCAL_MACHINE\x, Microsoft.PowerShell.Core\Registry::HKLM\x,
    # WSMan:\x, WSMan:x, Microsoft.WSMan.Management\WSMan::x; a path without a drive is relative to the
    # lab location when there is one. Anything else -> $null (not a lab path).
    param([string]$Path)
    if ($null -eq $Path) { return $null }
    $s = $Path -replace '/', '\'
    if ($s -match '^(?:Microsoft\.PowerShell\.Core\\)?Registry::(?:HKEY_LOCAL_MACHINE|HKLM)(?:\\(?<r>.*))?$' -or $s -match '^HKLM:\\?(?<r>.*)$') {
        return @{ Kind = 'HKLM'; Sub = (ConvertTo-LabSubPath $Matches.r); Display = $Path }
    }
    if ($s -match '^(?:Microsoft\.WSMan\.Management\\)?WSMan::?\\?(?<r>.*)$') {
        return @{ Kind = 'WSMan'; Sub = (ConvertTo-LabSubPath $Matches.r); Display = $Path }
    }
    if ($null -ne $script:LabLocation -and $s -notmatch '^[A-Za-z][A-Za-z0-9_]*:' -and $s -notmatch '::' -and -not $s.StartsWith('\') -and -not $s.StartsWith('~')) {
        $loc = $script:LabLocation
        $sub = ConvertTo-LabSubPath ($loc.Sub + '\' + $s)
        $drive = if ($loc.Kind -eq 'HKLM') { 'HKLM:\' } else { 'WSMan:\' }
        return @{ Kind = $loc.Kind; Sub = $sub; Display = $drive + $sub }
    }
    $null
}

function Get-LabBoundPaths {
    param($Bound)
    $p = @()
    if ($Bound.ContainsKey('LiteralPath')) { $p = @($Bound['LiteralPath']) } elseif ($Bound.ContainsKey('Path')) { $p = @($Bound['Path']) }
    elseif ($null -ne $script:LabLocation) { $p = @('.') }   # no path: the current (lab) location
    $p
}

function Get-LabItemPaths {
    # The bound paths with what each means (Get-LabPathInfo, $null: not a lab path), or $null when none is a
    # lab path (the real cmdlet then runs). Worked out once per call: the item cmdlets are the lab's hot path.
    param($Bound)
    $out = $null
    $any = $false
    foreach ($p in (Get-LabBoundPaths $Bound)) {
        $pi = Get-LabPathInfo ([string]$p)
        if ($null -ne $pi) { $any = $true }
        if ($null -eq $out) { $out = [System.Collections.Generic.List[object]]::new() }
        $out.Add(@{ Raw = $p; Info = $pi })
    }
    if (-not $any) { return $null }
    , $out
}

function New-LabPathNotFound {
    param([string]$Display, [string]$CmdType)
    $ex = [System.Management.Automation.ItemNotFoundException]::new("Cannot find path '$Display' because it does not exist.")
    New-LabErrorRecord $ex "PathNotFound,Microsoft.PowerShell.Commands.$CmdType" 'ObjectNotFound' $Display
}

function Invoke-LabItem {
    param([string]$Verb, $Cmdlet, $Bound, [System.Collections.Generic.List[object]]$Paths)
    # The reading verbs share one parsed state (Read-LabState -ReadOnly): they never change it.
    $state = Read-LabState -ReadOnly:($Verb -in $script:ReadingItemVerbs)
    $h = Get-LabCtxHost $state
    $faultChecks = [System.Collections.Generic.List[string]]::new()
    foreach ($one in $Paths) {
        $raw = $one.Raw; $pi = $one.Info
        if ($null -eq $pi) { Write-LabError $Cmdlet (New-LabErrorRecord ([System.NotSupportedException]::new("CredHop lab: cannot mix HKLM:/WSMan: paths with other paths in one call ('$raw').")) 'CredHopLabMixedPaths' 'NotImplemented' $raw); continue }
        if ($pi.Kind -eq 'WSMan') { Invoke-LabWsmanItem $Verb $Cmdlet $Bound $state $h $pi $faultChecks }
        else { Invoke-LabRegistryItem $Verb $Cmdlet $Bound $state $h $pi $faultChecks }
    }
    if ($faultChecks.Count -gt 0) {
        Add-LabCount $state 'registryWrites' $h.name $faultChecks.Count   # HKLM: and WSMan: (WinRM keeps its settings in the registry)
        Save-LabState $state
        foreach ($p in $faultChecks) { Invoke-LabWriteFault $Verb $p }
    }
}

# Generate the shadow item cmdlets from the real cmdlets' metadata (same parameters and sets), plus the
# providers' dynamic parameters scripts use: Set-ItemProperty -Type (registry), Set-Item -Concatenate (WSMan).
$script:ReadingItemVerbs = @('Test-Path', 'Get-Item', 'Get-ChildItem', 'Get-ItemProperty', 'Get-ItemPropertyValue')
$script:ItemVerbs = @('Test-Path', 'Get-Item', 'Get-ChildItem', 'Get-ItemProperty', 'Get-ItemPropertyValue', 'New-Item', 'New-ItemProperty', 'Set-Item', 'Set-ItemProperty', 'Clear-Item', 'Remove-Item', 'Remove-ItemProperty')
foreach ($verb in $script:ItemVerbs) {
    $real = Microsoft.PowerShell.Core\Get-Command "Microsoft.PowerShell.Management\$verb" -CommandType Cmdlet
    $meta = [System.Management.Automation.CommandMetadata]::new($real)
    $extra = ''
    if ($verb -eq 'Set-ItemProperty') { $extra = ",`n    [Parameter()][string]`${Type}" }
    if ($verb -eq 'Set-Item') { $extra = ",`n    [Parameter()][switch]`${Concatenate}" }
    $binding = [System.Management.Automation.ProxyCommand]::GetCmdletBindingAttribute($meta)
    $params = [System.Management.Automation.ProxyCommand]::GetParamBlock($meta)
    $src = @"
function $verb {
$binding
param($params$extra)
process {
    # Import-LabCallerPreference, inlined (these run many times per host script)
    if (-not `$PSBoundParameters.ContainsKey('ErrorAction')) { `$v = `$PSCmdlet.SessionState.PSVariable.GetValue('ErrorActionPreference'); if (`$null -ne `$v) { `$ErrorActionPreference = `$v } }
    if (-not `$PSBoundParameters.ContainsKey('WarningAction')) { `$v = `$PSCmdlet.SessionState.PSVariable.GetValue('WarningPreference'); if (`$null -ne `$v) { `$WarningPreference = `$v } }
    `$labPaths = Get-LabItemPaths `$PSBoundParameters
    if (`$null -ne `$labPaths) { Invoke-LabItem '$verb' `$PSCmdlet `$PSBoundParameters `$labPaths; return }
    `$fwd = @{} + `$PSBoundParameters
    [void]`$fwd.Remove('Type'); [void]`$fwd.Remove('Concatenate')
    Microsoft.PowerShell.Management\$verb @fwd
}
}
"@
    . ([scriptblock]::Create($src))
}

# ---------------------------------------------------------------------------------------------
# Join-Path, mkdir/md and the location cmdlets
# ---------------------------------------------------------------------------------------------
function Join-Path {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)][Alias('PSPath')][string[]]$Path,
        [Parameter(Position = 1)][AllowNull()][AllowEmptyString()][string]$ChildPath,
        [Parameter(Position = 2, ValueFromRemainingArguments)][AllowNull()][AllowEmptyString()][string[]]$AdditionalChildPath,
        [switch]$Resolve,
        [pscredential]$Credential,
        [switch]$Extension
    )
    process {
        Import-LabCallerPreference $PSCmdlet $PSBoundParameters
        foreach ($p in $Path) {
            if ($null -eq (Get-LabPathInfo $p)) { $fwd = @{} + $PSBoundParameters; $fwd.Path = @($p); Microsoft.PowerShell.Management\Join-Path @fwd; continue }
            $r = $p
            foreach ($c in @($ChildPath) + @($AdditionalChildPath)) {
                if ([string]::IsNullOrEmpty($c)) { continue }
                $r = $r.TrimEnd('\', '/') + '\' + $c.TrimStart('\', '/')
            }
            if ($Resolve -and -not (Test-Path -LiteralPath $r)) {
                Write-LabError $PSCmdlet (New-LabPathNotFound $r 'JoinPathCommand'); continue
            }
            $r
        }
    }
}

function mkdir {
    # Windows PowerShell's mkdir function: New-Item -ItemType Directory (through the lab's New-Item)
    [CmdletBinding(DefaultParameterSetName = 'pathSet', SupportsShouldProcess)]
    param(
        [Parameter(ParameterSetName = 'nameSet', Position = 0, ValueFromPipelineByPropertyName)]
        [Parameter(ParameterSetName = 'pathSet', Mandatory, Position = 0, ValueFromPipelineByPropertyName)][string[]]$Path,
        [Parameter(ParameterSetName = 'nameSet', Mandatory, ValueFromPipelineByPropertyName)][AllowNull()][AllowEmptyString()][string]$Name,
        [Parameter(ValueFromPipeline, ValueFromPipelineByPropertyName)][Alias('Target')][object]$Value,
        [switch]$Force,
        [pscredential]$Credential
    )
    process { New-Item -ItemType Directory @PSBoundParameters }
}

function Get-LabLocationObject {
    param($Loc)
    $drive = if ($Loc.Kind -eq 'HKLM') { 'HKLM' } else { 'WSMan' }
    $prov = if ($Loc.Kind -eq 'HKLM') { 'Microsoft.PowerShell.Core\Registry' } else { 'Microsoft.WSMan.Management\WSMan' }
    $path = "${drive}:\" + $Loc.Sub
    $o = [pscustomobject]@{ Drive = $drive; Provider = $prov; ProviderPath = $(if ($Loc.Kind -eq 'HKLM') { 'HKEY_LOCAL_MACHINE\' + $Loc.Sub } else { $Loc.Sub }); Path = $path }
    $o.PSObject.TypeNames.Insert(0, 'System.Management.Automation.PathInfo')
    $o | Microsoft.PowerShell.Utility\Add-Member -MemberType ScriptMethod -Name ToString -Value ({ $path }.GetNewClosure()) -Force
    $o
}

function Resolve-LabLocation {
    # a lab location for a Set-Location target, $null when it is not a lab path; writes the error and returns $false when it does not exist
    param($Cmdlet, [string]$Target, [string]$CmdType)
    $pi = Get-LabPathInfo $Target
    if ($null -eq $pi) { return $null }
    $state = Read-LabState
    $h = Get-LabCtxHost $state
    if ($pi.Kind -eq 'HKLM') {
        if ($pi.Sub -ne '' -and $null -eq (Find-LabRegKey $h $pi.Sub)) { Write-LabError $Cmdlet (New-LabPathNotFound $pi.Display $CmdType); return $false }
        $k = if ($pi.Sub -eq '') { '' } else { Find-LabRegKey $h $pi.Sub }
        return @{ Kind = 'HKLM'; Sub = $k }
    }
    if (-not (Assert-LabWsmanService $Cmdlet $h $pi.Display $CmdType)) { return $false }
    $node = Get-LabWsmanNode $pi.Sub
    if ($null -eq $node -or $node.Leaf) { Write-LabError $Cmdlet (New-LabPathNotFound $pi.Display $CmdType); return $false }
    @{ Kind = 'WSMan'; Sub = $node.Path }
}

function Set-Location {
    [CmdletBinding(DefaultParameterSetName = 'Path')]
    param(
        [Parameter(ParameterSetName = 'Path', Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)][string]$Path,
        [Parameter(ParameterSetName = 'LiteralPath', Mandatory, ValueFromPipelineByPropertyName)][Alias('PSPath', 'LP')][string]$LiteralPath,
        [switch]$PassThru,
        [Parameter(ParameterSetName = 'Stack', ValueFromPipelineByPropertyName)][string]$StackName
    )
    process {
        Import-LabCallerPreference $PSCmdlet $PSBoundParameters
        $target = if ($PSBoundParameters.ContainsKey('LiteralPath')) { $LiteralPath } else { $Path }
        if ($PSCmdlet.ParameterSetName -ne 'Stack' -and $target) {
            $loc = Resolve-LabLocation $PSCmdlet $target 'SetLocationCommand'
            if ($loc -is [bool]) { return }
            if ($null -ne $loc) { $script:LabLocation = $loc; if ($PassThru) { Get-LabLocationObject $loc }; return }
        }
        $script:LabLocation = $null
        Microsoft.PowerShell.Management\Set-Location @PSBoundParameters
    }
}

function Push-Location {
    [CmdletBinding(DefaultParameterSetName = 'Path')]
    param(
        [Parameter(ParameterSetName = 'Path', Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)][string]$Path,
        [Parameter(ParameterSetName = 'LiteralPath', ValueFromPipelineByPropertyName)][Alias('PSPath', 'LP')][string]$LiteralPath,
        [switch]$PassThru,
        [Parameter(ValueFromPipelineByPropertyName)][string]$StackName
    )
    process {
        Import-LabCallerPreference $PSCmdlet $PSBoundParameters
        $script:LabLocationStack.Add(@{ Lab = $script:LabLocation; Real = (Microsoft.PowerShell.Management\Get-Location).Path })
        $target = if ($PSBoundParameters.ContainsKey('LiteralPath')) { $LiteralPath } else { $Path }
        if (-not $target) { return }
        $fwd = @{} + $PSBoundParameters; [void]$fwd.Remove('StackName')
        Set-Location @fwd
    }
}

function Pop-Location {
    [CmdletBinding()]
    param([switch]$PassThru, [Parameter(ValueFromPipelineByPropertyName)][string]$StackName)
    Import-LabCallerPreference $PSCmdlet $PSBoundParameters
    if ($script:LabLocationStack.Count -eq 0) { return }
    $e = $script:LabLocationStack[$script:LabLocationStack.Count - 1]
    $script:LabLocationStack.RemoveAt($script:LabLocationStack.Count - 1)
    if ($null -ne $e.Lab) { $script:LabLocation = $e.Lab; if ($PassThru) { Get-LabLocationObject $e.Lab }; return }
    $script:LabLocation = $null
    Microsoft.PowerShell.Management\Set-Location -LiteralPath $e.Real -PassThru:$PassThru
}

function Get-Location {
    [CmdletBinding(DefaultParameterSetName = 'Location')]
    param(
        [Parameter(ParameterSetName = 'Location')][string[]]$PSProvider,
        [Parameter(ParameterSetName = 'Location')][string[]]$PSDrive,
        [Parameter(ParameterSetName = 'Stack')][switch]$Stack,
        [Parameter(ParameterSetName = 'Stack')][string[]]$StackName
    )
    if ($null -ne $script:LabLocation -and $PSCmdlet.ParameterSetName -eq 'Location' -and -not $PSProvider -and -not $PSDrive) { return (Get-LabLocationObject $script:LabLocation) }
    Microsoft.PowerShell.Management\Get-Location @PSBoundParameters
}
