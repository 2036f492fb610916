#!/usr/bin/env bash
# Run the catalogue of bad input, tests/bad-input/catalogue.tsv. Each row
# runs frameflow once, in an empty output folder that is also the working
# folder, and checks:
#   - the exit status, and that no signal, timeout or sanitizer report
#     ended the run;
#   - the first line of stderr, and that a failure prints exactly one line;
#   - the files in the output folder afterwards: exactly those the row
#     names, so a failure leaves no output and no temporary file.
# Inputs that are big or special (100 MB lines, symbolic link loops,
# unreadable files, damaged model files) are made here, in a scratch
# folder, when their row runs.
#
# Usage: bad-input.sh FRAMEFLOW MAKE_MODEL EDIT_MODEL SOURCE_DIR SCRATCH_DIR
set -u

# Each case runs in its own folder, so the program needs an absolute path.
frameflow=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
make_model=$2
edit_model=$3
data=$4/tests/bad-input
scratch=$5

# Seconds after which a case counts as hung. The slowest case, a 100 MB
# line, takes a few seconds under the sanitizers.
case_limit=300

dir=$(mktemp -d "$scratch/bad-input-XXXXXX")
trap 'chmod -R u+rwx "$dir" 2>/dev/null; rm -rf "$dir"' EXIT
mkdir "$dir/made" "$dir/cases"
failures=0
passed=0
skipped=0

# Report one failed check of the current case; a case counts once.
fail() {
    echo "not ok $case_number $id: $*"
    if [ "$case_failed" -eq 0 ]; then
        failures=$((failures + 1))
    fi
    case_failed=1
}

# Write count copies of the character char to stdout.
repeat() {
    head -c "$1" /dev/zero | tr '\0' "$2"
}

# Make the special input name (the catalogue writes it @name) and print its
# path. Set run_as to a command prefix when the case must run as another
# user, and return 1 to skip the case when that is not possible.
make_input() {
    local path=$dir/made/$1
    case $1 in
    long-atom-line.pdb)
        # A valid ATOM record followed by 100 MB of digits, as when line
        # breaks are lost.
        { head -n 1 "$data/good.pdb" | head -c 80; repeat 100000000 7
          printf '\n'; tail -n +2 "$data/good.pdb"; } >"$path" ;;
    long-line.tsv)
        { head -n 2 "$frames"; repeat 100000000 1; printf '\n'; } >"$path" ;;
    long-line.list)
        { repeat 100000000 a; printf '\n'; } >"$path" ;;
    long-line.csv)
        { printf 'step,loss,seconds\n'; repeat 100000000 1; printf '\n'; } \
            >"$path" ;;
    loop.pdb)
        ln -s loop-back.pdb "$path"
        ln -s loop.pdb "$dir/made/loop-back.pdb" ;;
    folder-with-loop)
        mkdir "$path"
        ln -s loop.pdb "$path/loop.pdb" ;;
    folder)
        mkdir "$path" ;;
    line-break-in-name)
        # A file name with a line break, printed back as \n.
        path=$dir/made/$'line\nbreak.pdb'
        cp "$data/good.pdb" "$path" ;;
    unreadable.pdb)
        # Root reads every file, so root runs this case as the user nobody.
        if [ "$(id -u)" -eq 0 ]; then
            run_as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
            if ! "${run_as[@]}" test -x "$frameflow" 2>/dev/null; then
                return 1
            fi
        fi
        cp "$data/good.pdb" "$path"
        chmod 000 "$path" ;;
    version-2.ffm)
        "$edit_model" "$model" "$path" version 2 ;;
    nan-translation-scale.ffm)
        "$edit_model" "$model" "$path" translation-scale nan ;;
    inf-learning-rate.ffm)
        "$edit_model" "$model" "$path" learning-rate inf ;;
    nan-parameter.ffm)
        "$edit_model" "$model" "$path" parameter nan ;;
    inf-adam-v.ffm)
        "$edit_model" "$model" "$path" adam-v -inf ;;
    truncated.ffm)
        head -c 100000 "$model" >"$path" ;;
    bad-crc.ffm)
        # One flipped byte in the parameters.
        cp "$model" "$path"
        printf '\377' | dd of="$path" bs=1 seek=50000 conv=notrunc \
            2>/dev/null ;;
    *)
        echo "bad-input: unknown special input @$1" >&2
        exit 1 ;;
    esac
    printf '%s' "$path"
}

