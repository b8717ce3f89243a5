# CredHop lab: name resolution (Resolve-DnsName of the DnsClient module) for the lab's hosts.
# Dot-sourced by ../CredHopLab.psm1 into the module scope (see the load order there).
#
# A lab host resolves by its NetBIOS name, its FQDN or its address; any other name does not exist, with
# Windows' error: "<name> : DNS name does not exist", id DNS_ERROR_RCODE_NAME_ERROR (Win32 error 9003).

function Resolve-DnsName {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline)][string]$Name,
        [Parameter(Position = 1)][string]$Type = 'A_AAAA',
        [switch]$DnsOnly, [switch]$QuickTimeout, [switch]$NoHostsFile
    )
    begin { Import-LabCallerPreference $PSCmdlet $PSBoundParameters; $state = Read-LabState -ReadOnly }
    process {
        $r = $null
        if ($Name -notmatch '[*?]') { $r = Resolve-LabComputer $state $Name.TrimEnd('.') }
        if ($null -eq $r) {
            $ex = [System.ComponentModel.Win32Exception]::new(9003, "$Name : DNS name does not exist")
            Write-LabError $PSCmdlet (New-LabErrorRecord $ex 'DNS_ERROR_RCODE_NAME_ERROR,Microsoft.DnsClient.Commands.ResolveDnsName' 'ResourceUnavailable' $Name)
            return
        }
        [pscustomobject]@{ Name = $r.Host.fqdn; Type = 'A'; TTL = 1200; Section = 'Answer'; IPAddress = $r.Host.address }
    }
}
