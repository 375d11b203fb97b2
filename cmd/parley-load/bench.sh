#!/bin/bash
# Reproduces the BENCHMARKS.md runs. Loopback only.
# The generator runs the servers' agents through the API (agent sockets + REST; in the
# two-server run those of the last -url, B). PARLEY_LOAD_IN_PROCESS=1 runs them inside
# the bench servers instead (serve -agents-in-process), as the earlier figures did.
set -u
L=${PARLEY_LOAD:-/tmp/parley-load}   # go build -o /tmp/parley-load ./cmd/parley-load
IP=${PARLEY_LOAD_IN_PROCESS:+-agents-in-process}
out=/tmp/bench-results; mkdir -p $out; rm -f $out/*
run_one() { # name db
  local name=$1 db=$2
  $L serve -db "$db" -addr 127.0.0.1:9001 -agents 10 $IP > $out/$name.srv 2>&1 & local pid=$!
  sleep 4
  $L -url http://127.0.0.1:9001 -visitors 10000 -chatters 1000 -rate 1000 -duration 20s -pid $pid > $out/$name.txt 2>&1
  kill $pid; wait $pid 2>/dev/null
}
rm -rf /tmp/benchdb; mkdir -p /tmp/benchdb
run_one sqlite /tmp/benchdb/s.db
psql -h 127.0.0.1 -U postgres -qc 'drop database if exists parley_bench' -c 'create database parley_bench'
run_one postgres 'postgres://postgres@127.0.0.1:5432/parley_bench?sslmode=disable'
psql -h 127.0.0.1 -U postgres -qc 'drop database if exists parley_bench2' -c 'create database parley_bench2'
DB='postgres://postgres@127.0.0.1:5432/parley_bench2?sslmode=disable'
$L serve -db "$DB" -addr 127.0.0.1:9001 -agents 0 -origin http://127.0.0.1 > $out/two-a.srv 2>&1 & a=$!
sleep 4
$L serve -db "$DB" -addr 127.0.0.1:9002 -agents 10 $IP -origin http://127.0.0.1 > $out/two-b.srv 2>&1 & b=$!
sleep 4
$L -url http://127.0.0.1:9001,http://127.0.0.1:9002 -origin http://127.0.0.1 -visitors 10000 -chatters 1000 -rate 1000 -duration 20s > $out/two.txt 2>&1
kill $a $b; wait 2>/dev/null
psql -h 127.0.0.1 -U postgres -qc 'drop database if exists parley_bench' -c 'drop database if exists parley_bench2'
echo done > $out/DONE
