#!/bin/bash
# Every help page's examples run in some test: each HelpSource page with a code block in its examples section
# (a class page) or anywhere (a guide) is named by a test under tests/sc that passes pages to run_examples
# (the chunk runner, tests/sc/help_examples.scd). A page added without a runner fails here, with its name.
src=${CS_SOURCE_DIR:?}
fail=0
for page in "$src"/HelpSource/Classes/*.schelp "$src"/HelpSource/Guides/*.schelp; do
    name=$(basename "$page" .schelp)
    case "$page" in
    */Guides/*) body=$(cat "$page") ;;
    *) body=$(sed -n '/^[Ee][Xx][Aa][Mm][Pp][Ll][Ee][Ss]::/,$p' "$page") ;;
    esac
    printf '%s\n' "$body" | grep -q '^code::$' || continue
    # a runner names the page by its file name or, in a list of class names, by its name as a word
    if ! grep -lE "run_examples|help_examples" "$src"/tests/sc/*.sh | xargs grep -qwF -- "$name"; then
        echo "not ok: the examples of $(basename "$page") are run by no test (add it to a tests/sc runner)"
        fail=1
    fi
done
[ $fail = 0 ] && echo "ok: every help page with examples is run by a test"
exit $fail
