# CredHop lab: Windows' error codes and English texts (from the reference), and how the lab raises ErrorRecords.
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).

$script:Codes = @{
    E1             = @{ Code = 1312; Id = '1312' }
    E2             = @{ Code = -2144108125; Id = '-2144108125' }
    E3             = @{ Code = -2144108124; Id = '-2144108124' }
    E4             = @{ Code = 5; Id = 'AccessDenied' }
    E5             = @{ Code = -2144108126; Id = '-2144108126' }
    E6             = @{ Code = -2144108387; Id = '-2144108387' }
    E7             = @{ Code = 5; Id = 'AccessDenied' }
    Timeout        = @{ Code = -2144108250; Id = 'WinRMOperationTimeout' }
    NotFound       = @{ Code = -2144108103; Id = 'ComputerNotFound' }
    CannotConnect  = @{ Code = -2144108526; Id = 'CannotConnect' }
    IPAddress      = @{ Code = -2144108101; Id = 'CannotUseIPAddress' }
    LogonFailure   = @{ Code = 1326; Id = 'LogonFailure' }
    CredSSPNoCred  = @{ Code = -2144108127; Id = '-2144108127' }
    # ERROR_WSMAN_SERVER_NOT_TRUSTED 0x803380E4 (wsmerror.h); id as PowerShell prints it (see README)
    NotTrusted     = @{ Code = -2144108316; Id = 'ServerNotTrusted' }
}
$script:Prefix = 'Connecting to remote server {0} failed with the following error message : '
$script:Suffix = ' For more information, see the about_Remote_Troubleshooting Help topic.'
$script:Texts = @{
    E1            = 'WinRM cannot process the request. The following error with errorcode 0x8009030e occurred while using {1} authentication: A specified logon session does not exist. It may already have been terminated. Possible causes are: -The user name or password specified are invalid. -Kerberos is used when no authentication method and no user name are specified. -Kerberos accepts domain user names, but not local user names. -The Service Principal Name (SPN) for the remote computer name and port does not exist. -The client and remote computers are in different domains and there is no trust between the two domains. After checking for the above issues, try the following: -Check the Event Viewer for events related to authentication. -Change the authentication method; add the destination computer to the WinRM TrustedHosts configuration setting or use HTTPS transport. Note that computers in the TrustedHosts list might not be authenticated. -For more information about WinRM configuration, run the following command: winrm help config.'
    E2            = 'The WinRM client cannot process the request. A computer policy does not allow the delegation of the user credentials to the target computer. Use gpedit.msc and look at the following policy: Computer Configuration -> Administrative Templates -> System -> Credentials Delegation -> Allow Delegating Fresh Credentials.  Verify that it is enabled and configured with an SPN appropriate for the target computer. For example, for a target computer name "myserver.domain.com", the SPN can be one of the following: WSMAN/myserver.domain.com or WSMAN/*.domain.com.'
    E3            = 'The WinRM client cannot process the request. A computer policy does not allow the delegation of the user credentials to the target computer because the computer is not trusted. The identity of the target computer can be verified if you configure the WSMAN service to use a valid certificate using the following command: winrm set winrm/config/service ''@{CertificateThumbprint="<thumbprint>"}''  Or you can check the Event Viewer for an event that specifies that the following SPN could not be created: WSMAN/<computerFQDN>. If you find this event, you can manually create the SPN using setspn.exe .  If the SPN exists, but CredSSP cannot use Kerberos to validate the identity of the target computer and you still want to allow the delegation of the user credentials to the target computer, use gpedit.msc and look at the following policy: Computer Configuration -> Administrative Templates -> System -> Credentials Delegation -> Allow Fresh Credentials with NTLM-only Server Authentication.  Verify that it is enabled and configured with an SPN appropriate for the target computer. For example, for a target computer name "myserver.domain.com", the SPN can be one of the following: WSMAN/myserver.domain.com or WSMAN/*.domain.com. Try the request again after these changes.'
    E4            = 'The WinRM client cannot process the request. The authentication mechanism requested by the client is not supported by the server or unencrypted traffic is disabled in the service configuration. Verify the unencrypted traffic setting in the service configuration or specify one of the authentication mechanisms supported by the server.  To use Kerberos, specify the computer name as the remote destination. Also verify that the client computer and the destination computer are joined to a domain. To use Basic, specify the computer name as the remote destination, specify Basic authentication and provide user name and password. Possible authentication mechanisms reported by server:     Negotiate Kerberos'
    E5            = 'The WinRM client cannot process the request. CredSSP authentication is currently disabled in the client configuration. Change the client configuration and try the request again. CredSSP authentication must also be enabled in the server configuration. Also, Group Policy must be edited to allow credential delegation to the target computer.'
    E6            = 'WinRM cannot process the request. The following error with errorcode 0x80090322 occurred while using Kerberos authentication: An unknown security error occurred.  Possible causes are: -The user name or password specified are invalid. -Kerberos is used when no authentication method and no user name are specified. -Kerberos accepts domain user names, but not local user names. -The Service Principal Name (SPN) for the remote computer name and port does not exist. -The client and remote computers are in different domains and there is no trust between the two domains.'
    E7            = 'Access is denied.'
    Unreachable   = 'WinRM cannot complete the operation. Verify that the specified computer name is valid, that the computer is accessible over the network, and that a firewall exception for the WinRM service is enabled and allows access from this computer. By default, the WinRM firewall exception for public profiles limits access to remote computers within the same local subnet.'
    IPAddress     = 'The WinRM client cannot process the request. Default authentication may be used with an IP address under the following conditions: the transport is HTTPS or the destination is in the TrustedHosts list, and explicit credentials are provided. Use winrm.cmd to configure TrustedHosts. Note that computers in the TrustedHosts list might not be authenticated. For more information on how to set TrustedHosts run the following command: winrm help config.'
    LogonFailure  = 'The user name or password is incorrect.'
    CredSSPNoCred = 'The WinRM client cannot process the request. Requests must include user name and password when CredSSP authentication mechanism is used. Add the user name and password or change the authentication mechanism and try the request again.'
    NotTrusted    = 'The WinRM client cannot process the request. If the authentication scheme is different from Kerberos, or if the client computer is not joined to a domain, then HTTPS transport must be used or the destination machine must be added to the TrustedHosts configuration setting. Use winrm.cmd to configure TrustedHosts. Note that computers in the TrustedHosts list might not be authenticated. You can get more information about that by running the following command: winrm help config.'
    NoService     = 'The client cannot connect to the destination specified in the request. Verify that the service on the destination is running and is accepting requests. Consult the logs and documentation for the WS-Management service running on the destination, most commonly IIS or WinRM. If the destination is the WinRM service, run the following command on the destination to analyze and configure the WinRM service: "winrm quickconfig".'
    E9Enable      = 'This command cannot be executed because the setting cannot be enabled.'
    E9Disable     = 'This command cannot be executed because the setting cannot be disabled.'
    E10           = 'Access is denied. You need to run this cmdlet from an elevated process.'
    W1            = 'The config setting CredSSP cannot be changed because is controlled by policies. The policy would need to be set to "Not Configured" in order to change the config setting.'
    GetConfigured = 'The machine is configured to allow delegating fresh credentials to the following target(s):'
    GetNotConfig  = 'The machine is not configured to allow delegating fresh credentials.'
    GetReceive    = 'This computer is configured to receive credentials from a remote client computer.'
    GetNoReceive  = 'This computer is not configured to receive credentials from a remote client computer.'
    ConsentQuery  = 'CredSSP authentication allows the user credentials on this computer to be sent to a remote computer. If you use CredSSP authentication for a connection to a malicious or compromised computer, that computer will have access to your user name and password. For more information, see the Enable-WSManCredSSP Help topic. Do you want to enable CredSSP authentication?'
    ConsentServer = 'CredSSP authentication allows the server to accept user credentials from a remote computer. If you enable CredSSP authentication on the server, the server will have access to the user name and password of the client computer if the client computer sends them. For more information, see the Enable-WSManCredSSP Help topic. Do you want to enable CredSSP authentication?'
    ConsentDisable = 'Do you want to disable CredSSP authentication?'
    ConsentCaption = 'CredSSP Authentication Configuration for WS-Management'
    # the WSMan: provider's own (PowerShell's WsManResources.resx)
    WinRMStartCaption = 'Start WinRM Service'
    WinRMStartQuery   = "WinRM service is not started currently. Running this command will start the WinRM service.`n`nDo you want to continue?"
    WinRMServiceError = 'This command cannot be executed because the WinRM Service is not started.'
    SetItemNoValue    = 'This command cannot be used because Parameter Value is not supplied. Check the value again and run your command.'
    SetItemNotSupported = 'This command cannot be used in the current path because this cmdlet is not supported at this level of Provider path.'
    TrustedHostType   = "Cannot convert 'System.Object[]' to the type 'System.String' required by the parameter. Specified method is not supported."
    SetItemWhatIf     = '"Set-Item" on the WinRM configuration setting "{0}" to update the value to "{1}"'
}

