# The secret channel: passwords arrive on a one-shot named pipe, never in a command or a parameter.
# Part of the CredHop module (loaded by CredHop.psm1); see README.md.
#
# Why: script block logging records every command's text, module logging every parameter binding
# (a string's ToString() is the password itself), transcription the host's input. So the payload only
# names a channel id; this file creates the pipe "<prefix>-<id>" (the prefix came in the process's
# environment at start and reaches no command text or binding, so the logs do not tell the pipe's name),
# current user only, waits for CredHop's main process to connect and write the frame, and turns the
# bytes into SecureStrings with .NET method calls (no logging records those), zeroing the buffers.
# PowerShell 7.3+ hands every .NET method call it makes, with its arguments, to the antivirus (AMSI
# method-invocation logging): so no call here takes a password character or byte as an argument, only
# whole buffers (which AMSI sees as their type name, e.g. System.Char[]) and, for the pipe's
# constructor, its name. The per-character work happens inside .NET. The secrets live in
# $script:Secrets for one call and are disposed when it ends. There is no fallback: a channel that
# cannot be opened is an error of kind 'secret-channel'.
#
# Frame: 'CHS1', one byte N, then N times: uint32 LE byte length + UTF-8 bytes.

$script:Secrets = @()
$script:SecretWaitMs = 15000

function New-CredHopChannelError {
    param([string]$Message)
    $ex = New-Object System.InvalidOperationException -ArgumentList $Message
    $ex.Data['CredHopKind'] = 'secret-channel'
    $ex
}

function New-CredHopPipeServer {
    # The pipe for one call's channel id. The name is built here from the environment, and goes only to
    # the constructor (a method call): a function parameter or New-Object's -ArgumentList would be a
    # binding, and module logging would record the name.
    param([string]$Channel)
    $name = [System.Environment]::GetEnvironmentVariable('CREDHOP_SECRET_CHANNEL') + '-' + $Channel
    $in = [System.IO.Pipes.PipeDirection]::In
    $byte = [System.IO.Pipes.PipeTransmissionMode]::Byte
    # What .NET offers decides, not the edition's name: CurrentUserOnly exists from .NET Core 2.1 on (every
    # PowerShell 7), never in .NET Framework (Windows PowerShell 5.1).
    if ([enum]::GetNames([System.IO.Pipes.PipeOptions]) -contains 'CurrentUserOnly') {
        # .NET Core: CurrentUserOnly puts an ACL for this user on the pipe (Windows) or checks the
        # peer's user id and keeps the socket in our private folder (Linux, macOS).
        $opts = [System.IO.Pipes.PipeOptions]::Asynchronous -bor [System.IO.Pipes.PipeOptions]::CurrentUserOnly
        return [System.IO.Pipes.NamedPipeServerStream]::new($name, $in, 1, $byte, $opts)
    }
    # Windows PowerShell 5.1 (.NET Framework): the same ACL, built by hand: this user, read and write.
    $sid = [System.Security.Principal.WindowsIdentity]::GetCurrent().User
    $security = New-Object System.IO.Pipes.PipeSecurity
    $rule = New-Object System.IO.Pipes.PipeAccessRule -ArgumentList $sid, ([System.IO.Pipes.PipeAccessRights]::ReadWrite), ([System.Security.AccessControl.AccessControlType]::Allow)
    $security.AddAccessRule($rule)
    [System.IO.Pipes.NamedPipeServerStream]::new($name, $in, 1, $byte, ([System.IO.Pipes.PipeOptions]::Asynchronous), 4096, 4096, $security)
}

