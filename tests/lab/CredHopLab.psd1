@{
    RootModule        = 'CredHopLab.psm1'
    ModuleVersion     = '0.1.0'
    GUID              = '6f6c1d55-0b7e-4a47-9f0e-2f7d3c1c9a11'
    Author            = 'CredHop'
    Description       = 'CredHop lab: a simulated Windows estate (WinRM, CredSSP, registry, local GPO, remoting) that replaces the operating system and nothing else. PowerShell 7 only.'
    PowerShellVersion = '7.2'
    FunctionsToExport = '*'
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
