# Errors and results: how a failure becomes data the TypeScript side can diagnose (codes and ids first).
# Part of the CredHop module (loaded by CredHop.psm1); see README.md.

function New-CredHopPayloadError {
    param([string]$Message)
    $ex = New-Object System.ArgumentException -ArgumentList $Message
    $ex.Data['CredHopKind'] = 'invalid-payload'
    $ex
}

function ConvertTo-CredHopInt32Code {
    param($Value)
    if ($null -eq $Value) { return $null }
    $n = $null
    if ($Value -is [string]) {
        $s = $Value.Trim()
        if ($s -match '^0[xX]([0-9A-Fa-f]{1,8})$') { $n = [long][Convert]::ToUInt32($Matches[1], 16) }
        elseif ($s -match '^-?\d{1,10}$') { $n = [long]$s }
        else { return $null }
    }
    else {
        try { $n = [long]$Value } catch { return $null }
    }
    if ($n -gt [int]::MaxValue -and $n -le [uint32]::MaxValue) { $n = $n - 4294967296 }
    if ($n -lt [int]::MinValue -or $n -gt [int]::MaxValue) { return $null }
    [int]$n
}

function Get-CredHopErrorCode {
    # the WinRM code of a transport exception, a deserialized remote exception, or an inner exception
    param($Exception)
    $e = $Exception
    $guard = 0
    while ($null -ne $e -and $guard -lt 8) {
        $guard++
        if ($e -is [System.Management.Automation.RemoteException]) {
            $s = $e.SerializedRemoteException
            if ($null -ne $s -and $null -ne $s.PSObject.Properties['ErrorCode']) {
                $c = ConvertTo-CredHopInt32Code $s.ErrorCode
                if ($null -ne $c) { return $c }
            }
        }
        elseif ($null -ne $e.PSObject.Properties['ErrorCode']) {
            $c = ConvertTo-CredHopInt32Code $e.ErrorCode
            if ($null -ne $c -and $c -ne 0) { return $c }
        }
        $e = $e.InnerException
    }
    $null
}

function Get-CredHopExceptionType {
    param($Exception)
    if ($Exception -is [System.Management.Automation.RemoteException]) {
        $s = $Exception.SerializedRemoteException
        if ($null -ne $s) {
            foreach ($t in $s.PSObject.TypeNames) {
                if ($t -like 'Deserialized.*') { return $t.Substring(13) }
                return $t
            }
        }
    }
    $Exception.GetType().FullName
}

function ConvertTo-CredHopErrorInfo {
    param($ErrorRecord, [switch]$Remote)
    $ex = $ErrorRecord.Exception
    $target = $null
    $t = $ErrorRecord.TargetObject
    if ($null -ne $t) {
        if ($t -is [System.Management.Automation.PSObject]) { $t = $t.PSObject.BaseObject }
        if ($t -is [string] -or $t -is [ValueType]) { $target = [string]$t }
    }
    $origin = 'local'
    if ($ex -is [System.Management.Automation.RemoteException]) { $origin = 'remote' }
    $info = New-Object System.Collections.Specialized.OrderedDictionary
    $info['message'] = [string]$ex.Message
    $info['fullyQualifiedErrorId'] = [string]$ErrorRecord.FullyQualifiedErrorId
    $info['errorCode'] = Get-CredHopErrorCode $ex
    $info['exceptionType'] = Get-CredHopExceptionType $ex
    $info['category'] = [string]$ErrorRecord.CategoryInfo.Category
    if ($Remote) {
        $info['targetObject'] = $target
        $info['origin'] = $origin
    }
    $info
}

function Write-CredHopLine {
    param($Object)
    'CREDHOP:' + (ConvertTo-Json -InputObject $Object -Compress -Depth 10)
}
