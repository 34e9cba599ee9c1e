package chain

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/ledgerd/ledger/chainhash"
)

// load rebuilds the block index from the store, each block with the arrival
// sequence it was stored with, so the tie rule between equal-work branches
// ("first seen wins") picks the same tip as before the restart.
//
// acceptRewind is Options.AcceptStoreRewind: whether a store that lost
// blocks it had connected opens with a warning instead of an error.
func (c *Chain) load(acceptRewind bool) error {
	genesis := c.index.Genesis()
	tipHash, ok, err := c.store.tip()
	if err != nil {
		return err
	}
	if !ok {
		if err := c.checkTipMark(nil, acceptRewind); err != nil {
			return err
		}
		return c.initGenesis()
	}
	v, _, err := c.store.get([]byte(keyVersion))
	if err != nil {
		return err
	}
	if len(v) != 1 || v[0] < 1 || v[0] > storeVersion {
		return fmt.Errorf("%w: unsupported store version %v", ErrCorruptStore, v)
	}
	version := v[0]
	var entries []indexEntry
	err = c.store.iterate([]byte{prefixIndex}, func(k, v []byte) error {
		e, err := decodeIndexEntry(v, version)
		if err != nil {
			return err
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return fmt.Errorf("load block index: %w", err)
	}
	if version < 2 {
		if err := c.upgradeIndex(entries, tipHash); err != nil {
			return err
		}
	}
	// A parent always arrived before its children, so sequence order adds parents first.
	sort.Slice(entries, func(i, j int) bool { return entries[i].seq < entries[j].seq })
	for _, e := range entries {
		if e.height == 0 {
			if e.header.Hash() != genesis.Hash {
				return &WrongNetworkError{Genesis: e.header.Hash(), Want: genesis.Hash}
			}
			genesis.Flags = uint32(e.status)
			continue
		}
		if _, err := c.index.AddStored(e.header, uint32(e.status), e.seq); err != nil {
			return fmt.Errorf("%w: %w", ErrCorruptStore, err)
		}
	}
	tip := c.index.Lookup(tipHash)
	if tip == nil {
		return fmt.Errorf("%w: tip %s not in the block index", ErrCorruptStore, tipHash)
	}
	if err := c.checkTipMark(tip, acceptRewind); err != nil {
		return err
	}
	c.setTip(tip)
	c.index.RecomputeBest()
	c.log.Info("chain loaded", "height", tip.Height, "tip", tip.Hash, "blocks", c.index.Len())
	return nil
}

// upgradeIndex gives the entries of a version 1 store, which did not record
// arrival order, sequence numbers and writes them back as version 2. The
// order is by height, the connected chain's block first at each height, so
// that the connected tip keeps winning ties with branches of equal work.
func (c *Chain) upgradeIndex(entries []indexEntry, tip chainhash.Hash) error {
	hashes := make([]chainhash.Hash, len(entries))
	byHash := make(map[chainhash.Hash]int, len(entries))
	for i := range entries {
		hashes[i] = entries[i].header.Hash()
		byHash[hashes[i]] = i
	}
	onMain := make([]bool, len(entries))
	for i, ok := byHash[tip]; ok && !onMain[i]; i, ok = byHash[entries[i].header.Prev] {
		onMain[i] = true
	}
	order := make([]int, len(entries))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(x, y int) bool {
		a, b := order[x], order[y]
		if entries[a].height != entries[b].height {
			return entries[a].height < entries[b].height
		}
		if onMain[a] != onMain[b] {
			return onMain[a]
		}
		return bytes.Compare(hashes[a][:], hashes[b][:]) < 0
	})
	batch := new(leveldb.Batch)
	for seq, i := range order {
		entries[i].seq = uint64(seq) // the genesis, alone at height 0, gets 0
		batch.Put(key(prefixIndex, hashes[i][:]), entries[i].encode())
	}
	batch.Put([]byte(keyVersion), []byte{storeVersion})
	if err := c.store.write(batch); err != nil {
		return fmt.Errorf("upgrade block index to store version %d: %w", storeVersion, err)
	}
	c.log.Info("upgraded chain store", "version", storeVersion, "blocks", len(entries))
	return nil
}
