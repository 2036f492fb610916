#!/usr/bin/env bash
# How commands replace and name their outputs. An output named as an open
# descriptor (/dev/stdout, /dev/fd/1) is written in place, so that >>
# keeps what was there. A replaced file keeps its permissions, and a
# write-protected one is not replaced. A dangling symbolic link stays a
# link, and the file it names is made. The PyMOL script is named after the
# whole output name, and format and compression follow the name in any
# case.
#
# Usage: cli-outputs.sh FRAMEFLOW STRUCTURE
set -euo pipefail

frameflow=$1
structure=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

"$frameflow" frames "$structure" -o frames.tsv -q
"$frameflow" train frames.tsv --arch small --batch 20 --steps 2 \
    -o model.ffm -q

# Appending through /dev/stdout and /dev/fd/1 keeps the earlier lines.
for alias in /dev/stdout /dev/fd/1; do
    echo "earlier line" >appended.txt
    "$frameflow" frames "$structure" -o "$alias" -q >>appended.txt \
        || fail "$alias: exit status $?"
    [[ $(head -n 1 appended.txt) == "earlier line" ]] \
        || fail "$alias: the earlier line was lost"
    [[ $(sed -n 2p appended.txt) == "# frameflow frames 1" ]] \
        || fail "$alias: the frames do not follow the earlier line"
done

# A replaced file keeps its permissions.
echo old >private.tsv
chmod 600 private.tsv
"$frameflow" frames "$structure" -o private.tsv -q
[[ $(stat -c %a private.tsv) == 600 ]] \
    || fail "a 0600 output came back as $(stat -c %a private.tsv)"

# A dangling link stays a link, and the file it names is made.
ln -s made.tsv dangling.tsv
"$frameflow" frames "$structure" -o dangling.tsv -q
[[ -L dangling.tsv ]] || fail "the dangling link was replaced"
[[ -f made.tsv ]] || fail "the file the link names was not made"

# A write-protected file is not replaced by a user who may not write it.
# As root, the case runs as the user nobody where that user can run the
# program and read the structure.
chmod 755 "$tmp"
mkdir shared
chmod 777 shared
cp "$structure" shared/input.pdb
chmod 644 shared/input.pdb
echo keep >shared/protected.tsv
chmod 444 shared/protected.tsv
as_user=()
if [[ $(id -u) -eq 0 ]]; then
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    if ! "${as_user[@]}" "$frameflow" --version >/dev/null 2>&1; then
        as_user=()
    fi
fi
if [[ $(id -u) -ne 0 || ${#as_user[@]} -gt 0 ]]; then
    set +e
    "${as_user[@]}" "$frameflow" frames shared/input.pdb \
        -o shared/protected.tsv -q 2>err.txt
    status=$?
    set -e
    [[ $status -eq 1 ]] || fail "write-protected: exit status $status"
    grep -q "write-protected" err.txt \
        || fail "write-protected: message: $(cat err.txt)"
    [[ $(cat shared/protected.tsv) == keep ]] \
        || fail "the write-protected file was replaced"
    [[ -z $(find shared -name '.*.tmp') ]] \
        || fail "a temporary file was left beside the protected file"
else
    echo "skipped: the write-protected case needs another user"
fi

# export keeps each residue's chain, number and name when no frame is
# interpolated, and numbers GLY residues in order otherwise.
"$frameflow" frames "$structure" --interpolate 0 -o residues.tsv -q
"$frameflow" export residues.tsv -o residues.pdb -q
grep -q '^ATOM      2  CA  THR A   1 ' residues.pdb \
    || fail "export lost the first residue's name"
"$frameflow" export frames.tsv -o numbered.pdb -q
grep -q '^ATOM      2  CA  GLY A   1 ' numbered.pdb \
    || fail "export of interpolated frames is not numbered in order"

# The PyMOL script keeps every part of the name but the last extension.
"$frameflow" sample model.ffm -n 5 --steps 2 -o run.seed1.pdb.gz -q
[[ -f run.seed1.pml ]] || fail "run.seed1.pdb.gz did not give run.seed1.pml"

# Format and compression follow the name in any case.
"$frameflow" sample model.ffm -n 5 --steps 2 -o UPPER.CIF -q
[[ $(head -n 1 UPPER.CIF) == data_* ]] || fail "UPPER.CIF is not mmCIF"
"$frameflow" sample model.ffm -n 5 --steps 2 -o upper.TSV.GZ -q
[[ $(head -c 2 upper.TSV.GZ | od -An -tx1 | tr -d ' ') == 1f8b ]] \
    || fail "upper.TSV.GZ is not gzip"

if [[ $failures -ne 0 ]]; then
    echo "$failures failed"
    exit 1
fi
echo "cli-outputs: all checks passed"
