#!/usr/bin/env bash
# Installs SVOX Pico's lingware (Debian's non-free package libttspico-data, Apache-2.0 data files in
# /usr/share/pico/lang) for the held-out voices of `kws ood-set` and the speaking tests of
# test/synth/pico.test.ts. The npm package @echogarden/svoxpico-wasm ships the engine only.
# Uses a private apt source list for Debian's non-free component, so the machine's own apt setup is
# left as it is. Needs root and Debian bookworm. Without it, `kws ood-set --no-pico` builds the set
# with eSpeak NG voices only and the Pico speaking tests are skipped.
set -euo pipefail
[ -f /usr/share/pico/lang/en-US_ta.bin ] && { echo "SVOX Pico lingware already in /usr/share/pico/lang"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm non-free" > "$work/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=-" -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "APT::Get::List-Cleanup=0")
apt-get "${apt_opts[@]}" -qq update
(cd "$work" && apt-get "${apt_opts[@]}" -qq download libttspico-data)
dpkg -i "$work"/libttspico-data_*.deb > /dev/null
ls /usr/share/pico/lang/en-US_ta.bin /usr/share/pico/lang/en-GB_ta.bin
