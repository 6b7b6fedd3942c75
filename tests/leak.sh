#!/bin/sh
# Run by make check after every other test: nothing they made may
# remain.  An rgroove entry in /dev/shm or /tmp newer than leak-start
# (made just before the first test) fails the check; it is listed, not
# removed (it could be another tree's, see below).  One that a live
# process still maps or holds open belongs to a run still going on this
# machine: it is reported, not counted.  A make check of another tree
# that leaked in the same minutes would be blamed here: CI runs alone.
mark=leak-start
[ -f "$mark" ] || { echo "SKIP: no $mark: run through make check"; exit 77; }

# in_use FILE: a live process maps FILE or holds it open
in_use() {
  grep -qs -- " $1\( (deleted)\)\?$" /proc/[0-9]*/maps && return 0
  find /proc/[0-9]*/fd -lname "$1" 2>/dev/null | grep -q .
}

leaks=0 checked=0
for f in $(find /dev/shm /tmp -maxdepth 1 -name 'rgroove*' -newer "$mark" 2>/dev/null); do
  checked=$((checked + 1))
  if in_use "$f"; then echo "in use by a live process, not this run's leak: $f"; continue; fi
  echo "LEAK: $f ($(stat -c '%s bytes, modified %y' "$f"))"
  leaks=$((leaks + 1))
done
now=$(find /dev/shm /tmp -maxdepth 1 -name 'rgroove*' 2>/dev/null | wc -l)
echo "$leaks left behind by this run (of $checked made since it started; $now rgroove entries in /dev/shm and /tmp in all)"
[ $leaks = 0 ] && exit 0
echo "(made by this run's tests, unless another tree's make check ran on this machine meanwhile: compare the times with tests/*.log)"
exit 1
