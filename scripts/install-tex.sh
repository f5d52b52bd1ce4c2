#!/usr/bin/env bash
# Installs, from Debian's packages, the TeX files examgen's LaTeX loads, XeLaTeX and the fonts it
# sets students' names in (Noto, for names in scripts pdflatex cannot print), and pdftotext.
#
# What to check is read from the LaTeX itself: every \documentclass, \usepackage, \RequirePackage,
# \usetikzlibrary and \usepgfplotslibrary in templates/ and bank/ becomes a file name that
# kpsewhich must find (lmodern -> lmodern.sty). Each missing file is installed through the Debian
# package that ships it (TABLE below). A loaded file with no row in the table is an error naming
# it, so a new \usepackage cannot slip in without its package. Idempotent: on a machine that has
# everything it prints nothing and installs nothing.
#
#   scripts/install-tex.sh                 check, and install what is missing (apt-get, sudo if not root)
#   scripts/install-tex.sh --list [DIR..]  print "file package found|missing" for every loaded file
#   scripts/install-tex.sh --dry-run       print the apt-get command it would run, install nothing
# DIRs (default: the repository's templates/ and bank/) are the folders scanned. $KPSEWHICH names
# the kpsewhich to ask (tests point it at a stub); $FONTS_ROOT, if set, is put before each font's
# path (tests point it at an empty folder).
set -euo pipefail

# file kpsewhich looks for -> Debian package (Debian 12 / TeX Live 2022). Alternatives for one
# loaded name (a TikZ library may be a tikzlibrary or a pgflibrary file) are joined with '|'.
TABLE='
article.cls                                   texlive-latex-base
exam.cls                                      texlive-latex-extra
standalone.cls                                texlive-latex-extra
automultiplechoice.sty                        auto-multiple-choice-common
amsmath.sty                                   texlive-latex-base
amssymb.sty                                   texlive-base
amsthm.sty                                    texlive-latex-base
array.sty                                     texlive-latex-base
bm.sty                                        texlive-latex-base
booktabs.sty                                  texlive-latex-recommended
calc.sty                                      texlive-latex-base
caption.sty                                   texlive-latex-recommended
enumitem.sty                                  texlive-latex-extra
etoolbox.sty                                  texlive-latex-recommended
fancyhdr.sty                                  texlive-latex-base
float.sty                                     texlive-latex-recommended
fontspec.sty                                  texlive-latex-recommended
fp.sty                                        texlive-latex-recommended
fontenc.sty                                   texlive-latex-base
geometry.sty                                  texlive-latex-base
graphicx.sty                                  texlive-latex-base
hyperref.sty                                  texlive-latex-base
ifthen.sty                                    texlive-latex-base
inputenc.sty                                  texlive-latex-base
lastpage.sty                                  texlive-latex-extra
listings.sty                                  texlive-latex-recommended
lmodern.sty                                   lmodern
longtable.sty                                 texlive-latex-base
mathtools.sty                                 texlive-latex-recommended
microtype.sty                                 texlive-latex-recommended
multicol.sty                                  texlive-latex-base
multirow.sty                                  texlive-latex-extra
mylatexformat.ltx                             texlive-latex-extra
needspace.sty                                 texlive-latex-extra
pdfpages.sty                                  texlive-latex-recommended
pgfplots.sty                                  texlive-pictures
ragged2e.sty                                  texlive-latex-recommended
tabularx.sty                                  texlive-latex-base
tcolorbox.sty                                 texlive-latex-extra
textcomp.sty                                  texlive-latex-base
tikz.sty                                      texlive-pictures
upquote.sty                                   texlive-latex-extra
xcolor.sty                                    texlive-latex-recommended
xparse.sty                                    texlive-latex-base
tikzlibraryarrows.code.tex                    texlive-pictures
tikzlibraryarrows.meta.code.tex|pgflibraryarrows.meta.code.tex  texlive-pictures
tikzlibrarybackgrounds.code.tex               texlive-pictures
tikzlibrarycalc.code.tex                      texlive-pictures
tikzlibrarydecorations.pathreplacing.code.tex texlive-pictures
tikzlibraryfit.code.tex                       texlive-pictures
tikzlibrarymatrix.code.tex                    texlive-pictures
tikzlibrarypositioning.code.tex               texlive-pictures
tikzlibraryshapes.code.tex                    texlive-pictures
tikzlibraryshapes.geometric.code.tex          texlive-pictures
tikzlibrarypgfplots.groupplots.code.tex       texlive-pictures
'
# Commands the pipeline and the tests run, and the package that provides each.
COMMANDS='
pdflatex   texlive-latex-base
xelatex    texlive-xetex
fc-query   fontconfig
pdftotext  poppler-utils
pdftoppm   poppler-utils
'
# Font files XeLaTeX sets students' names in (generator/tex/names.py names them by path), and the
# package of each: Latin Modern as the documents print, Noto for every other script.
FONTS='
/usr/share/texmf/fonts/opentype/public/lm/lmroman10-bold.otf  fonts-lmodern
/usr/share/fonts/truetype/noto/NotoSerif-Bold.ttf             fonts-noto-core
/usr/share/fonts/truetype/noto/NotoNaskhArabic-Bold.ttf       fonts-noto-core
/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc          fonts-noto-cjk
'

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
KPSEWHICH="${KPSEWHICH:-kpsewhich}"
mode=install
case "${1:-}" in
  --list) mode=list; shift ;;
  --dry-run) mode=dry-run; shift ;;
  -*) echo "install-tex.sh: unknown option $1 (use --list or --dry-run)" >&2; exit 1 ;;
