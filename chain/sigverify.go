package chain

import (
	"fmt"

	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/rule"
	"github.com/ledgerd/ledger/tx"
)

// sigJob is one input signature to check. Its signature hash is computed by
// the worker that checks it, so that hashing is spread over the workers too.
type sigJob struct {
	tx       *tx.Tx
	txid     chainhash.Hash
	prevOuts []tx.TxOut // the outputs tx spends, in input order
	input    int
}

func (j *sigJob) verify(network string) error {
	msg, err := tx.SigHash(network, j.tx, j.prevOuts, j.input)
	if err != nil {
		return err
	}
	if err := tx.VerifySignature(j.prevOuts[j.input].PubKey, msg[:], j.tx.Inputs[j.input].Signature); err != nil {
		return rule.Errorf(rule.ErrBadSignature, "tx %s input %d: %v", j.txid, j.input, err)
	}
	return nil
}

// verifySignatures checks every job on up to workers goroutines (workers <= 1
// checks them on the caller's goroutine). It returns the error of the
// lowest-numbered failing job, so the result does not depend on scheduling.
func verifySignatures(network string, jobs []sigJob, workers int) error {
	return firstError(len(jobs), workers, func(i int) error { return jobs[i].verify(network) })
}

// signatureJobs lists the signature checks of t, whose id is txid.
func signatureJobs(t *tx.Tx, txid chainhash.Hash, prevOuts []tx.TxOut) []sigJob {
	return appendSignatureJobs(make([]sigJob, 0, len(t.Inputs)), t, txid, prevOuts)
}

// appendSignatureJobs appends the signature checks of t to jobs.
func appendSignatureJobs(jobs []sigJob, t *tx.Tx, txid chainhash.Hash, prevOuts []tx.TxOut) []sigJob {
	for i := range t.Inputs {
		jobs = append(jobs, sigJob{tx: t, txid: txid, prevOuts: prevOuts, input: i})
	}
	return jobs
}

// String describes a job for logs.
func (j *sigJob) String() string { return fmt.Sprintf("%s:%d", j.txid, j.input) }
