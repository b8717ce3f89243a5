@echo off
rem credhop.cmd: the CredHop command line on Windows, installed beside CredHop.exe.
rem It runs "CredHop.exe --cli" with the same options, output and exit codes as "credhop" on a
rem developer machine. CredHop.exe is a GUI program, which cmd.exe does not wait for at its prompt;
rem from a script it does wait and sets ERRORLEVEL to the exit code. CredHop.exe writes to this
rem console, or to wherever this script's output is redirected or piped.
setlocal DisableDelayedExpansion

rem CredHop changes machine policy, so CredHop.exe runs as administrator. Windows shows nothing an
rem elevated program writes in a console that is not elevated, so say so instead of running blind.
"%SystemRoot%\System32\fltmc.exe" >nul 2>&1
if errorlevel 1 (
  >&2 echo credhop: CredHop runs as administrator, and Windows does not show its output in this window.
  >&2 echo   Open Command Prompt or PowerShell with "Run as administrator" and run the command again.
  exit /b 1
)

"%~dp0CredHop.exe" --cli %*
exit /b %ERRORLEVEL%
