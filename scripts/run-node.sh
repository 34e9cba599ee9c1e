#!/usr/bin/env bash
# Runs one mining node on testnet with embedded storage in DATADIR (first
# argument, default $LEDGER_HOME/testnet or ~/.ledger/testnet: the node's
# default data directory, so `bin/node status` finds it with no flag). On
# first use it creates a miner wallet there to mine to. Further arguments go
# to `node run`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
datadir="${1:-${LEDGER_HOME:-$HOME/.ledger}/testnet}"
umask 077 # the wallet, its mnemonic and passphrase are readable by this user only
mkdir -p "$datadir"
if [ -d "$datadir/node/chain" ] && [ ! -d "$datadir/chain" ]; then
  echo "note: $datadir/node holds a chain from an older layout; the node now keeps its data in $datadir itself" >&2
fi
wallet="$datadir/miner-wallet.dat"
# The miner wallet's passphrase: WALLET_PASSPHRASE if set, else one generated
# on first use and kept (mode 0600) beside the wallet.
passfile="$datadir/miner-wallet.pass"
if [ -z "${WALLET_PASSPHRASE:-}" ]; then
  if [ ! -f "$passfile" ]; then
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$passfile"
  fi
  WALLET_PASSPHRASE="$(cat "$passfile")"
fi
export WALLET_PASSPHRASE
if [ ! -f "$wallet" ]; then
  "$root/bin/wallet" --network testnet --wallet "$wallet" create > "$datadir/miner-wallet.json"
  echo "created miner wallet $wallet (mnemonic in $datadir/miner-wallet.json, mode 0600; keep it safe)" >&2
fi
chmod 600 "$datadir/miner-wallet.json" "$passfile" 2>/dev/null || true
addr="$("$root/bin/wallet" --network testnet --wallet "$wallet" address | sed -n 's/.*"address": *"\([^"]*\)".*/\1/p')"
echo "mining to $addr; data in $datadir; Ctrl-C or \`bin/node stop\` stops the node" >&2
exec "$root/bin/node" run --network testnet --datadir "$datadir" --mine --mine-to "$addr" "${@:2}"
