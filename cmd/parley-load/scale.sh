#!/bin/bash
# Does a second server add capacity? On one 2-core machine the servers,
# PostgreSQL and the generator share the cores, so each bench server is held
# to CAP of a core by a cgroup (standing in for a machine of its own) and the
# same overload is offered to one capped server, then to two on the same
# PostgreSQL, agents spread over both as behind a load balancer. The quota is
# per 10 ms period, so that a throttled server stalls for milliseconds, not
# for most of the default 100 ms period.
# Needs root and the cgroup v1 cpu controller (/sys/fs/cgroup/cpu) or cgroup
# v2 (/sys/fs/cgroup/cpu.max). Loopback only. Results in /tmp/scale-results.
set -u
L=${PARLEY_LOAD:-/tmp/parley-load}          # go build -o /tmp/parley-load ./cmd/parley-load
CAP=${CAP:-50}                              # percent of one core per server
RATE=${RATE:-1000} VISITORS=${VISITORS:-2000} CHATTERS=${CHATTERS:-1000} DUR=${DUR:-20s}
out=/tmp/scale-results; mkdir -p $out; rm -f $out/*

cap() { # name pid: hold pid to CAP% of a core
  if [ -d /sys/fs/cgroup/cpu ] && [ ! -f /sys/fs/cgroup/cpu.max ]; then
    local d=/sys/fs/cgroup/cpu/parley-$1
    mkdir -p $d && echo 10000 > $d/cpu.cfs_period_us && echo $((CAP * 100)) > $d/cpu.cfs_quota_us && echo $2 > $d/cgroup.procs
  else
    local d=/sys/fs/cgroup/parley-$1
    mkdir -p $d && echo "$((CAP * 100)) 10000" > $d/cpu.max && echo $2 > $d/cgroup.procs
  fi || { echo "cannot cap $1: need root and a cgroup cpu controller" >&2; exit 1; }
}
uncap() { for d in /sys/fs/cgroup/cpu/parley-* /sys/fs/cgroup/parley-*; do [ -d $d ] && rmdir $d; done 2>/dev/null; true; }
trap uncap EXIT
fresh() { psql -h 127.0.0.1 -U postgres -qc "drop database if exists $1" -c "create database $1" >/dev/null; }
ulimit -n 20000

# One capped server.
fresh parley_scale1
DB='postgres://postgres@127.0.0.1:5432/parley_scale1?sslmode=disable'
$L serve -db "$DB" -addr 127.0.0.1:9001 -agents 10 -origin http://127.0.0.1 > $out/one.srv 2>&1 & a=$!
sleep 4; cap one $a
$L -url http://127.0.0.1:9001 -origin http://127.0.0.1 -visitors $VISITORS -chatters $CHATTERS -rate $RATE -duration $DUR > $out/one.txt 2>&1
echo "one exit $?" >> $out/one.txt
kill $a; wait $a 2>/dev/null; uncap

# Two capped servers on one PostgreSQL.
fresh parley_scale2
DB='postgres://postgres@127.0.0.1:5432/parley_scale2?sslmode=disable'
$L serve -db "$DB" -addr 127.0.0.1:9001 -agents 10 -origin http://127.0.0.1 > $out/two-a.srv 2>&1 & a=$!
sleep 4
$L serve -db "$DB" -addr 127.0.0.1:9002 -agents 10 -origin http://127.0.0.1 > $out/two-b.srv 2>&1 & b=$!
sleep 4; cap a $a; cap b $b
$L -url http://127.0.0.1:9001,http://127.0.0.1:9002 -agent-url http://127.0.0.1:9002,http://127.0.0.1:9001 -origin http://127.0.0.1 \
   -visitors $VISITORS -chatters $CHATTERS -rate $RATE -duration $DUR > $out/two.txt 2>&1
echo "two exit $?" >> $out/two.txt
kill $a $b; wait 2>/dev/null
psql -h 127.0.0.1 -U postgres -qc 'drop database if exists parley_scale1' -c 'drop database if exists parley_scale2' >/dev/null
for f in one two; do echo "== $f"; grep -E 'servers|steps|delivered|→|lost|errors|exit' $out/$f.txt; done
