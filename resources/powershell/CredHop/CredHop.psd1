@{
    RootModule        = 'CredHop.psm1'
    ModuleVersion     = '0.1.0'
    GUID              = 'b3c0d7a2-5e1f-4c8e-9a53-0d4f2e7c1b66'
    Author            = 'CredHop'
    CompanyName       = 'CredHop'
    Description       = 'CredHop primitives: one read or one effect each, base64 JSON in, one CREDHOP: JSON line out. Windows PowerShell 5.1 and PowerShell 7.'
    PowerShellVersion = '5.1'
    FunctionsToExport = @('Invoke-CredHop')
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
