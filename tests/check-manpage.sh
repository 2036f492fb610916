#!/usr/bin/env bash
# Check the manual page against the program. The commands that
# 'frameflow --help' lists must be the .SS subsections of COMMANDS, and the
# options of 'frameflow COMMAND --help' those of the .TP entries in the
# command's subsection. The options of 'frameflow --help' itself belong
# under .SH OPTIONS. When groff is installed, its warnings about the page's
# markup fail the check too.
#
# Usage: check-manpage.sh FRAMEFLOW MANPAGE
set -euo pipefail

program=$1
manpage=$2
failed=0

fail() {
    echo "check-manpage: $*" >&2
    failed=$((failed + 1))
}

# Read option-definition lines on stdin and print the option names they
# define, one per line: the leading tokens that start with '-', skipping
# argument names in capitals ("-o, --output FILE  the file" gives -o and
# --output), up to the first word of the description.
option_names() {
    awk '{
        n = split($0, token, /[ \t]+/)
        for (i = 1; i <= n; i++) {
            t = token[i]
            sub(/,$/, "", t)
            if (t == "") {
                continue
            }
            if (t ~ /^--?[A-Za-z0-9]/) {
                sub(/[=[].*/, "", t)
                print t
                continue
            }
            if (t ~ /^[][A-Z0-9_=|.<>-]+$/) {
                continue
            }
            break
        }
    }' | sort -u
}

# Print the option-definition lines of a help text on stdin: lines that
# start with spaces and a dash.
help_option_lines() {
    grep -E '^ +-' || true
}

# Print the lines of the manual page from the line that matches the regular
# expression start up to the next .SH or .SS line.
man_section() {
    awk -v start="$1" '
        found && /^\.S[HS]/ { exit }
        found { print }
        $0 ~ start { found = 1 }
    ' "$manpage"
}

# Print the option-definition lines of a manual page section on stdin: the
# line after each .TP, with font escapes, quotes and macro names removed.
man_option_lines() {
    awk 'tp { print; tp = 0; next } /^\.TP/ { tp = 1 }' \
        | sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/"//g' \
              -e 's/^\.[A-Z][A-Z]* *//'
}

compare() {
    local what=$1 from_help=$2 from_man=$3
    if ! diff -u --label "$what in --help" --label "$what in $manpage" \
            "$from_help" "$from_man" >"$tmp/diff"; then
        fail "$what differ between the program and the manual page:"
        cat "$tmp/diff" >&2
    fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/frameflow-manpage.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if command -v groff >/dev/null; then
    if ! groff -man -ww -z "$manpage" 2>"$tmp/groff"; then
        fail "groff failed on $manpage"
    fi
    if [[ -s "$tmp/groff" ]]; then
        fail "groff warns about $manpage:"
        cat "$tmp/groff" >&2
    fi
else
    echo "check-manpage: groff is not installed; not checking the markup"
fi

"$program" --help >"$tmp/help"
help_option_lines <"$tmp/help" | option_names >"$tmp/help-options"
man_section '^\.SH OPTIONS' | man_option_lines | option_names \
    >"$tmp/man-options"
compare "options of frameflow" "$tmp/help-options" "$tmp/man-options"

# Commands: the first word of each line between "Commands:" and the next
# blank line of the help text.
awk '/^Commands:/ { found = 1; next } found && /^$/ { exit }
     found { print $1 }' "$tmp/help" | sort >"$tmp/help-commands"
awk '/^\.SH/ { in_commands = ($0 ~ /^\.SH COMMANDS/) }
     in_commands && /^\.SS / { gsub(/"/, ""); print $2 }' "$manpage" \
    | sort >"$tmp/man-commands"
compare "commands" "$tmp/help-commands" "$tmp/man-commands"

while read -r command; do
    if ! "$program" "$command" --help >"$tmp/help-$command"; then
        fail "frameflow $command --help failed"
        continue
    fi
    help_option_lines <"$tmp/help-$command" | option_names \
        >"$tmp/help-options-$command"
    man_section "^\\.SS \"?$command\"?\$" | man_option_lines | option_names \
        >"$tmp/man-options-$command"
    compare "options of frameflow $command" "$tmp/help-options-$command" \
        "$tmp/man-options-$command"
done <"$tmp/help-commands"

count=$(wc -l <"$tmp/help-commands")
if ((failed > 0)); then
    echo "check-manpage: $failed checks failed; update $manpage: each" \
         "command has a '.SS COMMAND' subsection under '.SH COMMANDS'" \
         "with one .TP entry per option, the option line right after" \
         "the .TP" >&2
    exit 1
fi
echo "check-manpage: the manual page matches frameflow --help" \
     "and $count commands"
