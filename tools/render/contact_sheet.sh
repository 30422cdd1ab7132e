#!/bin/sh
# One frame (the middle one) of every clip in samples/synthetic, labelled, in a grid: docs/renders.png.
#   sh tools/render/contact_sheet.sh [samples/synthetic] [docs/renders.png]
set -e
dir=${1:-samples/synthetic}
out=${2:-docs/renders.png}
tmp=$(mktemp -d)
for mp4 in "$dir"/*.mp4; do
    name=$(basename "$mp4" .mp4)
    n=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$mp4")
    ffmpeg -loglevel error -y -i "$mp4" -vf "select=eq(n\,$((n / 2)))" -frames:v 1 "$tmp/$name.png"
done
font=$(fc-match -f '%{file}' DejaVuSans 2>/dev/null)
montage -font "$font" -label '%t' -pointsize 14 -geometry 320x240+4+4 -tile 5x -depth 8 "$tmp"/*.png "$out"
rm -rf "$tmp"
echo "$out"
