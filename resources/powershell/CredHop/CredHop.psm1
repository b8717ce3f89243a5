<#
  CredHop PowerShell module: small primitives, one read or one effect each.

  Protocol: Invoke-CredHop -Primitive <Name> -Payload <base64 of UTF-8 JSON>
  writes exactly one line: 'CREDHOP:' + compressed JSON
     {"ok":true,"data":...}
     {"ok":false,"error":{"kind","message","fullyQualifiedErrorId","errorCode","exceptionType","category"}}

  Runs on Windows PowerShell 5.1 and PowerShell 7: no ternary, no '??', no '&&', no PS7-only
  parameters without a fallback. No user value is ever spliced into PowerShell source.
  This module defines no function with the name of an operating-system command.
  See README.md next to this file.
#>
Set-StrictMode -Off

# Management sessions kept open to jump servers (never CredSSP), by host|authentication|user, so a flow
# reads, configures and restores a jump server over one connection. CloseSessions ends them when a
# clean-up leaves nothing to restore (no remote shell stays behind on a jump server).
$script:RemoteSessions = @{}
$script:Primitives = @('GetHostState', 'GetCheckState', 'GetCredSSPView', 'AddDelegation', 'RemoveDelegation', 'SetDelegationFlags', 'SetWinRMFlag', 'SetWinRMService', 'SetTrustedHosts', 'InvokeRemote', 'CloseSessions', 'RefreshPolicy', 'GetPolicyEditor', 'Scan')
$script:ScriptNames = @('ReadServerState', 'ReadServerCheck', 'SetServiceFlag', 'Probe', 'ProbeExplicit', 'Whoami')
$script:AuthNames = @('Default', 'Kerberos', 'Negotiate', 'CredSSP')
$script:MaxPayloadChars = 65536

$script:KeyCD = 'SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation'
$script:HklmCD = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation'
$script:Lists = @{
    fresh     = @{ Allow = 'AllowFreshCredentials'; Concat = 'ConcatenateDefaults_AllowFresh'; Sub = 'AllowFreshCredentials' }
    freshNtlm = @{ Allow = 'AllowFreshCredentialsWhenNTLMOnly'; Concat = 'ConcatenateDefaults_AllowFreshNTLMOnly'; Sub = 'AllowFreshCredentialsWhenNTLMOnly' }
}
$script:RegistryCse = '{35378EAC-683F-11D2-A89A-00C04FBBCFA2}'
$script:RegistryTool = '{D02B1F72-3407-48AE-BA88-E8213C6761F1}'
$script:RemotingNoise = @('PSComputerName', 'RunspaceId', 'PSShowComputerName', 'PSSourceJobInstanceId')
$script:DefaultProbe = '[pscustomobject]@{ computerName = ([string](hostname)).Trim(); userName = ([string](whoami)).Trim() }'

# The module is edited in small files by area (src/), loaded here in a fixed order. Dot-sourcing keeps
# them in this module's scope, so $script: variables and private functions are shared as in one file.
foreach ($part in @('Errors', 'Payload', 'Secrets', 'PolicyFileIo', 'PolicyFile', 'Registry', 'Probes', 'HostState', 'Delegation', 'WinRM', 'Remoting', 'Scan', 'GroupPolicy', 'ScheduledRestore', 'RestorePlan', 'Batch', 'Entry')) {
    . ([System.IO.Path]::Combine($PSScriptRoot, 'src', $part + '.ps1'))
}

Export-ModuleMember -Function Invoke-CredHop
