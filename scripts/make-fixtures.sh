#!/usr/bin/env bash
# Regenerates the compressed-audio test fixtures in test/fixtures with ffmpeg (Debian package
# `ffmpeg`). Each sine-* file is 0.5 s of a 1 kHz sine at amplitude 0.5 (RMS 0.3536, -9.03 dBFS);
# silence-* files are tiny files that decode to more than the 10 s limit.
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
# Edge cases: a second MP3 rate (for concatenation), Vorbis in WebM, MPEG layer II, and a
# decompression bomb (10 minutes of 8-channel silence in 64k-sample frames).
ff -f lavfi -i "$(sine 16000)" -c:a libmp3lame -b:a 32k "$out/sine-1k-16000-mono.mp3"
ff -f lavfi -i "$(sine 48000)" -c:a libvorbis -q:a 2 -f webm "$out/sine-1k-48000-vorbis.webm"
ff -f lavfi -i "$(sine 44100)" -c:a mp2 -b:a 128k "$out/sine-1k-44100-mono.mp2"
ff -f lavfi -i "anullsrc=r=48000:cl=7.1" -t 600 -c:a flac -frame_size 65535 "$out/silence-600s-8ch.flac"
ls -l "$out"
