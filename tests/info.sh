#!/bin/bash
# rgroove-info on pools in use: a shm pool filled with known tags by
# tests/info_fill, read as text and JSON (checked with jq), directly, over
# loop: and, where UCX is configured, from an rgroove-server over ucx://;
# with a client attached, one at work, one killed; a file: pool; options,
# missing pools (never created) and a file that is no pool.
. "$(dirname "$0")/ucx/common.sh"   # work (a temporary folder), cleanup, start_server, stop_server
info=$top/tools/rgroove-info
fill=$top/tests/info_fill
name=/rg-info-$$-$RANDOM
missing=/rg-info-missing-$$-$RANDOM
pids=
info_cleanup() {
  for p in $pids; do kill -KILL "$p" 2>/dev/null; done
  rm -f "/dev/shm/${name#/}" "/dev/shm/${missing#/}"
  cleanup
}
trap info_cleanup EXIT

fail() { echo "FAIL: $*"; exit 1; }

# run_info OUT ARGS...: rgroove-info ARGS into OUT (stderr in OUT.err);
# it must exit 0
run_info() {
  local out=$1; shift
  timeout -k 5 120 "$info" "$@" >"$out" 2>"$out.err" || { cat "$out" "$out.err"; fail "rgroove-info $* exited $?"; }
}

# check FILE JQ...: FILE is valid JSON and every jq expression is true of
# it (one jq run for all; on a failure, one each to name it)
check() {
  local f=$1 all=true; shift
  jq -e . "$f" >/dev/null || { cat "$f"; fail "$f is not valid JSON"; }
  for e in "$@"; do all="$all and ($e)"; done
  jq -e "$all" "$f" >/dev/null && return 0
  cat "$f"
  for e in "$@"; do jq -e "$e" "$f" >/dev/null || fail "not true of $f: $e"; done
  fail "not true of $f: $all"
}

# tag T N B: tag T has N objects of B bytes in total
tag() { echo "(.tags.top | map(select(.tag==$1)) | .[0] | .objects==$2 and .bytes==$3)"; }

# start_fill OUT ARGS...: info_fill ARGS in the background until it says
# ready; sets fill_pid
start_fill() {
  local out=$1; shift
  "$fill" "$@" >"$out" 2>&1 &
  fill_pid=$!; pids="$pids $fill_pid"
  for _ in $(seq 100); do grep -q ready "$out" && return 0; kill -0 $fill_pid 2>/dev/null || break; sleep 0.1; done
  cat "$out"; fail "info_fill $* did not get ready"
}

stop_fill() {
  kill -TERM $fill_pid
  wait $fill_pid || fail "info_fill exited $? on SIGTERM"
}

# The region's metadata and the start of volume 0, where these few objects
# live: rgroove-info must leave them as they were.
digest() { head -c 64M "/dev/shm/${name#/}" | md5sum; }

echo "== a shm pool: 50 x 100 B tag 7, 3 x 5000 B tag 9, 2 x 40000 B tag 11"
"$fill" -c 1 "shm:$name" 7:100:50 9:5000:3 11:40000:2 || fail "info_fill could not fill shm:$name"
before=$(digest)
run_info "$work/a.json" --json "shm:$name"
check "$work/a.json" '.schema=="rgroove-info/1" and .transport=="shm"' \
  '.layout.version>=1 and (.layout.fingerprint|test("^0x[0-9a-f]{16}$"))' \
  '.region.volume_max==1 and .region.volume_size==1073741824 and .region.size>1073741824' \
  '.usage.ok and .usage.volumes_added==1 and .usage.volumes_in_use==1 and .usage.volumes_empty==0' \
  '.usage.objects==55 and .usage.bytes==100000 and .objects.count==55 and .objects.bytes==100000' \
  '.classes_from=="audit" and ([.classes[].objects]|add)==55 and ([.classes[].superblocks]|add)==.usage.superblocks' \
  '[.classes[] | select(.objects==50 and .bytes==5000 and .slot_bytes>=116)] | length==1' \
  '[.classes[] | select(.objects==3 and .bytes==15000 and .slot_bytes>=5016)] | length==1' \
  'all(.classes[]; .objects + .free_slots <= .superblocks*.slots_per_superblock)' \
  '.tags.count==3 and .tags.shown==3' "$(tag 7 50 5000)" "$(tag 9 3 15000)" "$(tag 11 2 80000)" \
  '.tags.top[0].tag==7' '.clients==[] and .attached==0 and .gone==0 and (.snapshot|not)' '.cost.round_trips==0'
