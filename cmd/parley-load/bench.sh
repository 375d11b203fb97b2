#!/bin/bash
# Reproduces the BENCHMARKS.md runs. Loopback only. Results in /tmp/bench-results.
# Each run: 10,000 visitor sockets held, 1,000 of them run the live chat playbook to
# its card and chat, RATE visitor messages/s offered for 20 s, each answered by its
# agent (so up to 2×RATE chat messages/s delivered, both directions counted).
# The generator runs the agents through the API (agent sockets + REST); in the
# two-server run they are spread over both servers, as behind a load balancer.
# PARLEY_LOAD_IN_PROCESS=1 runs them inside the bench servers instead
# (serve -agents-in-process), as the earliest figures did.
#   RATES="500 1000" (default): 1,000 and 2,000 chat messages/s offered.
set -u
L=${PARLEY_LOAD:-/tmp/parley-load}   # go build -o /tmp/parley-load ./cmd/parley-load
IP=${PARLEY_LOAD_IN_PROCESS:+-agents-in-process}
RATES=${RATES:-500 1000}
out=/tmp/bench-results; mkdir -p $out; rm -f $out/*
ulimit -n 20000
fresh() { psql -h 127.0.0.1 -U postgres -qc "drop database if exists $1" -c "create database $1" >/dev/null; }
run_one() { # name db rate
  local name=$1 db=$2 rate=$3
  $L serve -db "$db" -addr 127.0.0.1:9001 -agents 10 $IP > $out/$name-$rate.srv 2>&1 & local pid=$!
  sleep 4
  $L -url http://127.0.0.1:9001 -visitors 10000 -chatters 1000 -rate $rate -duration 20s -pid $pid > $out/$name-$rate.txt 2>&1
  echo "exit $?" >> $out/$name-$rate.txt
  kill $pid; wait $pid 2>/dev/null
}
for rate in $RATES; do
  rm -rf /tmp/benchdb; mkdir -p /tmp/benchdb
  run_one sqlite /tmp/benchdb/s.db $rate
  fresh parley_bench
  run_one postgres 'postgres://postgres@127.0.0.1:5432/parley_bench?sslmode=disable' $rate
  fresh parley_bench2
  DB='postgres://postgres@127.0.0.1:5432/parley_bench2?sslmode=disable'
  $L serve -db "$DB" -addr 127.0.0.1:9001 -agents 10 $IP -origin http://127.0.0.1 > $out/two-a-$rate.srv 2>&1 & a=$!
  sleep 4
  $L serve -db "$DB" -addr 127.0.0.1:9002 -agents 10 $IP -origin http://127.0.0.1 > $out/two-b-$rate.srv 2>&1 & b=$!
  sleep 4
  $L -url http://127.0.0.1:9001,http://127.0.0.1:9002 -agent-url http://127.0.0.1:9002,http://127.0.0.1:9001 -origin http://127.0.0.1 \
     -visitors 10000 -chatters 1000 -rate $rate -duration 20s > $out/two-$rate.txt 2>&1
  echo "exit $?" >> $out/two-$rate.txt
  kill $a $b; wait 2>/dev/null
done
psql -h 127.0.0.1 -U postgres -qc 'drop database if exists parley_bench' -c 'drop database if exists parley_bench2' >/dev/null
for f in $out/*.txt; do echo "== $(basename $f .txt)"; grep -E 'held|per idle|steps|delivered|→|lost|errors|exit' $f; done
