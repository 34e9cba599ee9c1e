#!/usr/bin/env bash
# Runs one mining node on testnet with embedded storage in DATADIR (first
# argument). On first use it creates a miner wallet there to mine to.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
datadir="${1:-$HOME/.ledger/testnet}"
mkdir -p "$datadir"
wallet="$datadir/miner-wallet.dat"
# The miner wallet's passphrase: WALLET_PASSPHRASE if set, else one generated
# on first use and kept (mode 0600) beside the wallet.
passfile="$datadir/miner-wallet.pass"
if [ -z "${WALLET_PASSPHRASE:-}" ]; then
  if [ ! -f "$passfile" ]; then
    (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$passfile")
  fi
  WALLET_PASSPHRASE="$(cat "$passfile")"
fi
export WALLET_PASSPHRASE
if [ ! -f "$wallet" ]; then
  "$root/bin/wallet" --network testnet --wallet "$wallet" create > "$datadir/miner-wallet.json"
  echo "created miner wallet $wallet (mnemonic in $datadir/miner-wallet.json; keep it safe)" >&2
fi
addr="$("$root/bin/wallet" --network testnet --wallet "$wallet" address | sed -n 's/.*"address": *"\([^"]*\)".*/\1/p')"
echo "mining to $addr; data in $datadir; Ctrl-C stops the node" >&2
exec "$root/bin/node" run --network testnet --datadir "$datadir/node" --mine --mine-to "$addr" "${@:2}"
