// Package rpc is the node's HTTP+JSON interface on loopback: the server that
// exposes a Backend (implemented by the node) behind cookie authentication,
// and the client the node and wallet command lines use.
//
// Every request carries HTTP basic auth with user "__cookie__" and the
// password written to the node's rpc.cookie file. Errors are returned as
// {"error": {"code", "message"}} with a 4xx or 5xx status.
package rpc

import (
	"context"
	"fmt"
	"net/http"
)

// Paths served.
const (
	PathStatus   = "/v1/status"
	PathGenerate = "/v1/generate"
	PathBlock    = "/v1/block/" // + height or hash
	PathTx       = "/v1/tx/"    // + txid
	PathPeers    = "/v1/peers"
	PathSendRaw  = "/v1/sendraw"
	PathScan     = "/v1/scan"
	PathFeeRate  = "/v1/feerate"
	PathMetrics  = "/metrics"
)

// CookieUser is the basic-auth user name that goes with the cookie password.
const CookieUser = "__cookie__"

// StatusResult answers `node status`.
type StatusResult struct {
	Network    string  `json:"network"`
	Height     uint64  `json:"height"`
	Tip        string  `json:"tip"`
	ChainWork  string  `json:"chain_work"` // hex
	Peers      int     `json:"peers"`
	MempoolTxs int     `json:"mempool_txs"`
	Mining     bool    `json:"mining"`
	Hashrate   float64 `json:"hashrate"` // hashes per second over the last few seconds
	// HashratePerThread lists each mining thread's rate.
	HashratePerThread []float64 `json:"hashrate_per_thread,omitempty"`
	Syncing           bool      `json:"syncing"`
	// SyncProgress describes an initial sync in progress.
	SyncProgress *SyncProgress `json:"sync_progress,omitempty"`

	// Difficulty is the next block's difficulty in leading zero bits.
	Difficulty float64 `json:"difficulty"`
	// Headers is the height of the best chain peers have shown; Blocks the verified height.
	Headers uint64 `json:"headers"`
	Blocks  uint64 `json:"blocks"`
	// VerificationProgress is the share of the best known chain work verified (0-1).
	VerificationProgress float64 `json:"verification_progress"`
	// ETASeconds estimates the time to catch up by the recent chain-work rate (0 when synced or unknown).
	ETASeconds float64 `json:"eta_seconds"`
	// InitialBlockDownload is true until the node first caught up with a recent tip.
	InitialBlockDownload bool `json:"initial_block_download"`
	// SizeOnDisk is the data directory's size in bytes.
	SizeOnDisk int64 `json:"size_on_disk"`
	// MempoolBytes is the encoded size of the mempool's transactions.
	MempoolBytes int `json:"mempool_bytes"`
	// Version is the node's version and commit.
	Version string `json:"version"`
}

// SyncProgress reports how far an initial block download has come.
type SyncProgress struct {
	Height       uint64  `json:"height"`
	TargetHeight uint64  `json:"target_height"`
	Percent      float64 `json:"percent"`
	BlocksPerSec float64 `json:"blocks_per_sec"`
	ETASeconds   float64 `json:"eta_seconds"`
}

// GenerateRequest asks a regtest node to mine N blocks paying To.
type GenerateRequest struct {
	N  int    `json:"n"`
	To string `json:"to"`
}

// GenerateResult lists the hashes of the mined blocks, in order.
type GenerateResult struct {
	Blocks []string `json:"blocks"`
}

// BlockResult answers `node block`.
type BlockResult struct {
	Hash          string   `json:"hash"`
	Height        uint64   `json:"height"`
	Prev          string   `json:"prev"`
	MerkleRoot    string   `json:"merkle_root"`
	Time          int64    `json:"time"`
	Bits          uint32   `json:"bits"`       // difficulty in 1/65536 leading zero bits
	Difficulty    float64  `json:"difficulty"` // the same, in bits
	Nonce         uint32   `json:"nonce"`
	TxIDs         []string `json:"txids"`
	Confirmations uint64   `json:"confirmations"`
	MainChain     bool     `json:"main_chain"`
}

// TxInput is one input of a TxResult, with the output it spends when known.
type TxInput struct {
	TxID    string `json:"txid"`
	Vout    uint32 `json:"vout"`
	Amount  int64  `json:"amount"`
	Address string `json:"address"`
}

// TxOutput is one output of a TxResult.
type TxOutput struct {
	Amount  int64  `json:"amount"`
	Address string `json:"address"`
}

