package main

import (
	"encoding/gob"
	"errors"
	"fmt"
	"os"

	"github.com/ledgerd/ledger/block"
	"github.com/ledgerd/ledger/chaincfg"
)

// savedWork is a connectWork as a file holds it: signing its transactions
// takes seconds, which each child of an interleaved measurement would
// otherwise spend again.
type savedWork struct {
	Prefix, Blocks [][]byte // encoded blocks
	Txs            int
	Sigs           []byte // the signature checks, 128 bytes each: key, message, signature
}

const savedSigSize = 32 + 32 + 64

// save writes the work to path.
func (w *connectWork) save(path string) error {
	s := savedWork{Txs: w.txs, Sigs: make([]byte, 0, len(w.sigJobs)*savedSigSize)}
	for _, b := range w.prefix {
		s.Prefix = append(s.Prefix, b.Encode())
	}
	for _, b := range w.blocks {
		s.Blocks = append(s.Blocks, b.Encode())
	}
	for _, j := range w.sigJobs {
		s.Sigs = append(append(append(s.Sigs, j.pub[:]...), j.msg[:]...), j.sig[:]...)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := gob.NewEncoder(f).Encode(&s); err != nil {
		f.Close()
		return fmt.Errorf("save work: %w", err)
	}
	return f.Close()
}

// loadConnectWork reads work that save wrote to path.
func loadConnectWork(path string) (*connectWork, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var s savedWork
	if err := gob.NewDecoder(f).Decode(&s); err != nil {
		return nil, fmt.Errorf("load work %s: %w", path, err)
	}
	if len(s.Blocks) == 0 || len(s.Sigs)%savedSigSize != 0 {
		return nil, fmt.Errorf("load work %s: %d blocks, %d bytes of signature checks", path, len(s.Blocks), len(s.Sigs))
	}
	w := &connectWork{params: chaincfg.Regtest, txs: s.Txs}
	for _, list := range []struct {
		raw  [][]byte
		into *[]*block.Block
	}{{s.Prefix, &w.prefix}, {s.Blocks, &w.blocks}} {
		for _, raw := range list.raw {
			b, err := block.Decode(raw)
			if err != nil {
				return nil, errors.Join(fmt.Errorf("load work %s", path), err)
			}
			*list.into = append(*list.into, b)
		}
	}
	for rest := s.Sigs; len(rest) > 0; rest = rest[savedSigSize:] {
		var j sigCheck
		copy(j.pub[:], rest[:32])
		copy(j.msg[:], rest[32:64])
		copy(j.sig[:], rest[64:savedSigSize])
		w.sigJobs = append(w.sigJobs, j)
	}
	return w, nil
}