run_info "$work/top.json" -j -n 1 "shm:$name"
check "$work/top.json" '.tags.count==3 and .tags.shown==1 and .tags.top[0].tag==7'
run_info "$work/a.txt" "shm:$name"
cat "$work/a.txt"
grep -Eq "^pool +shm:$name \(transport shm\)$" "$work/a.txt" || fail "text: no pool line"
grep -Eq '^volumes .*1 added of volume_max 1 \(1 in use, 0 empty' "$work/a.txt" || fail "text: no volumes line"
grep -Eq '^ +7 +50 +5000$' "$work/a.txt" && grep -Eq '^ +11 +2 +80000$' "$work/a.txt" || fail "text: tag rows"
grep -q '^client records: none taken$' "$work/a.txt" || fail "text: client records"
run_info "$work/all.txt" -a "shm:$name"
grep -q '^tags: 3, all shown$' "$work/all.txt" || fail "text: --all"
[ "$(digest)" = "$before" ] || fail "rgroove-info changed the pool"

echo "== the same pool over loop: (every read a counted request)"
run_info "$work/loop.json" -j "loop:shm:$name"
check "$work/loop.json" '.transport=="loop" and .cost.round_trips>0 and .usage.objects==55' \
  "$(tag 7 50 5000)" "$(tag 9 3 15000)" "$(tag 11 2 80000)"
[ "$(jq -c '.classes' "$work/loop.json")" = "$(jq -c '.classes' "$work/a.json")" ] || fail "loop: and shm: classes differ"

echo "== a client attached, holding 10 x 64 B tag 13"
start_fill "$work/w.out" -w "shm:$name" 13:64:10
run_info "$work/w.json" -j "shm:$name"
check "$work/w.json" '.snapshot and .attached==1 and (.clients|length)==1' \
  ".clients[0] | .state==\"live\" and .identity.kind==\"pid\" and .identity.pid==$fill_pid and .identity.alive" \
  '.clients[0] | .objects==10 and .bytes==640 and .held_superblocks>=1 and .owner>0 and (.joined_utc|test("Z$"))' \
  "$(tag 13 10 640)" "$(tag 7 50 5000)"
run_info "$work/w.txt" "shm:$name"
cat "$work/w.txt"
grep -q "pid $fill_pid (running)" "$work/w.txt" || fail "text: the attached client"
grep -q '^note: 1 client(s) attached: every figure is a snapshot' "$work/w.txt" || fail "text: no snapshot note"
stop_fill
run_info "$work/left.json" -j "shm:$name"
check "$work/left.json" '.clients==[] and (.snapshot|not) and .usage.ok' "$(tag 13 10 640)"

echo "== a client at work (allocating and freeing tag 99)"
start_fill "$work/s.out" -s 99 "shm:$name"
for i in 1 2 3; do
  run_info "$work/s$i.json" -j -t 2 "shm:$name"
  check "$work/s$i.json" '.snapshot and .attached==1' "$(tag 7 50 5000)" "$(tag 13 10 640)" \
    '.usage.ok or (.classes_from=="walk" and .usage.superblocks==null and (.usage.error|length)>0 and .usage.tries==2)'
  jq -c '{usage_ok: .usage.ok, tries: .usage.tries, error: .usage.error, objects: .objects.count}' "$work/s$i.json"
done
run_info "$work/s.txt" -t 1 "shm:$name"
grep -q '^note: 1 client(s) attached' "$work/s.txt" || fail "text: a client at work, no snapshot note"
stop_fill
run_info "$work/after.json" -j -a "shm:$name"
check "$work/after.json" '.usage.ok and (.tags.top | map(select(.tag==99)) | length==0)'

