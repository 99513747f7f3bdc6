#!/bin/sh
# install.sh: install ferry from this extracted release tarball; no network, POSIX sh.
#
# Copies bin/ferry, the man pages and the bash, zsh and fish completions of the folder this
# script lies in to PREFIX/bin, PREFIX/share/man/man1, PREFIX/share/bash-completion/completions,
# PREFIX/share/zsh/site-functions and PREFIX/share/fish/vendor_completions.d, and README.md,
# LICENSE and THIRD-PARTY-NOTICES to PREFIX/share/doc/ferry, printing each file it writes.
#
# Before that it checks the tarball against a SHA256SUMS file: the one given with --sha256sums,
# or else SHA256SUMS beside the tarball (the folder above this one) when both are there.
#
# Usage: ./install.sh [--prefix DIR] [--sha256sums FILE] [--uninstall]
#   --prefix DIR        where to install (default /usr/local; DESTDIR is put in front if set)
#   --sha256sums FILE   the release's SHA256SUMS; the tarball is looked for beside FILE, then
#                       beside this folder; a mismatch or a missing tarball stops the install
#   --uninstall         remove the files this version installs under PREFIX instead
# Exit status: 0 when done, 1 on a failed check or copy, 2 on bad usage.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
parent=$(cd "$here/.." && pwd)
name=$(basename "$here")
prefix=/usr/local
sums=""
uninstall=0
usage() { sed -n '2,/^set -eu/{/^set -eu/d;s/^# \{0,1\}//;p;}' "$0"; }
die() { echo "install.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || { usage >&2; exit 2; }; prefix=$2; shift 2 ;;
        --prefix=*) prefix=${1#--prefix=}; shift ;;
        --sha256sums) [ $# -ge 2 ] || { usage >&2; exit 2; }; sums=$2; shift 2 ;;
        --sha256sums=*) sums=${1#--sha256sums=}; shift ;;
        --uninstall) uninstall=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "install.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
case "$prefix" in /*) ;; *) prefix=$(pwd)/$prefix ;; esac
root=${DESTDIR:-}$prefix
[ -x "$here/bin/ferry" ] || die "$here/bin/ferry not found: run install.sh from the extracted tarball"

# The files: "source destination mode", one per line.
files() {
    echo "bin/ferry bin/ferry 755"
    for page in "$here"/share/man/man1/*.1; do
        [ -f "$page" ] && echo "share/man/man1/${page##*/} share/man/man1/${page##*/} 644"
    done
    echo "share/bash-completion/completions/ferry share/bash-completion/completions/ferry 644"
    echo "share/zsh/site-functions/_ferry share/zsh/site-functions/_ferry 644"
    echo "share/fish/vendor_completions.d/ferry.fish share/fish/vendor_completions.d/ferry.fish 644"
    for doc in README.md LICENSE THIRD-PARTY-NOTICES; do echo "$doc share/doc/ferry/$doc 644"; done
}

if [ "$uninstall" = 1 ]; then
    files | while read -r _ dst _; do
        if [ -e "$root/$dst" ]; then rm -f "$root/$dst" && echo "removed $root/$dst"; fi
    done
    rmdir "$root/share/doc/ferry" 2>/dev/null || true
    exit 0
fi

# The checksum: of the tarball this folder came from, by its line in SHA256SUMS.
if [ -z "$sums" ] && [ -f "$parent/SHA256SUMS" ] && [ -f "$parent/$name.tar.gz" ]; then
    sums=$parent/SHA256SUMS
fi
if [ -n "$sums" ]; then
    [ -f "$sums" ] || die "no such file: $sums"
    tarball=""
    for dir in "$(dirname "$sums")" "$parent"; do
        if [ -f "$dir/$name.tar.gz" ]; then tarball=$dir/$name.tar.gz; break; fi
    done
    [ -n "$tarball" ] || die "$name.tar.gz is neither beside $sums nor beside $here"
    expected=$(awk -v n="$name.tar.gz" '$2 == n || $2 == "*" n { print $1; exit }' "$sums")
    [ -n "$expected" ] || die "$sums has no line for $name.tar.gz"
    command -v sha256sum >/dev/null 2>&1 || die "sha256sum not found (coreutils)"
    actual=$(sha256sum <"$tarball" | cut -d' ' -f1)
    [ "$actual" = "$expected" ] || die "checksum mismatch for $tarball: $actual, SHA256SUMS says $expected"
    echo "checked $tarball against $sums: sha256 $actual"
fi

"$here/bin/ferry" --version >/dev/null 2>&1 ||
    echo "install.sh: warning: $here/bin/ferry --version fails here (glibc >= 2.34 and libcurl, libarchive, libzstd needed)" >&2
files | while read -r src dst mode; do
    [ -f "$here/$src" ] || die "missing from the tarball: $src"
    mkdir -p "$(dirname "$root/$dst")"
    # Copy beside, then rename: a running ferry keeps its old file, nothing is half written.
    cp "$here/$src" "$root/$dst.new.$$"
    chmod "$mode" "$root/$dst.new.$$"
    mv -f "$root/$dst.new.$$" "$root/$dst"
    echo "installed $root/$dst"
done
echo "ferry is installed in $root/bin; man ferry and shell completion work from a new shell"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "note: $prefix/bin is not on PATH" ;; esac
