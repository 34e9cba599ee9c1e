package blocksync

import "time"

// Config tunes a Machine. Zero fields take the defaults below.
type Config struct {
	// StatusInterval is how often a peer's status is polled.
	StatusInterval time.Duration
	// MempoolInterval is how often, once synced, peers' mempools are reconciled with ours.
	MempoolInterval time.Duration
	// HeadersTimeout and BlocksTimeout bound how long a peer may take to answer.
	HeadersTimeout time.Duration
	BlocksTimeout  time.Duration
	// BlocksPerRequest is how many blocks one request asks for.
	BlocksPerRequest int
	// RequestsPerPeer bounds the block requests in flight to one peer.
	RequestsPerPeer int
	// Window bounds the blocks downloaded ahead of the chain (in flight,
	// waiting for their turn, or being processed), and WindowBytes their
	// bytes: those received and not yet processed, plus, for each request
	// in flight, the most its response may take (the response is refused
	// unread past that). A peer cannot make the node hold more than
	// WindowBytes (and one block) of downloaded blocks, however it answers.
	Window      int
	WindowBytes int
	// MaxPendingHeaders bounds the validated headers kept per peer whose
	// blocks the chain does not have yet.
	MaxPendingHeaders int
	// MaxHeaders is the most headers a peer sends in one response; a
	// shorter response means the peer has no more.
	MaxHeaders int
}

// Penalties, in misbehaviour points (100 bans a peer).
const (
	PenaltyMalformed       = 100 // undecodable or oversize response, or a block that is not the one asked for
	PenaltyInvalid         = 100 // a block or header that breaks a consensus rule
	PenaltyWrongNetwork    = 100
	PenaltyWithheld        = 50 // announced a block, then said it lacks it
	PenaltyUnbackedClaim   = 25 // claimed more work than its headers show
	PenaltyBlocksTimeout   = 25 // announced blocks, then did not serve them in time
	PenaltyUnconnected     = 20 // headers that link to nothing we or it showed us, or a relayed block it cannot link
	PenaltyTooManyHeaders  = 20 // more headers than the bound without more work than our tip
	PenaltyAnnouncedBadOne = 50 // announced headers whose block turned out invalid
)

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.StatusInterval, 5*time.Second)
	def(&c.MempoolInterval, 2*time.Minute)
	def(&c.HeadersTimeout, 10*time.Second)
	def(&c.BlocksTimeout, 20*time.Second)
	defInt(&c.BlocksPerRequest, 16)
	defInt(&c.RequestsPerPeer, 4)
	defInt(&c.Window, 1024)
	defInt(&c.WindowBytes, 64<<20)
	defInt(&c.MaxPendingHeaders, 20000)
	defInt(&c.MaxHeaders, 2000)
	return c
}