// TxResult answers `node tx`. Block is nil while the transaction is in the mempool.
type TxResult struct {
	TxID          string     `json:"txid"`
	Coinbase      bool       `json:"coinbase"`
	Inputs        []TxInput  `json:"inputs"`
	Outputs       []TxOutput `json:"outputs"`
	Fee           int64      `json:"fee"`
	Block         *string    `json:"block"`
	Height        *uint64    `json:"height"`
	Confirmations uint64     `json:"confirmations"`
	Size          int        `json:"size"`
	Hex           string     `json:"hex"`
}

// PeerResult is one connected peer.
type PeerResult struct {
	ID     string `json:"id"`
	Addr   string `json:"addr"`
	Height uint64 `json:"height"`
	// Mesh names the gossip topics on which this node pushes every message
	// to the peer (the peer is in its gossipsub mesh); others only hear of
	// messages in gossip rounds.
	Mesh []string `json:"mesh,omitempty"`
}

// PeersResult answers `node peers`.
type PeersResult struct {
	Peers []PeerResult `json:"peers"`
}

// SendRawRequest submits a signed transaction as hex.
type SendRawRequest struct {
	Hex string `json:"hex"`
}

// SendRawResult answers a submission. Submitting a transaction the node
// already has succeeds with the same txid, so retries never pay twice.
type SendRawResult struct {
	TxID string `json:"txid"`
}

// ScanRequest asks for what the node knows of some keys (hex x-only public keys).
type ScanRequest struct {
	Keys []string `json:"keys"`
}

// UTXO is an unspent output paying one of the scanned keys.
type UTXO struct {
	TxID          string `json:"txid"`
	Vout          uint32 `json:"vout"`
	Amount        int64  `json:"amount"`
	Key           string `json:"key"`
	Height        uint64 `json:"height"` // 0 while unconfirmed
	Coinbase      bool   `json:"coinbase"`
	Confirmations uint64 `json:"confirmations"`
	// Mature is false for a coinbase output that cannot be spent in the next block.
	Mature bool `json:"mature"`
	// SpentInMempool is true when a mempool transaction already spends it.
	SpentInMempool bool `json:"spent_in_mempool"`
}

// HistoryItem is a transaction touching one of the scanned keys.
type HistoryItem struct {
	TxID          string `json:"txid"`
	Height        uint64 `json:"height"` // 0 while unconfirmed
	Confirmations uint64 `json:"confirmations"`
}

// ScanResult answers a ScanRequest: confirmed and unconfirmed outputs of
// the keys, and the transactions that touched them, oldest first.
type ScanResult struct {
	Height  uint64        `json:"height"`
	Tip     string        `json:"tip"`
	UTXOs   []UTXO        `json:"utxos"`
	History []HistoryItem `json:"history"`
}

// FeeRateResult suggests fee rates in units per byte.
type FeeRateResult struct {
	FeeRate    int64 `json:"fee_rate"`
	MinFeeRate int64 `json:"min_fee_rate"`
	// Target and Samples describe an estimate by confirmation target (see fee.go).
	Target  int `json:"target,omitempty"`
	Samples int `json:"samples,omitempty"`
}

// ErrorBody is the JSON error envelope.
type ErrorBody struct {
	Error Error `json:"error"`
}

// Error is an RPC failure with the HTTP status it is served with.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf builds an *Error.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// NotFound, BadRequest and friends build the common errors.
func NotFound(format string, args ...any) *Error {
	return Errorf(http.StatusNotFound, "not_found", format, args...)
}

// BadRequest reports a request the node cannot act on as given.
func BadRequest(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, "bad_request", format, args...)
}

// Rejected reports a transaction or block the node refused, with the rule or policy code.
func Rejected(code, format string, args ...any) *Error {
	return Errorf(http.StatusUnprocessableEntity, code, format, args...)
}

// Backend is what the server serves; the node implements it. Methods return
// an *Error to choose the status and code; any other error is a 500.
type Backend interface {
	Status(ctx context.Context) (*StatusResult, error)
	Generate(ctx context.Context, req GenerateRequest) (*GenerateResult, error)
	Block(ctx context.Context, heightOrHash string) (*BlockResult, error)
	Tx(ctx context.Context, txid string) (*TxResult, error)
	Peers(ctx context.Context) (*PeersResult, error)
	SendRaw(ctx context.Context, req SendRawRequest) (*SendRawResult, error)
	Scan(ctx context.Context, req ScanRequest) (*ScanResult, error)
	FeeRate(ctx context.Context) (*FeeRateResult, error)
	BanBackend
	// Metrics serves Prometheus metrics.
	Metrics() http.Handler
}
