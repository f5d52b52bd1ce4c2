#!/usr/bin/env bash
# Installs TeX Live and poppler-utils from Debian's packages when pdflatex, pdftotext or a LaTeX
# package examgen uses is missing. Idempotent: does nothing on a machine that has them all.
set -euo pipefail

need=0
for cmd in pdflatex pdftotext; do command -v "$cmd" >/dev/null 2>&1 || need=1; done
if [ "$need" = 0 ]; then
  for sty in pgfplots.sty lastpage.sty enumitem.sty listings.sty fancyhdr.sty lmodern.sty; do
    [ -n "$(kpsewhich "$sty" 2>/dev/null)" ] || need=1
  done
fi
[ "$need" = 0 ] && exit 0

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
echo "installing TeX Live and poppler-utils from Debian's packages..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-pictures \
  texlive-fonts-recommended latexmk poppler-utils >/dev/null
