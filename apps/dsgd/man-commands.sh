#!/bin/sh
# Writes help2man's include file for dsgd(1): the static sections of dsgd.h2m, then a COMMANDS
# section with each subcommand's own --help, so that the man page documents every option.
#   man-commands.sh DSGD STATIC.h2m OUT.h2m
set -eu
dsgd=$1 static=$2 out=$3
{
  echo "[COMMANDS]"
  for command in train predict eval gen bench study; do
    echo ".SS dsgd $command"
    echo ".nf"
    "$dsgd" "$command" --help | sed 's/\\/\\\\/g; s/^\./\\\&./'
    echo ".fi"
  done
  cat "$static"
} > "$out.tmp"
mv "$out.tmp" "$out"
