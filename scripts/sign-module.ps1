<#
  Signs CredHop's PowerShell module (every .ps1, .psm1, .psd1 and .ps1xml in it: CredHop.psd1, CredHop.psm1,
  src/*.ps1) with Authenticode, with the
  same certificate as the executable, so that a Group Policy execution policy of AllSigned/RemoteSigned
  and App Control/AppLocker rules that trust CredHop's publisher accept it. Run by package:win (electron-
  builder's afterPack hook, scripts/sign-module-after-pack.cjs) on the packed copy, never on the sources.

  The certificate, in this order:
    CREDHOP_SIGN_THUMBPRINT  a code-signing certificate in Cert:\CurrentUser\My or Cert:\LocalMachine\My
    CSC_LINK (+ CSC_KEY_PASSWORD)  electron-builder's own: a .pfx/.p12 file path, or its base64 content
  Optional: CREDHOP_TIMESTAMP_SERVER (default http://timestamp.digicert.com; "none" for no timestamp).

  Without a certificate it stops the build, unless CREDHOP_ALLOW_UNSIGNED=1 says an unsigned package is
  wanted (a test build): then it says loudly that the module is NOT signed and exits 0.
  Runs on Windows PowerShell 5.1 and PowerShell 7 on Windows (Set-AuthenticodeSignature is Windows-only).
#>
param([Parameter(Mandatory = $true)][string]$ModuleDir)
$ErrorActionPreference = 'Stop'

# Every file PowerShell checks the signature of, wherever it sits in the module (a file added later in a
# new folder is signed too): the manifest, the root module and all scripts, and formatting/type files.
$signed = @('.ps1', '.psm1', '.psd1', '.ps1xml')
foreach ($name in 'CredHop.psd1', 'CredHop.psm1') {
    if (-not [System.IO.File]::Exists([System.IO.Path]::Combine($ModuleDir, $name))) { throw "sign-module: missing module file $name in $ModuleDir" }
}
$files = @(Get-ChildItem -LiteralPath $ModuleDir -Recurse -File | Where-Object { $signed -contains $_.Extension.ToLowerInvariant() } | ForEach-Object { $_.FullName } | Sort-Object)

$cert = $null
if ($env:CREDHOP_SIGN_THUMBPRINT) {
    foreach ($store in 'Cert:\CurrentUser\My', 'Cert:\LocalMachine\My') {
        $found = Get-ChildItem -Path $store -CodeSigningCert | Where-Object { $_.Thumbprint -eq $env:CREDHOP_SIGN_THUMBPRINT }
        if ($found) { $cert = @($found)[0]; break }
    }
    if ($null -eq $cert) { throw "sign-module: no code-signing certificate with thumbprint $($env:CREDHOP_SIGN_THUMBPRINT) in CurrentUser\My or LocalMachine\My." }
}
elseif ($env:CSC_LINK) {
    $link = $env:CSC_LINK
    if ($link.StartsWith('file://')) { $link = $link.Substring(7) }
    if ([System.IO.File]::Exists($link)) { $bytes = [System.IO.File]::ReadAllBytes($link) }
    elseif ($link -match '^https?://') { throw 'sign-module: CSC_LINK as a URL is not supported here; give a file path or the base64 content.' }
    else { $bytes = [Convert]::FromBase64String($link) }
    $password = $env:CSC_KEY_PASSWORD
    if ($null -eq $password) { $password = '' }
    $cert = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2 -ArgumentList (, $bytes), $password
    if (-not $cert.HasPrivateKey) { throw 'sign-module: the certificate from CSC_LINK has no private key.' }
}

if ($null -eq $cert) {
    [Console]::Error.WriteLine("sign-module: the files that must be signed ($($files.Count)):")
    foreach ($f in $files) { [Console]::Error.WriteLine("  $f") }
    $msg = 'sign-module: NO CERTIFICATE (set CSC_LINK/CSC_KEY_PASSWORD or CREDHOP_SIGN_THUMBPRINT). CredHop''s PowerShell module is NOT signed: it will not load where Group Policy sets AllSigned, nor run in full under App Control/AppLocker.'
    if ($env:CREDHOP_ALLOW_UNSIGNED -eq '1') {
        [Console]::Error.WriteLine('*' * 100)
        [Console]::Error.WriteLine($msg)
        [Console]::Error.WriteLine('CREDHOP_ALLOW_UNSIGNED=1: building an UNSIGNED package, as asked. Do not ship it to managed machines.')
        [Console]::Error.WriteLine('*' * 100)
        exit 0
    }
    [Console]::Error.WriteLine($msg)
    [Console]::Error.WriteLine('Stopping the build. For an unsigned test build, set CREDHOP_ALLOW_UNSIGNED=1.')
    exit 1
}

if (-not (Get-Command -Name Set-AuthenticodeSignature -ErrorAction SilentlyContinue)) { throw 'sign-module: Set-AuthenticodeSignature is not available here: sign on Windows.' }
$ts = $env:CREDHOP_TIMESTAMP_SERVER
if (-not $ts) { $ts = 'http://timestamp.digicert.com' }
foreach ($f in $files) {
    $sp = @{ FilePath = $f; Certificate = $cert; HashAlgorithm = 'SHA256' }
    if ($ts -ne 'none') { $sp['TimestampServer'] = $ts }
    $sig = Set-AuthenticodeSignature @sp
    if ($sig.Status -ne 'Valid') { throw "sign-module: signing $f failed: $($sig.Status) $($sig.StatusMessage)" }
    [Console]::Out.WriteLine("signed $f ($($cert.Subject))")
}
exit 0
