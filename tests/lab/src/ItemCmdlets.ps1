# CredHop lab: The item cmdlets on HKLM: and WSMan: (every other path forwards to the real cmdlet).
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).

# ---------------------------------------------------------------------------------------------
# Item cmdlets on HKLM: and WSMan: (everything else forwards to the real cmdlet)
# ---------------------------------------------------------------------------------------------
function Get-LabPathInfo {
    param([string]$Path)
    if ($null -eq $Path) { return $null }
    $s = $Path -replace '/', '\'
    if ($s -match '^(?:Microsoft\.PowerShell\.Core\\)?Registry::(?:HKEY_LOCAL_MACHINE|HKLM)(?:\\(?<r>.*))?$' -or $s -match '^HKLM:(?:\\(?<r>.*))?$') {
        return @{ Kind = 'HKLM'; Sub = (Format-LabKey $Matches.r); Display = $Path }
    }
    if ($s -match '^(?:Microsoft\.WSMan\.Management\\)?WSMan::?(?:\\(?<r>.*))?$') {
        return @{ Kind = 'WSMan'; Sub = (Format-LabKey $Matches.r); Display = $Path }
    }
    $null
}

function Get-LabBoundPaths {
    param($Bound)
    $p = @()
    if ($Bound.ContainsKey('LiteralPath')) { $p = @($Bound['LiteralPath']) } elseif ($Bound.ContainsKey('Path')) { $p = @($Bound['Path']) }
    $p
}

function Test-LabItemCall {
    param($Bound)
    foreach ($p in (Get-LabBoundPaths $Bound)) { if ($null -ne (Get-LabPathInfo ([string]$p))) { return $true } }
    $false
}

function New-LabPathNotFound {
    param([string]$Display, [string]$CmdType)
    $ex = [System.Management.Automation.ItemNotFoundException]::new("Cannot find path '$Display' because it does not exist.")
    New-LabErrorRecord $ex "PathNotFound,Microsoft.PowerShell.Commands.$CmdType" 'ObjectNotFound' $Display
}

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
    $o | Microsoft.PowerShell.Utility\Add-Member -MemberType ScriptMethod -Name GetValue -Value $getValue
    $o | Microsoft.PowerShell.Utility\Add-Member -MemberType ScriptMethod -Name GetValueKind -Value $getKind
    $o | Microsoft.PowerShell.Utility\Add-Member -MemberType ScriptMethod -Name GetValueNames -Value ({ , [string[]]$names }.GetNewClosure())
    $o | Microsoft.PowerShell.Utility\Add-Member -MemberType ScriptMethod -Name GetSubKeyNames -Value ({ , [string[]]$subs }.GetNewClosure())
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

$script:WsmanTree = @{
    'localhost'                 = @('Client', 'Service')
    'localhost\Client'          = @('Auth')
    'localhost\Service'         = @('Auth')
    'localhost\Client\Auth'     = @('Basic', 'Digest', 'Kerberos', 'Negotiate', 'Certificate', 'CredSSP')
    'localhost\Service\Auth'    = @('Basic', 'Kerberos', 'Negotiate', 'Certificate', 'CredSSP', 'CbtHardeningLevel')
}
$script:WsmanFixed = @{ Basic = 'false'; Digest = 'true'; Kerberos = 'true'; Negotiate = 'true'; Certificate = 'false'; CbtHardeningLevel = 'Relaxed' }

