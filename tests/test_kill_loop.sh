#!/bin/sh
exec "$(dirname "$0")/over-loop.sh" test_kill
