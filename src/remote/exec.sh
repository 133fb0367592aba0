#!/bin/sh
# gocpu exec (remote side): the last step, inside the view, started by nsenter.
# Applies the forwarded environment (a block of `export K='V'` lines that reached
# us through the run header on stdin, never a command line), tells the local side
# that everything from here on is the test's own output, and becomes the test.
#
# Usage: sh -c "$(cat exec.sh)" gocpu-exec NONCE MERGE PROGRAM ARGS...
nonce=$1 merge=$2
shift 2
PATH=$GOCPU_PATH
eval "$GOCPU_ENV"
unset GOCPU_ENV GOCPU_PATH
printf 'gocpu-%s exec\n' "$nonce" >&2
# go hands its wrapper one pipe for stdout and stderr; one stream on the remote too
# keeps their bytes in the order the test wrote them.
if [ "$merge" = 1 ]; then exec 2>&1; fi
exec "$@"