esac
[ "$#" -gt 0 ] || set -- "$ROOT/templates" "$ROOT/bank"

# The names loaded in the LaTeX under the given folders, one "kind name" a line. Bank files are
# YAML, where a backslash may be doubled; Jinja placeholders (<< x >>) are not names.
loaded_names() {
  grep -rhoE '\\+(documentclass|usepackage|RequirePackage|usetikzlibrary|usepgfplotslibrary)(\[[^]]*\])?\{[^}]*\}' \
      --include='*.j2' --include='*.tex' --include='*.sty' --include='*.cls' --include='*.yaml' "$@" 2>/dev/null |
    sed -E 's/^\\+([A-Za-z]+)(\[[^]]*\])?\{([^}]*)\}$/\1 \3/' |
    while read -r kind names; do
      for name in ${names//,/ }; do
        case "$name" in *'<'*|*'>'*|'') continue ;; esac
        echo "$kind $name"
      done
    done | sort -u
}

# The file kpsewhich must find for one loaded name.
file_for() {
  case "$1" in
    documentclass) echo "$2.cls" ;;
    usepackage|RequirePackage) echo "$2.sty" ;;
    usetikzlibrary) echo "tikzlibrary$2.code.tex" ;;
    usepgfplotslibrary) echo "tikzlibrarypgfplots.$2.code.tex" ;;
  esac
}

# The table row (alternatives and package) whose alternatives include FILE, or nothing.
# (A here-string, not `echo | while`: leaving a piped loop early can kill the echo with SIGPIPE,
# and under pipefail the whole script then exits 141 now and then.)
row_for() {
  while read -r files package; do
    [ -n "$files" ] || continue
    case "|$files|" in *"|$1|"*) echo "$files $package"; return 0 ;; esac
  done <<< "$TABLE"
}

found() {
  local alt
  for alt in ${1//|/ }; do
    [ -n "$("$KPSEWHICH" "$alt" 2>/dev/null)" ] && return 0
  done
  return 1
}

missing_packages=()
unmapped=()
while read -r kind name; do
  [ -n "$kind" ] || continue
  file="$(file_for "$kind" "$name")"
  row="$(row_for "$file")"
  if [ -z "$row" ]; then unmapped+=("$file (\\$kind{$name})"); continue; fi
  package="${row##* }"
  if found "${row% *}"; then state=found; else state=missing; missing_packages+=("$package"); fi
  [ "$mode" = list ] && echo "$file $package $state"
done < <(loaded_names "$@")

if [ "${#unmapped[@]}" -gt 0 ]; then
  echo "install-tex.sh: no Debian package in the table for: ${unmapped[*]}; add a row to TABLE in scripts/install-tex.sh" >&2
  exit 1
fi

while read -r cmd package; do
  [ -n "$cmd" ] || continue
  if command -v "$cmd" >/dev/null 2>&1; then state=found; else state=missing; missing_packages+=("$package"); fi
  [ "$mode" = list ] && echo "$cmd $package $state"
done <<< "$COMMANDS"

while read -r file package; do
  [ -n "$file" ] || continue
  if [ -e "${FONTS_ROOT:-}$file" ]; then state=found; else state=missing; missing_packages+=("$package"); fi
  [ "$mode" = list ] && echo "$(basename "$file") $package $state"
done <<< "$FONTS"

[ "$mode" = list ] && exit 0
[ "${#missing_packages[@]}" -gt 0 ] || exit 0
packages="$(printf '%s\n' "${missing_packages[@]}" | sort -u | tr '\n' ' ')"
if [ "$mode" = dry-run ]; then
  echo "apt-get install -y --no-install-recommends $packages"
  exit 0
fi

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
echo "installing from Debian's packages: $packages"
$SUDO apt-get update -qq
# shellcheck disable=SC2086  # one word per package
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $packages >/dev/null