function Get-LabWsmanNode {
    # returns @{ Path; Leaf (bool); Role; Name } with canonical case, or $null
    param([string]$Sub)
    if ($Sub -eq '') { return @{ Path = ''; Leaf = $false; Name = '' } }
    foreach ($k in $script:WsmanTree.Keys) { if ($k -ieq $Sub) { return @{ Path = $k; Leaf = $false; Name = $k.Substring($k.LastIndexOf('\') + 1) } } }
    $i = $Sub.LastIndexOf('\')
    if ($i -lt 0) { return $null }
    $parent = $Sub.Substring(0, $i); $leaf = $Sub.Substring($i + 1)
    foreach ($k in $script:WsmanTree.Keys) {
        if ($k -ieq $parent) {
            foreach ($c in $script:WsmanTree[$k]) {
                if ($c -ieq $leaf) { return @{ Path = "$k\$c"; Leaf = ($k -like '*\Auth'); Role = $(if ($k -like 'localhost\Client*') { 'Client' } else { 'Service' }); Name = $c; Parent = $k } }
            }
        }
    }
    $null
}

function New-LabWsmanObject {
    param($HostState, $Node)
    if ($Node.Leaf) {
        $val = if ($Node.Name -eq 'CredSSP') { ([string](Get-LabWinRMFlag $HostState $Node.Role)).ToLowerInvariant() } else { $script:WsmanFixed[$Node.Name] }
        $src = if ($Node.Name -eq 'CredSSP' -and $null -ne (Get-LabWinRMPolicy $HostState $Node.Role)) { 'GPO' } else { '' }
        $o = [pscustomobject]@{ WSManConfig = "Microsoft.WSMan.Management\WSMan::$($Node.Parent)"; Name = $Node.Name; Value = $val; Type = 'System.String'; SourceOfValue = $src; PSPath = "Microsoft.WSMan.Management\WSMan::$($Node.Path)"; PSChildName = $Node.Name; PSIsContainer = $false }
        $o.PSObject.TypeNames.Insert(0, 'Microsoft.WSMan.Management.WSManConfigLeafElement')
        return $o
    }
    $o = [pscustomobject]@{ Name = $Node.Name; Type = 'Container'; Keys = @(); PSPath = "Microsoft.WSMan.Management\WSMan::$($Node.Path)"; PSChildName = $Node.Name; PSIsContainer = $true }
    $o.PSObject.TypeNames.Insert(0, 'Microsoft.WSMan.Management.WSManConfigContainerElement')
    $o
}

function Assert-LabWsmanService {
    param($Cmdlet, $HostState, [string]$Display)
    if ($HostState.winrm) { return $true }
    $ex = [System.InvalidOperationException]::new('The client cannot connect to the destination specified in the request. Verify that the service on the destination is running and is accepting requests. Consult the logs and documentation for the WS-Management service running on the destination, most commonly IIS or WinRM. If the destination is the WinRM service, run the following command on the destination to analyze and configure the WinRM service: "winrm quickconfig".')
    Write-LabError $Cmdlet (New-LabErrorRecord $ex 'System.InvalidOperationException,Microsoft.PowerShell.Commands.GetItemCommand' 'InvalidOperation' $Display)
    $false
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

function Invoke-LabItem {
    param([string]$Verb, $Cmdlet, $Bound)
    $cmdType = ($Verb -replace '-', '') + 'Command'
    $state = Read-LabState
    $h = Get-LabCtxHost $state
    $dirty = $false
    $faultChecks = [System.Collections.Generic.List[string]]::new()
    foreach ($raw in (Get-LabBoundPaths $Bound)) {
        $pi = Get-LabPathInfo ([string]$raw)
        if ($null -eq $pi) { Write-LabError $Cmdlet (New-LabErrorRecord ([System.NotSupportedException]::new("CredHop lab: cannot mix HKLM:/WSMan: paths with other paths in one call ('$raw').")) 'CredHopLabMixedPaths' 'NotImplemented' $raw); continue }
        $disp = $pi.Display
        if ($pi.Kind -eq 'WSMan') {
            $node = Get-LabWsmanNode $pi.Sub
            if ($Verb -ne 'Test-Path' -and $node -and -not (Assert-LabWsmanService $Cmdlet $h $disp)) { continue }
            switch ($Verb) {
                'Test-Path' {
                    $ok = $null -ne $node
                    if ($ok -and $Bound.PathType -eq 'Leaf') { $ok = $node.Leaf }
                    if ($ok -and $Bound.PathType -eq 'Container') { $ok = -not $node.Leaf }
                    $ok
                }
                'Get-Item' { if ($null -eq $node) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType) } else { New-LabWsmanObject $h $node } }
                'Get-ChildItem' {
                    if ($null -eq $node) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType); break }
                    if ($node.Path -eq '') { New-LabWsmanObject $h (Get-LabWsmanNode 'localhost'); break }
                    if ($node.Leaf) { New-LabWsmanObject $h $node; break }
                    foreach ($c in $script:WsmanTree[$node.Path]) { New-LabWsmanObject $h (Get-LabWsmanNode "$($node.Path)\$c") }
                }
                'Set-Item' {
                    if ($null -eq $node) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType); break }
                    if (-not $node.Leaf -or $node.Name -ne 'CredSSP') {
                        Write-LabError $Cmdlet (New-LabErrorRecord ([System.NotSupportedException]::new("CredHop lab: only ...\Auth\CredSSP can be set on the WSMan: drive (not '$disp').")) 'CredHopLabNotModelled' 'NotImplemented' $disp); break
                    }
                    if (-not (Test-LabElevated $state)) {
                        Write-LabError $Cmdlet (New-LabErrorRecord ([System.UnauthorizedAccessException]::new('Access is denied.')) 'System.UnauthorizedAccessException,Microsoft.PowerShell.Commands.SetItemCommand' 'PermissionDenied' $disp); break
                    }
                    $v = $Bound.Value
                    $b = $null
                    if ($v -is [bool]) { $b = $v } elseif ("$v" -match '^(?i:true|1)$') { $b = $true } elseif ("$v" -match '^(?i:false|0)$') { $b = $false }
                    if ($null -eq $b) {
                        Write-LabError $Cmdlet (New-LabErrorRecord ([System.ArgumentException]::new("The WS-Management service cannot process the request because the value '$v' is not valid for CredSSP (true or false).")) 'System.ArgumentException,Microsoft.PowerShell.Commands.SetItemCommand' 'InvalidArgument' $disp); break
                    }
                    if ($null -ne (Get-LabWinRMPolicy $h $node.Role)) {
                        Write-LabError $Cmdlet (New-LabErrorRecord ([System.InvalidOperationException]::new($script:Texts.W1)) 'System.InvalidOperationException,Microsoft.PowerShell.Commands.SetItemCommand' 'InvalidOperation' $disp); break
                    }
                    Set-LabWinRMFlagRaw $h $node.Role $b
                    $dirty = $true; $faultChecks.Add("WSMan:\$($node.Path)")
                }
                default {
                    Write-LabError $Cmdlet (New-LabErrorRecord ([System.NotSupportedException]::new("CredHop lab: $Verb is not modelled on the WSMan: drive ('$disp').")) 'CredHopLabNotModelled' 'NotImplemented' $disp)
                }
            }
            continue
        }
        # ---- HKLM
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
                if ($null -ne $tk) { Remove-LabRegKey $h $tk }   # New-Item -Force on an existing key re-creates it empty (as on Windows)
                $nk = New-LabRegKey $h $target
                $dirty = $true; $faultChecks.Add("HKLM:\$nk")
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
                Set-LabRegValue $h $key $name $type $data
                $dirty = $true; $faultChecks.Add("HKLM:\$key\$name")
                if ($Verb -eq 'New-ItemProperty' -or $Bound.PassThru) { New-LabPropertyObject $h $key @($name) }
            }
            'Remove-ItemProperty' {
                if ($null -eq $key) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType); break }
                if (-not (Assert-LabRegWrite $Cmdlet $state $disp $cmdType)) { break }
                foreach ($n in @($Bound.Name)) {
                    if (-not (Remove-LabRegValue $h $key $n)) {
                        Write-LabError $Cmdlet (New-LabErrorRecord ([System.Management.Automation.PSArgumentException]::new("Property $n does not exist at path HKEY_LOCAL_MACHINE\$key.")) "System.Management.Automation.PSArgumentException,Microsoft.PowerShell.Commands.$cmdType" 'InvalidArgument' $n)
                    }
                    else { $dirty = $true; $faultChecks.Add("HKLM:\$key\$n") }
                }
            }
            'Remove-Item' {
                if ($null -eq $key) { Write-LabError $Cmdlet (New-LabPathNotFound $disp $cmdType); break }
                if (-not (Assert-LabRegWrite $Cmdlet $state $disp $cmdType)) { break }
                if ((Get-LabRegSubKeys $h $key).Count -gt 0 -and -not $Bound.Recurse) {
                    Write-LabError $Cmdlet (New-LabErrorRecord ([System.Management.Automation.PSInvalidOperationException]::new("The item at $disp has children and the Recurse parameter was not specified. Nothing has been removed.")) "CredHopLabRemoveNeedsRecurse,Microsoft.PowerShell.Commands.$cmdType" 'InvalidOperation' $disp); break
                }
                Remove-LabRegKey $h $key
                $dirty = $true; $faultChecks.Add("HKLM:\$key")
            }
            default {
                Write-LabError $Cmdlet (New-LabErrorRecord ([System.NotSupportedException]::new("CredHop lab: $Verb is not modelled on HKLM: ('$disp').")) 'CredHopLabNotModelled' 'NotImplemented' $disp)
            }
        }
    }
    if ($dirty) {
        Save-LabState $state
        foreach ($p in $faultChecks) { Invoke-LabWriteFault $Verb $p }
    }
}