function Receive-CredHopSecrets {
    param([string]$Channel)
    if ($Channel -cnotmatch '\A[0-9a-f]{16}\z') { throw (New-CredHopChannelError 'The secret channel id is not valid.') }
    $prefix = [System.Environment]::GetEnvironmentVariable('CREDHOP_SECRET_CHANNEL')
    if ([string]::IsNullOrEmpty($prefix)) { throw (New-CredHopChannelError 'This PowerShell was not started by CredHop with a secret channel, so it cannot receive a password.') }
    $server = $null
    $buffer = $null
    $chars = $null
    $received = New-Object System.Collections.Generic.List[System.Security.SecureString]
    try {
        try { $server = New-CredHopPipeServer $Channel }
        catch { throw (New-CredHopChannelError ('The secret channel could not be opened: ' + $_.Exception.Message)) }
        $wait = $server.WaitForConnectionAsync()
        if (-not $wait.Wait($script:SecretWaitMs)) { throw (New-CredHopChannelError 'CredHop did not hand over the password on the secret channel in time.') }
        # The reads are written out inline on purpose: a buffer passed to a function becomes a parameter
        # binding, and module logging would record its bytes.
        $closed = 'The secret channel closed before CredHop had sent the password.'
        $head = New-Object byte[] 5
        $got = 0
        while ($got -lt 5) { $r = $server.Read($head, $got, 5 - $got); if ($r -le 0) { throw (New-CredHopChannelError $closed) }; $got += $r }
        if ($head[0] -ne 0x43 -or $head[1] -ne 0x48 -or $head[2] -ne 0x53 -or $head[3] -ne 0x31) { throw (New-CredHopChannelError 'The secret channel carried something that is not a CredHop frame.') }
        $count = [int]$head[4]
        if ($count -lt 1 -or $count -gt 8) { throw (New-CredHopChannelError 'The secret channel announced an unexpected number of secrets.') }
        $len = New-Object byte[] 4
        for ($i = 0; $i -lt $count; $i++) {
            $got = 0
            while ($got -lt 4) { $r = $server.Read($len, $got, 4 - $got); if ($r -le 0) { throw (New-CredHopChannelError $closed) }; $got += $r }
            $n = [System.BitConverter]::ToInt32($len, 0)
            if ($n -lt 0 -or $n -gt 4096) { throw (New-CredHopChannelError 'A secret on the channel is longer than CredHop allows.') }
            $buffer = New-Object byte[] $n
            $got = 0
            while ($got -lt $n) { $r = $server.Read($buffer, $got, $n - $got); if ($r -le 0) { throw (New-CredHopChannelError $closed) }; $got += $r }
            $chars = [System.Text.Encoding]::UTF8.GetChars($buffer)
            [System.Array]::Clear($buffer, 0, $buffer.Length)
            $sec = New-Object System.Security.SecureString
            # AppendChar per character, called by .NET: a PowerShell loop would make one logged method
            # call per character, each with the character as its argument (AMSI, PowerShell 7.3+).
            [System.Array]::ForEach($chars, [System.Delegate]::CreateDelegate([System.Action[char]], $sec, 'AppendChar'))
            [System.Array]::Clear($chars, 0, $chars.Length)
            $sec.MakeReadOnly()
            $received.Add($sec)
        }
        $script:Secrets = $received.ToArray()
    }
    catch {
        foreach ($s in $received) { $s.Dispose() }
        throw
    }
    finally {
        if ($null -ne $buffer) { [System.Array]::Clear($buffer, 0, $buffer.Length) }
        if ($null -ne $chars) { [System.Array]::Clear($chars, 0, $chars.Length) }
        if ($null -ne $server) { $server.Dispose() }
    }
}

function Clear-CredHopSecrets {
    foreach ($s in @($script:Secrets)) { if ($null -ne $s) { $s.Dispose() } }
    $script:Secrets = @()
}

function Get-CredHopSecret {
    # the SecureString a payload refers to by index (a copy: the call's own is disposed after it)
    param([int]$Index, [string]$Path)
    $all = @($script:Secrets)
    if ($Index -lt 0 -or $Index -ge $all.Count) { throw (New-CredHopPayloadError "${Path}.secret: no such secret on this call's channel") }
    $all[$Index].Copy()
}
