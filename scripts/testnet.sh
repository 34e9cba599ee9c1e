#!/usr/bin/env bash
# Local testnet on loopback: N nodes, each with its own data directory, ports
# and (on Linux) loopback address, connected to each other; node 1 mines to
# the "alice" wallet.
#
#   scripts/testnet.sh start [N]   start N nodes (default 3)
#   scripts/testnet.sh status      height, tip, peers and mempool of every node
#   scripts/testnet.sh logs [I]    follow the log of node I (default all) until Ctrl-C
#   scripts/testnet.sh stop        stop every node (SIGTERM, clean shutdown)
#   scripts/testnet.sh wipe        stop and delete all data
#
# Data lives in $TESTNET_DIR (default ./testnet-data). MINERS sets how many
# nodes mine (default 1); THREADS the threads per miner (default 1).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${TESTNET_DIR:-$root/testnet-data}"
node="$root/bin/node"
wallet="$root/bin/wallet"
export WALLET_PASSPHRASE="${WALLET_PASSPHRASE:-testnet}"

need_build() {
  [ -x "$node" ] && [ -x "$wallet" ] || { echo "error: run 'make build' first" >&2; exit 1; }
}

# node_ip I: node I's loopback address. Bans apply to loopback addresses
# too, so on Linux (which routes all of 127.0.0.0/8 to lo) each node has its
# own, 127.0.1.I: a node banned for misbehaving does not take the others'
# shared address with it. Elsewhere only 127.0.0.1 is sure to exist.
node_ip() {
  if [ "$(uname -s)" = Linux ]; then echo "127.0.1.$1"; else echo 127.0.0.1; fi
}

wait_for_info() { # datadir
  for _ in $(seq 1 300); do
    [ -s "$1/node.json" ] && return 0
    sleep 0.1
  done
  echo "error: node in $1 did not start; see $1/node.log" >&2
  exit 1
}

first_addr() { # datadir -> its p2p multiaddr on loopback
  sed -n 's/.*"\(\/ip4\/127\.[0-9.]*\/tcp\/[0-9]*\/p2p\/[A-Za-z0-9]*\)".*/\1/p' "$1/node.json" | head -1
}

cmd_start() {
  need_build
  local n="${1:-3}" miners="${MINERS:-1}" threads="${THREADS:-1}"
  if ! [ "$n" -ge 1 ] 2>/dev/null || [ "$n" -gt 254 ]; then
    echo "error: the number of nodes must be 1 to 254, got '$n'" >&2
    exit 2
  fi
  mkdir -p "$dir"
  if [ ! -f "$dir/alice.wallet" ]; then
    "$wallet" --network testnet --wallet "$dir/alice.wallet" create > "$dir/alice.json"
  fi
  local mine_to
  mine_to="$("$wallet" --network testnet --wallet "$dir/alice.wallet" address | sed -n 's/.*"address": *"\([^"]*\)".*/\1/p')"
  local peers=()
  for i in $(seq 1 "$n"); do
    local d="$dir/node$i"
    mkdir -p "$d"
    if [ -s "$d/node.json" ] && kill -0 "$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$d/node.json")" 2>/dev/null; then
      echo "node$i already running"
      peers+=("--peer" "$(first_addr "$d")")
      continue
    fi
    rm -f "$d/node.json"
    local mine=()
    if [ "$i" -le "$miners" ]; then
      mine=(--mine --mine-to "$mine_to" --threads "$threads")
    fi
    nohup "$node" run --network testnet --datadir "$d" --p2p "/ip4/$(node_ip "$i")/tcp/0" --rpc 127.0.0.1:0 \
      "${peers[@]}" "${mine[@]}" >> "$d/node.log" 2>&1 &
    wait_for_info "$d"
    echo "node$i started: $(first_addr "$d")"
    peers+=("--peer" "$(first_addr "$d")")
  done
  cat <<TXT

Testnet of $n nodes running in $dir; node1 mines to alice ($mine_to).
Next:
  scripts/testnet.sh status                                   # heights, tips, peers
  bin/wallet --network testnet --wallet $dir/alice.wallet --node $dir/node1 balance
  bin/wallet --network testnet --wallet $dir/bob.wallet create
  bin/wallet --network testnet --wallet $dir/bob.wallet address
  bin/wallet --network testnet --wallet $dir/alice.wallet --node $dir/node1 send --to ADDR --amount 1.5   # prints the TXID
  bin/wallet --network testnet --wallet $dir/bob.wallet spv verify --txid TXID --peer $(first_addr "$dir/node2")
Wallet passphrase for these: \$WALLET_PASSPHRASE (default "testnet").
TXT
}

cmd_status() {
  for d in "$dir"/node*; do
    [ -d "$d" ] || continue
    printf '%s: ' "$(basename "$d")"
    if [ -s "$d/node.json" ]; then
      "$node" status --datadir "$d" 2>&1 | tr -d '\n' | tr -s ' '
      echo
    else
      echo "stopped"
    fi
  done
}

cmd_logs() {
  if [ -n "${1:-}" ]; then
    tail -f "$dir/node$1/node.log"
  else
    tail -f "$dir"/node*/node.log
  fi
}

cmd_stop() {
  for d in "$dir"/node*; do
    [ -s "$d/node.json" ] || continue
    local pid
    pid="$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$d/node.json")"
    if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      echo "$(basename "$d") stopped"
    fi
  done
}

cmd_wipe() {
  cmd_stop
  rm -rf "$dir"
  echo "wiped $dir"
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  stop) cmd_stop ;;
  wipe) cmd_wipe ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
