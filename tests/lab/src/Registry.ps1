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

# ---------------------------------------------------------------------------------------------
# The registry provider (HKLM:) as the item cmdlets see it
# ---------------------------------------------------------------------------------------------
function New-LabRegKeyObject {
    param($HostState, [string]$Key)
    $names = @(Get-LabRegValueNames $HostState $Key)
    $vals = [ordered]@{}
    foreach ($n in $names) { $vals[$n] = Get-LabRegValue $HostState $Key $n }
    $subs = @((Get-LabRegSubKeys $HostState $Key) | ForEach-Object { $_.Substring($_.LastIndexOf('\') + 1) })
    $leaf = $Key.Substring($Key.LastIndexOf('\') + 1)
    $parent = if ($Key.Contains('\')) { $Key.Substring(0, $Key.LastIndexOf('\')) } else { '' }
    $o = [pscustomobject]@{
        Name          = "HKEY_LOCAL_MACHINE\$Key"
        Property      = [string[]]$names
        ValueCount    = $names.Count
        SubKeyCount   = $subs.Count
        PSPath        = "Microsoft.PowerShell.Core\Registry::HKEY_LOCAL_MACHINE\$Key"
        PSParentPath  = "Microsoft.PowerShell.Core\Registry::HKEY_LOCAL_MACHINE\$parent"
        PSChildName   = $leaf
        PSDrive       = 'HKLM'
        PSProvider    = 'Microsoft.PowerShell.Core\Registry'
        PSIsContainer = $true
    }
    $o.PSObject.TypeNames.Insert(0, 'Microsoft.Win32.RegistryKey')
    $conv = [ordered]@{}; $kinds = [ordered]@{}
    foreach ($k in $vals.Keys) { $conv[$k] = ConvertFrom-LabRegData $vals[$k]; $kinds[$k] = [string]$vals[$k].type }
    $getValue = { param($n, $default) foreach ($k in $conv.Keys) { if ($k -ieq $n) { return $conv[$k] } }; $default }.GetNewClosure()
    $getKind = { param($n) foreach ($k in $kinds.Keys) { if ($k -ieq $n) { return $kinds[$k] } }; 'Unknown' }.GetNewClosure()
    # (members added directly: Add-Member costs more than the rest of a Get-Item)
    $m = $o.PSObject.Methods
    $m.Add([System.Management.Automation.PSScriptMethod]::new('GetValue', $getValue))
    $m.Add([System.Management.Automation.PSScriptMethod]::new('GetValueKind', $getKind))
    $m.Add([System.Management.Automation.PSScriptMethod]::new('GetValueNames', { , [string[]]$names }.GetNewClosure()))
    $m.Add([System.Management.Automation.PSScriptMethod]::new('GetSubKeyNames', { , [string[]]$subs }.GetNewClosure()))
    $o
}

function New-LabPropertyObject {
    param($HostState, [string]$Key, [string[]]$Names)
    $o = [ordered]@{}
    $all = @(Get-LabRegValueNames $HostState $Key)
    foreach ($n in $Names) { $real = @($all | Where-Object { $_ -ieq $n })[0]; $o[$real] = ConvertFrom-LabRegData (Get-LabRegValue $HostState $Key $n) }
    $parent = if ($Key.Contains('\')) { $Key.Substring(0, $Key.LastIndexOf('\')) } else { '' }
    $o.PSPath = "Microsoft.PowerShell.Core\Registry::HKEY_LOCAL_MACHINE\$Key"
    $o.PSParentPath = "Microsoft.PowerShell.Core\Registry::HKEY_LOCAL_MACHINE\$parent"
    $o.PSChildName = $Key.Substring($Key.LastIndexOf('\') + 1)
    $o.PSDrive = 'HKLM'
    $o.PSProvider = 'Microsoft.PowerShell.Core\Registry'
    [pscustomobject]$o
}


function ConvertTo-LabRegData {
    param($Value, [string]$Type)
    switch ($Type) {
        'DWord' { if ($Value -is [string] -and $Value -match '^0x[0-9a-f]+$') { return [int][Convert]::ToUInt32($Value.Substring(2), 16) }; $l = [long]$Value; if ($l -gt [int]::MaxValue) { $l = $l - 4294967296 }; return [int]$l }
        'QWord' { return [long]$Value }
        'Binary' { return [System.Convert]::ToBase64String([byte[]]@($Value)) }
        'MultiString' { return , [string[]]@($Value) }
        default { return [string]$Value }
    }
}

function Get-LabKindFromValue {
    param($Value)
    if ($Value -is [int] -or $Value -is [int16] -or $Value -is [byte] -or $Value -is [uint32]) { return 'DWord' }
    if ($Value -is [long]) { return 'QWord' }
    if ($Value -is [byte[]]) { return 'Binary' }
    if ($Value -is [string[]] -or $Value -is [object[]]) { return 'MultiString' }
    'String'
}

function Assert-LabRegWrite {
    param($Cmdlet, $State, [string]$Display, [string]$CmdType)
    if (Test-LabElevated $State) { return $true }
    $ex = [System.Security.SecurityException]::new('Requested registry access is not allowed.')
    Write-LabError $Cmdlet (New-LabErrorRecord $ex "System.Security.SecurityException,Microsoft.PowerShell.Commands.$CmdType" 'PermissionDenied' $Display)
    $false
}


function Test-LabRegShouldProcess {
    # the registry provider asks ShouldProcess before each write (-WhatIf, -Confirm), with its own texts
    # (RegistryProviderStrings.resx: "Set Property" / "Item: {0} Property: {1}", "New Item" / "Item: {0}", ...)
    param($Cmdlet, [string]$Action, [string]$Key, [string]$Property)
    $resource = if ($PSBoundParameters.ContainsKey('Property')) { "Item: HKEY_LOCAL_MACHINE\$Key Property: $Property" } else { "Item: HKEY_LOCAL_MACHINE\$Key" }
    $Cmdlet.ShouldProcess($resource, $Action)
}

function Invoke-LabRegistryItem {
    # one HKLM: path of an item cmdlet; each write adds its path to $FaultChecks (the caller saves when any did)
    param([string]$Verb, $Cmdlet, $Bound, $State, $HostState, $PathInfo, [System.Collections.Generic.List[string]]$FaultChecks)
    $cmdType = ($Verb -replace '-', '') + 'Command'
    $h = $HostState; $state = $State; $pi = $PathInfo; $disp = $PathInfo.Display; $faultChecks = $FaultChecks
    $key = Find-LabRegKey $h $pi.Sub
    $full = "HKLM:\$($pi.Sub)"
    switch ($Verb) {
        'Test-Path' {
            $ok = $null -ne $key
            if ($Bound.PathType -eq 'Leaf') { $ok = $false }
            $ok
        }
        'Get-Item' { if ($null -eq $key) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType) } else { New-LabRegKeyObject $h $key } }
        'Get-ChildItem' {
            if ($null -eq $key) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType); break }
            $queue = [System.Collections.Generic.Queue[string]]::new(); $queue.Enqueue($key)
            while ($queue.Count -gt 0) {
                $k = $queue.Dequeue()
                foreach ($c in (Get-LabRegSubKeys $h $k)) {
                    if ($Bound.Name) { $c.Substring($key.Length + 1) } else { New-LabRegKeyObject $h $c }
                    if ($Bound.Recurse) { $queue.Enqueue($c) }
                }
            }
        }
        'Get-ItemProperty' {
            if ($null -eq $key) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType); break }
            $all = @(Get-LabRegValueNames $h $key)
            if ($Bound.ContainsKey('Name')) {
                $want = @()
                foreach ($n in @($Bound.Name)) {
                    if ([System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($n)) { $want += @($all | Where-Object { $_ -like $n }); continue }
                    if (@($all | Where-Object { $_ -ieq $n }).Count -eq 0) {
                        Write-LabError $Cmdlet (New-LabErrorRecord ([System.Management.Automation.PSArgumentException]::new("Property $n does not exist at path HKEY_LOCAL_MACHINE\$key.")) "System.Management.Automation.PSArgumentException,Microsoft.PowerShell.Commands.$cmdType" 'InvalidArgument' $n)
                    }
                    else { $want += $n }
                }
                if ($want.Count -gt 0) { New-LabPropertyObject $h $key $want }
            }
            elseif ($all.Count -gt 0) { New-LabPropertyObject $h $key $all }
        }
        'New-Item' {
            if (-not (Assert-LabRegWrite $Cmdlet $state $disp $cmdType)) { break }
            $target = $pi.Sub
            if ($Bound.Name) { $target = Format-LabKey ($target + '\' + $Bound.Name) }
            $tk = Find-LabRegKey $h $target
            if ($null -ne $tk -and -not $Bound.Force) {
                Write-LabError $Cmdlet (New-LabErrorRecord ([System.IO.IOException]::new('A key at this path already exists.')) "System.IO.IOException,Microsoft.PowerShell.Commands.$cmdType" 'ResourceExists' "HKLM:\$target"); break
            }
            $parent = if ($target.Contains('\')) { $target.Substring(0, $target.LastIndexOf('\')) } else { '' }
            if ($null -eq (Find-LabRegKey $h $parent) -and -not $Bound.Force) { Write-LabError $Cmdlet (New-LabPathNotFound "HKLM:\$parent" $cmdType); break }
            if (-not (Test-LabRegShouldProcess $Cmdlet 'New Item' $target)) { break }
            if ($null -ne $tk) { Remove-LabRegKey $h $tk }   # New-Item -Force on an existing key re-creates it empty (as on Windows)
            $nk = New-LabRegKey $h $target
            $faultChecks.Add("HKLM:\$nk")
            New-LabRegKeyObject $h $nk
        }
        { $_ -in 'New-ItemProperty', 'Set-ItemProperty' } {
            if ($null -eq $key) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType); break }
            if (-not (Assert-LabRegWrite $Cmdlet $state $disp $cmdType)) { break }
            $name = [string]$Bound.Name
            $existing = Get-LabRegValue $h $key $name
            if ($Verb -eq 'New-ItemProperty') {
                if ($null -ne $existing -and -not $Bound.Force) {
                    Write-LabError $Cmdlet (New-LabErrorRecord ([System.IO.IOException]::new('The property already exists.')) "System.IO.IOException,Microsoft.PowerShell.Commands.$cmdType" 'ResourceExists' "HKEY_LOCAL_MACHINE\$key"); break
                }
                $type = if ($Bound.PropertyType) { [string]$Bound.PropertyType } else { 'String' }
            }
            else {
                $type = if ($Bound.Type) { [string]$Bound.Type } elseif ($null -ne $existing) { $existing.type } else { Get-LabKindFromValue $Bound.Value }
            }
            $type = switch -Regex ($type) { '^(?i)dword$' { 'DWord' } '^(?i)qword$' { 'QWord' } '^(?i)string$' { 'String' } '^(?i)expandstring$' { 'ExpandString' } '^(?i)multistring$' { 'MultiString' } '^(?i)binary$' { 'Binary' } default { $null } }
            if ($null -eq $type) { Write-LabError $Cmdlet (New-LabErrorRecord ([System.ArgumentException]::new('The property type is not valid.')) "System.ArgumentException,Microsoft.PowerShell.Commands.$cmdType" 'InvalidArgument' $name); break }
            try { $data = ConvertTo-LabRegData $Bound.Value $type }
            catch { Write-LabError $Cmdlet (New-LabErrorRecord ([System.ArgumentException]::new("The value '$($Bound.Value)' cannot be converted to $type.")) "System.ArgumentException,Microsoft.PowerShell.Commands.$cmdType" 'InvalidArgument' $name); break }
            $action = if ($Verb -eq 'New-ItemProperty') { 'New Property' } else { 'Set Property' }
            if (-not (Test-LabRegShouldProcess $Cmdlet $action $key $name)) { break }
            Set-LabRegValue $h $key $name $type $data
            $faultChecks.Add("HKLM:\$key\$name")
            if ($Verb -eq 'New-ItemProperty' -or $Bound.PassThru) { New-LabPropertyObject $h $key @($name) }
        }
        'Remove-ItemProperty' {
            if ($null -eq $key) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType); break }
            if (-not (Assert-LabRegWrite $Cmdlet $state $disp $cmdType)) { break }
            foreach ($n in @($Bound.Name)) {
                if ($null -ne (Get-LabRegValue $h $key $n) -and -not (Test-LabRegShouldProcess $Cmdlet 'Remove Property' $key $n)) { continue }
                if (-not (Remove-LabRegValue $h $key $n)) {
                    Write-LabError $Cmdlet (New-LabErrorRecord ([System.Management.Automation.PSArgumentException]::new("Property $n does not exist at path HKEY_LOCAL_MACHINE\$key.")) "System.Management.Automation.PSArgumentException,Microsoft.PowerShell.Commands.$cmdType" 'InvalidArgument' $n)
                }
                else { $faultChecks.Add("HKLM:\$key\$n") }
            }
        }
        'Remove-Item' {
            if ($null -eq $key) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType); break }
            if (-not (Assert-LabRegWrite $Cmdlet $state $disp $cmdType)) { break }
            if ((Get-LabRegSubKeys $h $key).Count -gt 0 -and -not $Bound.Recurse) {
                Write-LabError $Cmdlet (New-LabErrorRecord ([System.Management.Automation.PSInvalidOperationException]::new("The item at $disp has children and the Recurse parameter was not specified. Nothing has been removed.")) "CredHopLabRemoveNeedsRecurse,Microsoft.PowerShell.Commands.$cmdType" 'InvalidOperation' $disp); break
            }
            if (-not (Test-LabRegShouldProcess $Cmdlet 'Remove Key' $key)) { break }
            Remove-LabRegKey $h $key
            $faultChecks.Add("HKLM:\$key")
        }
        'Get-ItemPropertyValue' {
            if ($null -eq $key) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType); break }
            foreach ($n in @($Bound.Name)) {
                $v = Get-LabRegValue $h $key $n
                if ($null -eq $v) {
                    Write-LabError $Cmdlet (New-LabErrorRecord ([System.Management.Automation.PSArgumentException]::new("Property $n does not exist at path HKEY_LOCAL_MACHINE\$key.")) "System.Management.Automation.PSArgumentException,Microsoft.PowerShell.Commands.$cmdType" 'InvalidArgument' $n)
                }
                else { , (ConvertFrom-LabRegData $v) }
            }
        }
        'Clear-Item' {
            # on the registry, Clear-Item deletes every value of the key (and keeps the key and its subkeys)
            if ($null -eq $key) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType); break }
            if (-not (Assert-LabRegWrite $Cmdlet $state $disp $cmdType)) { break }
            if (-not (Test-LabRegShouldProcess $Cmdlet 'Clear Item' $key)) { break }
            $h.registry[$key] = [ordered]@{}
            $faultChecks.Add("HKLM:\$key")
        }
        default {
            Write-LabError $Cmdlet (New-LabErrorRecord ([System.NotSupportedException]::new("CredHop lab: $Verb is not modelled on HKLM: ('$disp').")) 'CredHopLabNotModelled' 'NotImplemented' $disp)
        }
    }
}
