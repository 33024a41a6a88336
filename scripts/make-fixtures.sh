#!/usr/bin/env bash
# Regenerates the compressed-audio test fixtures in test/fixtures with ffmpeg (Debian package
# `ffmpeg`). Each is 0.5 s of a 1 kHz sine at amplitude 0.5 (RMS 0.3536, -9.03 dBFS), except
# silence-20s.flac (20 s of digital silence, a tiny file that decodes to more than the 10 s limit).
# WAV fixtures are not stored: the tests write them in every encoding with the `wavefile` library.
set -euo pipefail
out="$(dirname "$0")/../test/fixtures"
mkdir -p "$out"
sine() { echo "sine=frequency=1000:sample_rate=$1:duration=0.5,volume=4"; }
ff() { ffmpeg -hide_banner -loglevel error -y -bitexact "$@"; }
ff -f lavfi -i "$(sine 44100)" -c:a flac "$out/sine-1k-44100-mono.flac"
ff -f lavfi -i "$(sine 44100)" -af "pan=stereo|c0=c0|c1=c0" -c:a libmp3lame -b:a 128k -id3v2_version 3 -metadata title=sine "$out/sine-1k-44100-stereo-id3.mp3"
ff -f lavfi -i "$(sine 22050)" -c:a libvorbis -q:a 4 "$out/sine-1k-22050-mono.ogg"
ff -f lavfi -i "$(sine 48000)" -c:a libopus -b:a 64k "$out/sine-1k-48000-mono.opus"
ff -f lavfi -i "$(sine 48000)" -c:a libopus -b:a 64k -f webm "$out/sine-1k-48000-mono.webm"
ff -f lavfi -i "anullsrc=r=16000:cl=mono" -t 20 -c:a flac "$out/silence-20s.flac"
ls -l "$out"