# Print pattern as a bash pattern in which only * is special.
literal_except_star() {
    local pattern=$1 out= c
    for ((k = 0; k < ${#pattern}; k++)); do
        c=${pattern:k:1}
        if [ "$c" = '*' ]; then
            out+='*'
        else
            out+="\\$c"
        fi
    done
    printf '%s' "$out"
}

# Replace the placeholders of text.
substitute() {
    local text=$1
    text=${text//\{in\}/$input}
    text=${text//\{out\}/$out}
    text=${text//\{data\}/$data}
    text=${text//\{model\}/$model}
    text=${text//\{trained\}/$trained}
    text=${text//\{frames\}/$frames}
    printf '%s' "$text"
}

# Shared inputs: an untrained model, a model trained one step on good.pdb
# and the frames of good.pdb.
model=$dir/model.ffm
trained=$dir/trained.ffm
frames=$dir/good.tsv
"$make_model" small "$model" 7 || exit 1
"$frameflow" train "$data/good.pdb" --arch small --steps 1 --batch 5 \
    --threads 1 -o "$trained" -q || exit 1
"$frameflow" frames "$data/good.pdb" -o "$frames" -q || exit 1

# Run the cases.
case_number=0
declare -A commands_seen
while IFS=$'\t' read -r id source template want_status want_line \
        want_files; do
    case $id in
    '#'* | '') continue ;;
    esac
    case_number=$((case_number + 1))
    case_failed=0
    out=$dir/cases/$id
    mkdir "$out"

    input=
    run_as=()
    if [[ $source == @* ]]; then
        # Not in a subshell, so that make_input can set run_as.
        if ! make_input "${source#@}" >"$dir/input-path"; then
            echo "ok $case_number $id # skip: cannot run as another user"
            skipped=$((skipped + 1))
            continue
        fi
        input=$(cat "$dir/input-path")
        if [ ${#run_as[@]} -gt 0 ]; then
            # The other user reaches the input and writes the output.
            chmod 755 "$dir" "$dir/made"
            chmod 777 "$out"
        fi
    elif [ "$source" != - ]; then
        input=$data/$source
    fi

    read -r -a words <<<"$template"
    commands_seen[${words[0]}]=1
    args=()
    for word in "${words[@]}"; do
        args+=("$(substitute "$word")")
    done
    (cd "$out" && exec "${run_as[@]}" timeout "$case_limit" "$frameflow" \
        "${args[@]}") >"$dir/stdout" 2>"$dir/stderr"
    status=$?

    if [ "$status" -eq 124 ]; then
        fail "timed out after $case_limit s"
    elif [ "$status" -gt 128 ]; then
        fail "killed by signal $((status - 128))"
    elif [ "$status" -ne "$want_status" ]; then
        fail "exit status $status, expected $want_status"
    fi
    if grep -q -E 'Sanitizer|runtime error:' "$dir/stderr"; then
        fail "sanitizer report: $(grep -m 1 -E 'Sanitizer|runtime error:' \
            "$dir/stderr")"
    fi
    first=$(head -n 1 "$dir/stderr")
    if [ "$want_line" = - ]; then
        if [ -s "$dir/stderr" ]; then
            fail "stderr is not empty: $first"
        fi
    else
        want_line=$(substitute "$want_line")
        # shellcheck disable=SC2053
        if [[ $first != $(literal_except_star "$want_line") ]]; then
            fail "first line of stderr: $first"
            echo "#   expected: $want_line"
        fi
    fi
    lines=$(wc -l <"$dir/stderr")
    if [ "$want_status" -ne 0 ] && [ "$lines" -ne 1 ]; then
        fail "$lines lines on stderr, expected 1"
    fi
    files=$(ls -A "$out" | sort | tr '\n' ' ')
    want=$( [ "$want_files" = - ] || printf '%s\n' $want_files | sort \
            | tr '\n' ' ')
    if [ "$files" != "$want" ]; then
        fail "output folder holds '$files', expected '$want'"
    fi

    if [ "$case_failed" -eq 0 ]; then
        echo "ok $case_number $id"
        passed=$((passed + 1))
    fi
    # The 100 MB inputs go as soon as their case is done.
    rm -f "$dir"/made/long-*
done <"$data/catalogue.tsv"

# The files that must read as if nothing were wrong give the frames of
# good.pdb; atom-after-end.pdb gives those of its first two residues.
reference=$dir/reference.tsv
"$frameflow" frames "$data/good.pdb" -o "$reference" -q --interpolate 0
same_frames() {
    local file=$dir/cases/$1/a.tsv rows=$2
    case_number=$((case_number + 1))
    id="$1 frames"
    case_failed=0
    if ! cmp -s <(cut -f 2- "$file" | head -n "$rows") \
                <(cut -f 2- "$reference" | head -n "$rows") \
       || [ "$(wc -l <"$file")" -ne "$rows" ]; then
        fail "frames differ from those of good.pdb"
    else
        echo "ok $case_number $id"
        passed=$((passed + 1))
    fi
}
same_frames pdb-crlf 5
same_frames gz-name-on-plain-text 5
same_frames gzip-under-pdb-name 5
same_frames pdb-atom-after-end 4

# Every command has cases, and there are at least 40.
for command in frames train sample export eval info plot; do
    if [ -z "${commands_seen[$command]:-}" ]; then
        echo "not ok: the catalogue has no case for '$command'"
        failures=$((failures + 1))
    fi
done
if [ "$case_number" -lt 40 ]; then
    echo "not ok: only $case_number cases, expected at least 40"
    failures=$((failures + 1))
fi

echo "$passed passed, $skipped skipped, $failures failed"
[ "$failures" -eq 0 ]