echo "== a client killed while attached"
start_fill "$work/k.out" -w "shm:$name" 17:64:4
kill -KILL $fill_pid; wait $fill_pid 2>/dev/null
run_info "$work/k.json" -j "shm:$name"
check "$work/k.json" '.attached==0 and .gone==1 and (.snapshot|not)' \
  ".clients[0] | .identity.pid==$fill_pid and .identity.alive==false and .objects==4" "$(tag 17 4 256)"
run_info "$work/k.txt" "shm:$name"
grep -q "pid $fill_pid (gone)" "$work/k.txt" && grep -q '^note: 1 record(s) of processes that are gone' "$work/k.txt" ||
  { cat "$work/k.txt"; fail "text: the killed client"; }

echo "== a file: pool"
"$fill" -c 1 "file:$work/pool" 5:10:3 || fail "info_fill could not fill file:$work/pool"
run_info "$work/f.json" -j "file:$work/pool"
check "$work/f.json" '.usage.objects==3' "$(tag 5 3 30)"

echo "== options"
run_info "$work/help" --help
head -1 "$work/help" | grep -q '^Usage: rgroove-info \[options\] URI$' || fail "--help: usage line"
for o in "-j, --json" "-n, --top N" "-a, --all" "-t, --tries N" "-V, --version" "-h, --help"; do
  grep -q -- "^  $o" "$work/help" || fail "--help does not list '$o'"
done
run_info "$work/version" -V
grep -Eq '^rgroove-info \(rgroove\) [0-9]' "$work/version" || fail "--version: $(cat "$work/version")"
# bad_args STATUS ARGS...: rgroove-info ARGS exits STATUS with a message
bad_args() {
  local want=$1; shift
  "$info" "$@" >"$work/bad" 2>"$work/bad.err"; local st=$?
  [ $st = "$want" ] && [ -s "$work/bad.err" ] || { cat "$work/bad.err"; fail "rgroove-info $* exited $st, not $want with a message"; }
}
bad_args 2 -n abc "shm:$name"; grep -q 'expected a number' "$work/bad.err" || fail "--top abc: no message"
bad_args 2 --top 0 "shm:$name"
bad_args 2 -t -1 "shm:$name"
bad_args 2 --tries 1001 "shm:$name"
bad_args 2 --bogus "shm:$name"
bad_args 2
bad_args 2 "shm:$name" "shm:$name"
bad_args 2 anon
bad_args 2 loop:anon
bad_args 2 nosuch:scheme

echo "== missing pools are reported, never created"
for uri in "shm:$missing" "loop:shm:$missing" "file:$work/missing"; do
  bad_args 1 "$uri"
  grep -q 'no pool there.*nothing was created' "$work/bad.err" || { cat "$work/bad.err"; fail "$uri: no clear message"; }
done
[ -e "/dev/shm/${missing#/}" ] && fail "rgroove-info created shm:$missing"
[ -e "$work/missing" ] && fail "rgroove-info created $work/missing"
truncate -s 8M "$work/zeros"
bad_args 1 "file:$work/zeros"
grep -q 'not an rgroove region' "$work/bad.err" || { cat "$work/bad.err"; fail "a file of zeros: no clear message"; }

if [ "$RG_HAVE_UCX" = 1 ]; then
  echo "== a server over ucx:// (UCX_TLS=$UCX_TLS)"
  start_server --volumes 1
  "$fill" "$pool" 21:256:40 || fail "info_fill could not fill $pool"
  start_fill "$work/u.out" -w "$pool" 22:64:5
  run_info "$work/u.json" -j "$pool"
  check "$work/u.json" '.transport=="ucx" and .cost.round_trips>0 and .usage.ok and .usage.objects==45' \
    "$(tag 21 40 10240)" "$(tag 22 5 320)" \
    '(.clients|map(select(.objects==5))|length)==1 and (.clients|map(select(.identity.kind=="server"))|length)==(.clients|length) and .attached==(.clients|length)'
  run_info "$work/u.txt" "$pool"
  cat "$work/u.txt"
  stop_fill
  stop_server
else
  echo "== skip: ucx:// (UCX not configured)"
fi
echo "info: OK"
