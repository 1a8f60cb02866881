#!/bin/sh
# Takes jobs from its queues (here: says which ones, then waits).
echo "worker $(cat /etc/worker-version) serving: $*"
exec sleep 2147483647
