# The one entry point TypeScript calls: Invoke-CredHop.
# Part of the CredHop module (loaded by CredHop.psm1); see README.md.

function Invoke-CredHop {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)][AllowEmptyString()][string]$Primitive,
        [Parameter(Mandatory = $true)][AllowEmptyString()][string]$Payload,
        # The id of this call's secret channel, when the payload refers to passwords (src/Secrets.ps1).
        [string]$SecretChannel
    )
    $ErrorActionPreference = 'Stop'
    $WarningPreference = 'SilentlyContinue'
    $ProgressPreference = 'SilentlyContinue'
    $InformationPreference = 'SilentlyContinue'
    $VerbosePreference = 'SilentlyContinue'
    $DebugPreference = 'SilentlyContinue'
    $ConfirmPreference = 'None'
    $script:Result = $null
    $line = $null
    try {
        $known = $false
        foreach ($p in $script:Primitives) { if ($p -ceq $Primitive) { $known = $true } }
        if (-not $known) {
            $shown = 'the requested name'
            if ($Primitive -cmatch '\A[A-Za-z]{1,40}\z') { $shown = $Primitive }
            $e = New-Object System.Collections.Specialized.OrderedDictionary
            $e['kind'] = 'unknown-primitive'
            $e['message'] = "Unknown primitive: $shown. Known: $($script:Primitives -join ', ')."
            $e['fullyQualifiedErrorId'] = 'CredHop.UnknownPrimitive'
            $e['errorCode'] = $null
            $e['exceptionType'] = 'System.ArgumentException'
            $e['category'] = 'InvalidArgument'
            $line = Write-CredHopLine ([ordered]@{ ok = $false; error = $e })
        }
        else {
            $obj = ConvertFrom-CredHopPayload $Payload
            if (-not [string]::IsNullOrEmpty($SecretChannel)) { Receive-CredHopSecrets $SecretChannel }
            & "Invoke-CredHop$Primitive" $obj 3>$null 4>$null 5>$null 6>$null | Out-Null
            $line = Write-CredHopLine ([ordered]@{ ok = $true; data = $script:Result })
        }
    }
    catch {
        $e = ConvertTo-CredHopFailure $_
        try { $line = Write-CredHopLine ([ordered]@{ ok = $false; error = $e }) }
        catch { $line = 'CREDHOP:{"ok":false,"error":{"kind":"failed","message":"CredHop could not serialize its result.","fullyQualifiedErrorId":"CredHop.SerializationFailed","errorCode":null,"exceptionType":"System.InvalidOperationException","category":"NotSpecified"}}' }
    }
    finally {
        $script:Result = $null
        Clear-CredHopSecrets
    }
    $line
}

function ConvertTo-CredHopFailure {
    # A primitive's failure as the answer's error: its kind (a payload refusal, a secret channel, ...) and
    # the error record's plain facts.
    param($ErrorRecord)
    $info = ConvertTo-CredHopErrorInfo $ErrorRecord
    $kind = 'failed'
    $ex = $ErrorRecord.Exception
    while ($null -ne $ex) {
        if ($ex.Data -and $ex.Data.Contains('CredHopKind')) { $kind = [string]$ex.Data['CredHopKind']; break }
        $ex = $ex.InnerException
    }
    $e = New-Object System.Collections.Specialized.OrderedDictionary
    $e['kind'] = $kind
    $e['message'] = $info['message']
    $e['fullyQualifiedErrorId'] = $info['fullyQualifiedErrorId']
    $e['errorCode'] = $info['errorCode']
    $e['exceptionType'] = $info['exceptionType']
    $e['category'] = $info['category']
    if ($kind -eq 'invalid-payload') { $e['fullyQualifiedErrorId'] = 'CredHop.InvalidPayload'; $e['category'] = 'InvalidArgument' }
    $e
}
