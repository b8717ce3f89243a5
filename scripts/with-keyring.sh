#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked GNOME Keyring (the Secret Service
# that keytar talks to on Linux), on a throw-away XDG_DATA_HOME so no real keyring is ever touched.
#   bash scripts/with-keyring.sh npx vitest run tests/integration/keychain.test.ts
# The keyring's password is "test"; the folder is removed afterwards.
set -euo pipefail
if [ $# -eq 0 ]; then
  echo "usage: scripts/with-keyring.sh <command> [args...]" >&2
  exit 2
fi
for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
  command -v "$tool" >/dev/null || { echo "with-keyring: $tool is missing (apt-get install dbus gnome-keyring dbus-user-session)" >&2; exit 1; }
done

KR=$(mktemp -d "${TMPDIR:-/tmp}/credhop-keyring.XXXXXX")
trap 'rm -rf "$KR"' EXIT
export XDG_DATA_HOME="$KR"
# No display: an unlock prompt could never be answered, so never let one be attempted.
unset DISPLAY WAYLAND_DISPLAY
export CREDHOP_TEST_KEYRING=1

# Inside the session: start the daemon unlocked, wait until it owns org.freedesktop.secrets, run.
dbus-run-session -- bash -c '
  set -euo pipefail
  echo -n test | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null
  for _ in $(seq 1 50); do
    if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
         org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; then
      break
    fi
    sleep 0.1
  done
  exec "$@"
' with-keyring "$@" 2> >(grep -v -e "Failed to set fd limit" -e "cannot open display" -e "SystemPrompter" -e "couldn.t initialize prompt" -e "^$" >&2)
