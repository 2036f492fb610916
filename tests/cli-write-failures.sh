#!/usr/bin/env bash
# Every command that writes a file, run where the write must fail: a full
# disk, a file size limit, a read-only folder, an output that is a folder
# and an output whose folder does not exist. Each run must end with exit
# status 1 and one line on stderr that names the output, and must leave no
# partial or temporary file: an existing output keeps its old content.
#
# The full disk is simulated three ways: a link to /dev/full, RLIMIT_FSIZE
# (ulimit -f, with SIGXFSZ ignored, so the write fails with EFBIG) and a
# 64 KiB tmpfs filled to within 12 KiB. The tmpfs and the read-only folder
# of a root run need a private mount namespace (unshare -m, or unshare -r
# -m without root); those parts are skipped, with a message, where the
# namespace cannot be made. Without root the read-only folder is a folder
# with mode 555 instead.
#
# Usage: cli-write-failures.sh FRAMEFLOW SOURCE_DIR
set -euo pipefail

frameflow=$1
source_dir=$2
structure=$source_dir/datasets/1crn.pdb

# Kinds of output: the command that writes it, and the output's extension.
kinds=(frames frames-gz train train-log sample-pdb sample-cif sample-tsv
       sample-pml export-pdb export-cif export-tsv-gz export-pml plot-loss
       plot-rotations)

extension() {
    case $1 in
    frames | sample-tsv) echo tsv ;;
    frames-gz | export-tsv-gz) echo tsv.gz ;;
    train) echo ffm ;;
    train-log) echo csv ;;
    *-pdb) echo pdb ;;
    *-cif) echo cif ;;
    *-pml) echo pml ;;
    plot-*) echo svg ;;
    esac
}

# Run the command of kind that writes out. Every output is larger than
# 12 KiB, so that each way of filling the disk stops it. Outputs beside
# the one under test (the model of train-log, the structure of the PyMOL
# scripts) go to $side, which has room.
write_output() {
    local kind=$1 out=$2
    case $kind in
    frames | frames-gz)
        "$frameflow" frames "$structure" -o "$out" -q ;;
    train)
        "$frameflow" train "$structure" --arch small --batch 8 --steps 4 \
            --checkpoint-every 2 -o "$out" -q ;;
    train-log)
        "$frameflow" train "$structure" --arch small --batch 8 \
            --steps 1500 --checkpoint-every 0 -o "$side/$kind.ffm" \
            --loss-log "$out" -q ;;
    sample-pml)
        "$frameflow" sample "$inputs/model.ffm" -n 200 --steps 5 \
            -o "$side/$kind.pdb" --pymol "$out" -q ;;
    sample-*)
        "$frameflow" sample "$inputs/model.ffm" -n 200 --steps 5 \
            --format "${kind#sample-}" --pymol none -o "$out" -q ;;
    export-pml)
        "$frameflow" export "$inputs/frames.tsv" -o "$side/$kind.pdb" \
            --pymol "$out" -q ;;
    export-tsv-gz)
        "$frameflow" export "$inputs/frames.tsv" --format tsv -o "$out" -q ;;
    export-*)
        "$frameflow" export "$inputs/frames.tsv" --format "${kind#export-}" \
            --pymol none -o "$out" -q ;;
    plot-loss)
        "$frameflow" plot loss "$inputs/loss.csv" -o "$out" -q ;;
    plot-rotations)
        "$frameflow" plot rotations "$inputs/frames.tsv" -o "$out" -q ;;
    esac
}

failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# The files left in a folder, one line, sorted.
listing() {
    (cd "$1" && ls -A | sort | tr '\n' ' ')
}

# Check that a loss log contains its header and whole rows only.
check_rows() {
    local log=$1 what=$2
    [[ $(head -n 1 "$log") == step,loss,seconds ]] \
        || fail "$what: the loss log lost its header"
    [[ -z $(tail -c 1 "$log") ]] \
        || fail "$what: the loss log ends inside a row"
    if tail -n +2 "$log" | grep -qv '^[0-9][0-9]*,[^,]*,[^,]*$'; then
        fail "$what: the loss log has a malformed row"
    fi
}

# Run kind against out (inside folder) after the shell prefix given, such
# as a ulimit. Check for status 1 and one line that names out and matches
# the reason pattern. The folder must contain the files listed in want,
# and no side output of the failed run may remain.
expect_failure() {
    local scenario=$1 kind=$2 folder=$3 out=$4 reason=$5 want=$6 prefix=$7
    local what="$scenario, $kind"
    local status=0

    rm -f "$side/$kind".*
    (eval "$prefix"; write_output "$kind" "$out") 2>"$side/err.txt" \
        || status=$?
    local message
    message=$(cat "$side/err.txt")
    if [[ $status -ne 1 ]]; then
        fail "$what: exit status $status, expected 1: $message"
    fi
    if [[ $(wc -l <"$side/err.txt") -ne 1 ]]; then
        fail "$what: expected one line on stderr, got: $message"
    fi
    [[ $message == "frameflow: "* ]] \
        || fail "$what: the message lacks the program name: $message"
    [[ $message == *"$out"* ]] \
        || fail "$what: the message does not name $out: $message"
    [[ $message =~ $reason ]] \
        || fail "$what: the message does not say /$reason/: $message"
    local got
    got=$(listing "$folder")
    [[ $got == "$want" ]] \
        || fail "$what: files left are '$got', expected '$want'"
    for leftover in "$side/$kind.pdb" "$side/$kind.ffm"; do
        [[ ! -e $leftover ]] || fail "$what: $leftover was left behind"
    done
}