# Generate the shadow item cmdlets from the real cmdlets' metadata (same parameters and sets).
$script:ItemVerbs = @('Test-Path', 'Get-Item', 'Get-ChildItem', 'Get-ItemProperty', 'New-Item', 'New-ItemProperty', 'Set-Item', 'Set-ItemProperty', 'Remove-Item', 'Remove-ItemProperty')
foreach ($verb in $script:ItemVerbs) {
    $real = Microsoft.PowerShell.Core\Get-Command "Microsoft.PowerShell.Management\$verb" -CommandType Cmdlet
    $meta = [System.Management.Automation.CommandMetadata]::new($real)
    $extra = ''
    if ($verb -eq 'Set-ItemProperty') { $extra = ",`n    [Parameter()][string]`${Type}" }
    $binding = [System.Management.Automation.ProxyCommand]::GetCmdletBindingAttribute($meta)
    $params = [System.Management.Automation.ProxyCommand]::GetParamBlock($meta)
    $src = @"
function $verb {
$binding
param($params$extra)
process {
    Import-LabCallerPreference `$PSCmdlet `$PSBoundParameters
    if (Test-LabItemCall `$PSBoundParameters) { Invoke-LabItem '$verb' `$PSCmdlet `$PSBoundParameters; return }
    `$fwd = @{} + `$PSBoundParameters
    [void]`$fwd.Remove('Type')
    Microsoft.PowerShell.Management\$verb @fwd
}
}
"@
    . ([scriptblock]::Create($src))
}
