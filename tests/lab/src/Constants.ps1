# CredHop lab: Registry paths, list names and the GPO extension GUIDs the rest of the lab shares.
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).

# ---------------------------------------------------------------------------------------------
# Constants (registry paths are relative to HKEY_LOCAL_MACHINE)
# ---------------------------------------------------------------------------------------------
$script:KeyCD = 'SOFTWARE\Policies\Microsoft\Windows\CredentialsDelegation'
$script:KeyWinRMPolicyClient = 'SOFTWARE\Policies\Microsoft\Windows\WinRM\Client'
$script:KeyWinRMPolicyService = 'SOFTWARE\Policies\Microsoft\Windows\WinRM\Service'
$script:KeyWsmanClient = 'SOFTWARE\Microsoft\Windows\CurrentVersion\WSMAN\Client'
$script:KeyWsmanService = 'SOFTWARE\Microsoft\Windows\CurrentVersion\WSMAN\Service'
$script:KeyOracle = 'SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\CredSSP\Parameters'
$script:Lists = @{
    fresh     = @{ Allow = 'AllowFreshCredentials'; Concat = 'ConcatenateDefaults_AllowFresh'; Sub = 'AllowFreshCredentials' }
    freshNtlm = @{ Allow = 'AllowFreshCredentialsWhenNTLMOnly'; Concat = 'ConcatenateDefaults_AllowFreshNTLMOnly'; Sub = 'AllowFreshCredentialsWhenNTLMOnly' }
}
$script:RegistryCse = '{35378EAC-683F-11D2-A89A-00C04FBBCFA2}'
$script:RegistryTool = '{D02B1F72-3407-48AE-BA88-E8213C6761F1}'
