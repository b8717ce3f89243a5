#!/usr/bin/env bash
# Installs everything CredHop's product and tests need on a fresh Debian machine, then builds.
# Idempotent: on a machine that has it all, it only checks and rebuilds. Fails loudly on any miss.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

say() { printf '\n== %s\n' "$*"; }
need_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: Chromium for the renderer tests, Xvfb for headed runs, libsecret + gnome-keyring
# + D-Bus for the real keychain, pkg-config for keytar's native build.
apt_pkgs=(chromium xvfb xauth libsecret-1-dev pkg-config gnome-keyring dbus dbus-user-session build-essential python3)
missing=()
for p in "${apt_pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "Installing Debian packages: ${missing[*]}"
  need_root apt-get update -qq
  need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# PowerShell 7 as a .NET tool, inside the project (git ignores .tools/).
PWSH_VERSION=7.6.9
if ! [ -x .tools/pwsh/pwsh ]; then
  say "Installing PowerShell $PWSH_VERSION from NuGet"
  command -v dotnet >/dev/null || { echo "setup: dotnet is required to install PowerShell (dotnet tool install)"; exit 1; }
  dotnet tool install PowerShell --version "$PWSH_VERSION" --tool-path .tools/pwsh
fi
.tools/pwsh/pwsh -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' >/dev/null \
  || { echo "setup: .tools/pwsh/pwsh does not start"; exit 1; }

# PowerShell's own assemblies precompiled to native code (ReadyToRun), as Microsoft's release packages
# and Windows ship them: the NuGet tool package carries IL only, so every fresh pwsh JIT-compiles its
# engine first, which made each lab PowerShell start about a second slower than a real installation.
# An optimisation only: on any failure the IL assemblies stay and setup goes on, saying so.
bash scripts/precompile-pwsh.sh || echo "setup: WARNING: PowerShell was not precompiled (it works, more slowly); see above"

# Pester (the PowerShell test framework) from NuGet, restored into .tools/nuget.
PESTER_VERSION=5.7.1
if ! [ -f ".tools/nuget/pester/$PESTER_VERSION/tools/Pester.psd1" ]; then
  say "Installing Pester $PESTER_VERSION from NuGet"
  mkdir -p .tools/pester-restore
  cat > .tools/pester-restore/pester.csproj <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Pester" Version="[$PESTER_VERSION]" /></ItemGroup>
</Project>
XML
  dotnet restore .tools/pester-restore/pester.csproj --packages "$root/.tools/nuget" >/dev/null
  [ -f ".tools/nuget/pester/$PESTER_VERSION/tools/Pester.psd1" ] || { echo "setup: Pester did not install"; exit 1; }
fi

# npm packages. The Electron binary cannot be downloaded here; the app's logic runs on plain Node.
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "Installing npm packages"
  npm ci --no-audit --no-fund
fi

say "Building"
npm run --silent build >/dev/null
echo "setup: done"
