#!/bin/sh
# summary.sh DIR...: one closing line for the test logs under each DIR:
# every CUnit test counts once, every other test script once; a DIR with
# a summary.txt ("PASSED FAILED", written by tests/rxe/check-rxe) adds it.
passed=0; failed=0
for dir in "$@"; do
  if [ -f "$dir/summary.txt" ]; then
    read p f <"$dir/summary.txt"
    passed=$((passed + p)); failed=$((failed + f))
    continue
  fi
  for trs in $(find "$dir" -name '*.trs' 2>/dev/null); do
    log="${trs%.trs}.log"
    row=$(grep -E '^ +tests +[0-9]' "$log" 2>/dev/null | tail -n 1)
    if [ -n "$row" ]; then
      set -- $row
      passed=$((passed + $4)); failed=$((failed + $5))
      if ! grep -q ':test-result: PASS' "$trs" && [ "$5" -eq 0 ]; then failed=$((failed + 1)); fi
    elif grep -q ':test-result: PASS' "$trs"; then passed=$((passed + 1))
    else failed=$((failed + 1)); fi
  done
done
echo "$passed passed, $failed failed"