# ErrorRecord internals the lab sets so its errors look like a compiled cmdlet's (PowerShell's ErrorPackage.cs):
# a function's errors otherwise get ",<function name>" appended to their id, and their position and
# ScriptStackTrace point into the lab's files instead of the caller's line.
$script:ErrFqid = [System.Management.Automation.ErrorRecord].GetField('_serializedFullyQualifiedErrorId', [System.Reflection.BindingFlags]'NonPublic,Instance')
$script:ErrStack = [System.Management.Automation.ErrorRecord].GetField('_scriptStackTrace', [System.Reflection.BindingFlags]'NonPublic,Instance')
$script:ErrSetInvocation = [System.Management.Automation.ErrorRecord].GetMethod('SetInvocationInfo', [System.Reflection.BindingFlags]'NonPublic,Instance')

function New-LabErrorRecord {
    param(
        [Parameter(Mandatory)][System.Exception]$Exception,
        [Parameter(Mandatory)][string]$Id,
        [System.Management.Automation.ErrorCategory]$Category = 'NotSpecified',
        $Target = $null
    )
    $er = [System.Management.Automation.ErrorRecord]::new($Exception, $Id, $Category, $Target)
    # Keep the id exactly as Windows prints it (a function would otherwise append its own name).
    $script:ErrFqid.SetValue($er, $Id)
    $script:PreserveInvocation.SetValue($er, $true)
    $er
}

