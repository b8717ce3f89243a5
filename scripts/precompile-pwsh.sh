#!/usr/bin/env bash
# Precompiles the lab PowerShell's own assemblies (the ones every CredHop and lab call loads) to
# ReadyToRun native code with crossgen2 from NuGet, in place, once. Behaviour is unchanged: the IL
# stays inside each image and the runtime falls back to it for anything not precompiled.
# Called by setup.sh; safe to run again (a marker file records what was done).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

dll=$(ls -d .tools/pwsh/.store/powershell/*/powershell/*/tools/net*/any/unix 2>/dev/null | head -n 1)
[ -n "$dll" ] && [ -f "$dll/System.Management.Automation.dll" ] || { echo "precompile: no PowerShell tool in .tools/pwsh"; exit 1; }
marker="$dll/.credhop-readytorun"
[ -f "$marker" ] && exit 0

# The runtime pwsh runs on (the newest Microsoft.NETCore.App of its major version), and the crossgen2
# of exactly that version.
major=$(sed -n 's/.*"tfm": "net\([0-9]*\)\..*/\1/p' "$dll/pwsh.runtimeconfig.json")
runtime=$(dotnet --list-runtimes | awk -v m="$major" '$1 == "Microsoft.NETCore.App" && index($2, m ".") == 1 { v = $2; d = $3 } END { print v " " d }')
version=${runtime%% *}
fwdir=$(echo "${runtime#* }" | tr -d '[]')/$version
[ -n "$version" ] && [ -d "$fwdir" ] || { echo "precompile: no .NET $major runtime found"; exit 1; }

mkdir -p .tools/crossgen-restore
cat > .tools/crossgen-restore/crossgen.csproj <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net$major.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Microsoft.NETCore.App.Crossgen2.linux-x64" Version="[$version]" /></ItemGroup>
</Project>
XML
dotnet restore .tools/crossgen-restore/crossgen.csproj --packages "$root/.tools/nuget" >/dev/null
crossgen=.tools/nuget/microsoft.netcore.app.crossgen2.linux-x64/$version/tools/crossgen2
[ -x "$crossgen" ] || { echo "precompile: crossgen2 $version did not install"; exit 1; }

echo "precompile: PowerShell's assemblies to ReadyToRun (crossgen2 $version, about a minute)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# What a lab or CredHop call loads from PowerShell's folder (measured with AppDomain.GetAssemblies()).
for a in System.Management.Automation Microsoft.PowerShell.Commands.Utility Microsoft.PowerShell.Commands.Management \
  Microsoft.PowerShell.ConsoleHost Microsoft.PowerShell.Security Microsoft.PowerShell.MarkdownRender pwsh Newtonsoft.Json \
  System.ServiceProcess.ServiceController Microsoft.ApplicationInsights; do
  [ -f "$dll/$a.dll" ] || continue
  "$crossgen" "$dll/$a.dll" -o "$out/$a.dll" -r "$fwdir/" -r "$dll/" --targetos linux --targetarch x64 -O >"$out/$a.log" 2>&1 \
    || { echo "precompile: $a failed, left as IL:"; tail -n 3 "$out/$a.log"; continue; }
done
# Swap in only when the precompiled PowerShell starts and runs; otherwise keep the IL as it was.
backup=$(mktemp -d)
for f in "$out"/*.dll; do cp "$dll/$(basename "$f")" "$backup/"; cp "$f" "$dll/"; done
if .tools/pwsh/pwsh -NoProfile -NonInteractive -Command 'ConvertTo-Json -Compress @(40 + 2)' 2>/dev/null | grep -qx '\[42\]'; then
  (cd "$out" && ls -1 -- *.dll) > "$marker"
  rm -rf "$backup"
  echo "precompile: done"
else
  cp "$backup"/*.dll "$dll/"
  rm -rf "$backup"
  echo "precompile: the precompiled PowerShell did not run; the IL assemblies are back"
  exit 1
fi