# Fill $1/$kind/out.EXT with old content, run kind there, and check that
# the old content survived (for the loss log: that it has whole rows).
expect_old_kept() {
    local scenario=$1 kind=$2 base=$3 reason=$4 prefix=$5
    local ext
    ext=$(extension "$kind")
    local folder=$base/$kind
    mkdir -p "$folder"
    local out=$folder/out.$ext
    echo old >"$out"
    expect_failure "$scenario" "$kind" "$folder" "$out" "$reason" \
        "out.$ext " "$prefix"
    if [[ $kind == train-log ]]; then
        check_rows "$out" "$scenario, $kind"
    elif [[ $(cat "$out") != old ]]; then
        fail "$scenario, $kind: the old content of $out was replaced"
    fi
    rm -rf "$folder"
}

# The checks that need a mount: a full tmpfs and a read-only one. Run in
# a private mount namespace, as root there; the mounts end with it.
run_mount_checks() {
    local base=$tmp/mounts
    mkdir -p "$base/full" "$base/ro"
    if ! mount -t tmpfs -o size=64k tmpfs "$base/full" \
            || ! mount -t tmpfs -o ro,size=64k tmpfs "$base/ro"; then
        echo "SKIP: cannot mount a tmpfs here, so the full and read-only" \
             "tmpfs are not checked"
        return
    fi
    # 48 KiB of the 64: 12 KiB remain once an old output takes its page.
    head -c 49152 /dev/zero >"$base/full/filler"

    for kind in "${kinds[@]}"; do
        expect_old_kept "full tmpfs" "$kind" "$base/full" \
            "No space left on device" ""
        local out
        out=$base/ro/out.$(extension "$kind")
        expect_failure "read-only tmpfs" "$kind" "$base/ro" "$out" \
            "Read-only file system" "" ""
    done
    [[ $(wc -c <"$base/full/filler") -eq 49152 ]] \
        || fail "the tmpfs filler changed"
    echo "checked a full and a read-only tmpfs"
}

if [[ ${3:-} == --in-namespace ]]; then
    tmp=$4
    inputs=$tmp/inputs
    side=$tmp/side-ns
    mkdir -p "$side"
    run_mount_checks
    exit $((failures > 0))
fi

tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
inputs=$tmp/inputs
side=$tmp/side
mkdir -p "$inputs" "$side"

# Inputs: a frames file, a model and a loss log of 1500 steps.
"$frameflow" frames "$structure" -o "$inputs/frames.tsv" -q
"$frameflow" train "$structure" --arch small --batch 8 --steps 1500 \
    --checkpoint-every 0 -o "$inputs/model.ffm" \
    --loss-log "$inputs/loss.csv" -q

# A full disk: a link to /dev/full, which takes no byte. The link stays a
# link, and the device stays a device.
if [[ -c /dev/full && -w /dev/full ]]; then
    for kind in "${kinds[@]}"; do
        folder=$tmp/devfull/$kind
        mkdir -p "$folder"
        out=$folder/out.$(extension "$kind")
        ln -s /dev/full "$out"
        expect_failure "/dev/full" "$kind" "$folder" "$out" \
            "No space left on device" "out.$(extension "$kind") " ""
        [[ -L $out ]] || fail "/dev/full, $kind: the link was replaced"
    done
    [[ -c /dev/full ]] || fail "/dev/full is no longer a device"
else
    echo "SKIP: /dev/full is missing or not writable"
fi

# A file size limit of 1 KiB (bash counts ulimit -f in KiB).
for kind in "${kinds[@]}"; do
    case $kind in
    # The structure beside the script is larger than the limit and fails
    # first; the scripts are covered by the other ways.
    *-pml) continue ;;
    esac
    expect_old_kept "ulimit -f 1" "$kind" "$tmp/fsize" "File too large" \
        "trap '' XFSZ; ulimit -f 1"
done

# An output that is a folder, and one whose folder does not exist.
for kind in "${kinds[@]}"; do
    folder=$tmp/isdir/$kind
    mkdir -p "$folder/out.$(extension "$kind")"
    expect_failure "a folder" "$kind" "$folder" \
        "$folder/out.$(extension "$kind")" "folder" \
        "out.$(extension "$kind") " ""
    folder=$tmp/nofolder/$kind
    mkdir -p "$folder"
    expect_failure "no folder" "$kind" "$folder" \
        "$folder/missing/out.$(extension "$kind")" \
        "does not exist|No such file or directory" "" ""
done

# A folder with mode 555: read-only for everyone but root.
if [[ $(id -u) -ne 0 ]]; then
    mkdir -p "$tmp/mode555"
    chmod 555 "$tmp/mode555"
    for kind in "${kinds[@]}"; do
        expect_failure "mode 555" "$kind" "$tmp/mode555" \
            "$tmp/mode555/out.$(extension "$kind")" \
            "Permission denied|not writable" "" ""
    done
fi

# The mounts, in a private mount namespace.
if [[ $(id -u) -eq 0 ]]; then
    unshare_args=(--mount --propagation private)
else
    unshare_args=(--user --map-root-user --mount --propagation private)
fi
if command -v unshare >/dev/null \
        && unshare "${unshare_args[@]}" true 2>/dev/null; then
    unshare "${unshare_args[@]}" "$BASH" "$0" "$frameflow" "$source_dir" \
        --in-namespace "$tmp" || failures=$((failures + 1))
else
    echo "SKIP: no private mount namespace here (unshare failed), so the" \
         "full and read-only tmpfs are not checked"
fi

if ((failures > 0)); then
    echo "$failures failures"
    exit 1
fi
echo "every write failure ended cleanly"
