package rpc

import (
	"context"
	"net/http"
	"strconv"
)

// FeeEstimator is implemented by a Backend that estimates fee rates by
// confirmation target: GET /v1/feerate?target=N (blocks) asks it.
type FeeEstimator interface {
	EstimateFee(ctx context.Context, target int) (*FeeRateResult, error)
}

// MaxFeeTarget bounds the confirmation target of a fee estimate request.
const MaxFeeTarget = 1000

func (h *handler) feeEstimate(w http.ResponseWriter, r *http.Request) {
	target, err := strconv.Atoi(r.URL.Query().Get("target"))
	if err != nil || target < 1 || target > MaxFeeTarget {
		writeError(w, BadRequest("target must be a number of blocks from 1 to %d", MaxFeeTarget))
		return
	}
	fe, ok := h.b.(FeeEstimator)
	if !ok {
		writeError(w, NotFound("this node does not estimate fees by confirmation target"))
		return
	}
	res, err := fe.EstimateFee(r.Context(), target)
	reply(w, res, err)
}

// EstimateFee asks for a fee rate that gets a transaction mined within target blocks.
func (c *Client) EstimateFee(ctx context.Context, target int) (*FeeRateResult, error) {
	var out FeeRateResult
	return &out, c.do(ctx, http.MethodGet, PathFeeRate+"?target="+strconv.Itoa(target), nil, &out, DefaultTimeout)
}
