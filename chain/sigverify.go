package chain

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/rule"
	"github.com/ledgerd/ledger/tx"
)

// sigJob is one input signature to check.
type sigJob struct {
	txIndex, input int
	txid           chainhash.Hash
	msg            chainhash.Hash
	pub            [32]byte
	sig            [64]byte
}

func (j *sigJob) verify() error {
	if err := tx.VerifySignature(j.pub, j.msg[:], j.sig); err != nil {
		return rule.Errorf(rule.ErrBadSignature, "tx %s input %d: %v", j.txid, j.input, err)
	}
	return nil
}

// verifySignatures checks every job, spreading them over workers goroutines
// (workers <= 1 checks them on the caller's goroutine). It returns the error
// of the lowest-numbered failing job, so the result does not depend on scheduling.
func verifySignatures(jobs []sigJob, workers int) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers == 1 || len(jobs) < 2 {
		for i := range jobs {
			if err := jobs[i].verify(); err != nil {
				return err
			}
		}
		return nil
	}
	if workers > len(jobs) {
		workers = len(jobs)
	}
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	var next sync.Mutex
	cursor := 0
	take := func() int {
		next.Lock()
		defer next.Unlock()
		if cursor >= len(jobs) {
			return -1
		}
		i := cursor
		cursor++
		return i
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := take(); i >= 0; i = take() {
				errs[i] = jobs[i].verify()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// String describes a job for logs.
func (j *sigJob) String() string { return fmt.Sprintf("%s:%d", j.txid, j.input) }