function Set-LabErrorSite {
    # the error as a compiled cmdlet raises it: its InvocationInfo is the command's call in the caller's
    # script (position, MyCommand), and its ScriptStackTrace starts at the caller, not inside the lab
    param($Cmdlet, [System.Management.Automation.ErrorRecord]$ErrorRecord)
    # the (outermost) frame of the command itself: its name can carry a block suffix ('Set-Item<Process>'),
    # and a trap in it runs in a frame of the same invocation
    $frames = @(Get-PSCallStack)
    $i = $frames.Count
    for ($k = 0; $k -lt $frames.Count; $k++) { if ([object]::ReferenceEquals($frames[$k].InvocationInfo, $Cmdlet.MyInvocation)) { $i = $k } }
    $script:ErrStack.SetValue($ErrorRecord, ((@($frames | Select-Object -Skip ($i + 1)) | ForEach-Object { $_.ToString() }) -join [System.Environment]::NewLine))
    $null = $script:ErrSetInvocation.Invoke($ErrorRecord, @($Cmdlet.MyInvocation))
    $script:PreserveInvocation.SetValue($ErrorRecord, $true)
}

function Write-LabError {
    param($Cmdlet, [System.Management.Automation.ErrorRecord]$ErrorRecord)
    Set-LabErrorSite $Cmdlet $ErrorRecord
    $Cmdlet.WriteError($ErrorRecord)
}

function Stop-LabCommand {
    # a terminating error of the command $Cmdlet runs (ThrowTerminatingError of a compiled cmdlet)
    param($Cmdlet, [System.Management.Automation.ErrorRecord]$ErrorRecord)
    Set-LabErrorSite $Cmdlet $ErrorRecord
    throw $ErrorRecord
}
