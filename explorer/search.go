package explorer

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/ledgerd/ledger/chain"
	"github.com/ledgerd/ledger/chainhash"
	"github.com/ledgerd/ledger/tx"
)

// maxQuery bounds the search text: an address, the longest thing searched,
// is well under it.
const maxQuery = 200

// search sends a height or block hash to its block, a txid to its
// transaction and an address to its page (303 See Other); anything else
// gets a page saying nothing matched.
func (e *Explorer) search(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	switch {
	case q == "":
		e.fail(w, r, badRequest("Type a block height, a block hash, a txid or an address to search for."))
		return
	case len(q) > maxQuery:
		e.fail(w, r, badRequest("The search text is over %d characters; nothing the explorer shows is that long.", maxQuery))
		return
	}
	target, err := e.resolve(q)
	if err != nil {
		e.fail(w, r, err)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// resolve returns the page q names.
func (e *Explorer) resolve(q string) (string, error) {
	if height, ok := parseHeight(q); ok {
		hash, err := e.src.Chain.HashAtHeight(height)
		if err != nil {
			return "", notFound("Nothing matched %q: there is no block at that height (the tip is at %d).", q, e.src.Chain.Tip().Height)
		}
		return Prefix + "block/" + hash.String(), nil
	}
	if h, err := chainhash.Parse(strings.ToLower(q)); err == nil {
		if _, _, err := e.src.Chain.BlockByHash(h); err == nil {
			return Prefix + "block/" + h.String(), nil
		} else if !errors.Is(err, chain.ErrNotFound) {
			return "", err
		}
		if _, ok := e.src.Mempool.Get(h); ok {
			return Prefix + "tx/" + h.String(), nil
		}
		if _, _, err := e.src.Chain.TxByID(h); err == nil {
			return Prefix + "tx/" + h.String(), nil
		} else if !errors.Is(err, chain.ErrNotFound) {
			return "", err
		}
		return "", notFound("Nothing matched %q: no block or transaction has that hash.", q)
	}
	if _, err := tx.DecodeAddress(e.src.Chain.Params().AddressHRP, q); err == nil {
		return Prefix + "address/" + url.PathEscape(q), nil
	}
	return "", notFound("Nothing matched %q. Search for a block height, a block hash, a txid or a %s address.", q, e.src.Chain.Params().Name)
}
