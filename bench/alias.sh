#!/bin/sh
# The shell alias people write instead of dispatch (issue #21), as a bench case:
# fetch the issue with curl, add a worktree, start `claude -p` in the background.
#   alias.sh <api base> <owner> <repo> <number> <checkout> <worktree> <claude>
set -e
api=$1 owner=$2 repo=$3 n=$4 checkout=$5 wt=$6 claude=$7
issue=$(curl -sf "$api/repos/$owner/$repo/issues/$n")
git -C "$checkout" worktree add -q -b "alias/issue-$n" "$wt" origin/main
cd "$wt"
printf '%s\n' "$issue" | nohup "$claude" -p --output-format stream-json --verbose >"$wt.log" 2>&1 &
